import { and, asc, eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { teamMembers, teams } from '../../db/schema';

export type TeamRow = typeof teams.$inferSelect;

export const listTeams = (tx: Tx) => tx.select().from(teams).orderBy(asc(teams.name));

export async function teamsByIds(tx: Tx, ids: readonly string[]): Promise<TeamRow[]> {
  if (!ids.length) return [];
  return tx.select().from(teams).where(sql`${teams.id} = any(${`{${ids.join(',')}}`}::uuid[])`);
}

/** The new team, or undefined when the tenant already has a team of that name. */
export async function insertTeam(tx: Tx, values: typeof teams.$inferInsert): Promise<TeamRow | undefined> {
  const [row] = await tx.insert(teams).values(values).onConflictDoNothing().returning();
  return row;
}

/** Member ids of several teams in one statement (the members loader). */
export async function memberIdsOfTeams(tx: Tx, teamIds: readonly string[]): Promise<{ teamId: string; userId: string }[]> {
  if (!teamIds.length) return [];
  return tx
    .select({ teamId: teamMembers.teamId, userId: teamMembers.userId })
    .from(teamMembers)
    .where(sql`${teamMembers.teamId} = any(${`{${teamIds.join(',')}}`}::uuid[])`);
}

export async function addMember(tx: Tx, tenantId: string, teamId: string, userId: string): Promise<void> {
  await tx.insert(teamMembers).values({ tenantId, teamId, userId }).onConflictDoNothing();
}

export async function removeMember(tx: Tx, teamId: string, userId: string): Promise<number> {
  const rows = await tx.delete(teamMembers).where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId))).returning({ userId: teamMembers.userId });
  return rows.length;
}
