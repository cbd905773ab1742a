import { inArray } from 'drizzle-orm';
import type { Executor } from '../../db/client';
import { teams } from '../../db/schema';

/** Teams by id; row-level security keeps them to the request's tenant. */
export async function teamsByIds(ex: Executor, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return ex.select({ id: teams.id, name: teams.name }).from(teams).where(inArray(teams.id, [...ids]));
}

export type TeamRow = Awaited<ReturnType<typeof teamsByIds>>[number];
