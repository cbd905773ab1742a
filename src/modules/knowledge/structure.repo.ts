import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { queryRows } from '../../db/rows';
import { categories, spaces } from '../../db/schema';
import { knowledgeStructurePredicate } from '../../authz/predicates';
import type { Viewer } from '../../authz/viewer';
import type { Page } from '../../lib/pagination';
import { keyset } from '../keyset';

const spaceColumns = {
  id: spaces.id,
  key: spaces.key,
  name: spaces.name,
  description: spaces.description,
  defaultClassification: spaces.defaultClassification,
  ownerTeamId: spaces.ownerTeamId,
  createdAt: spaces.createdAt,
  updatedAt: spaces.updatedAt,
};
export type SpaceRow = { [K in keyof typeof spaceColumns]: (typeof spaces.$inferSelect)[K] };

const categoryColumns = {
  id: categories.id,
  spaceId: categories.spaceId,
  parentId: categories.parentId,
  name: categories.name,
  defaultClassification: categories.defaultClassification,
  createdAt: categories.createdAt,
  updatedAt: categories.updatedAt,
};
export type CategoryRow = { [K in keyof typeof categoryColumns]: (typeof categories.$inferSelect)[K] };

export async function listSpaces(tx: Tx, viewer: Viewer, page: Page) {
  const k = keyset(spaces, page, knowledgeStructurePredicate(viewer, spaces));
  return tx.select({ ...spaceColumns, cursorAt: k.cursorAt }).from(spaces).where(k.where).orderBy(...k.orderBy).limit(k.limit);
}

export async function spacesByIds(tx: Tx, viewer: Viewer, ids: readonly string[]): Promise<SpaceRow[]> {
  if (ids.length === 0) return [];
  return tx.select(spaceColumns).from(spaces).where(and(knowledgeStructurePredicate(viewer, spaces), inArray(spaces.id, [...ids])));
}

export async function listCategories(tx: Tx, viewer: Viewer, page: Page, spaceId?: string) {
  const k = keyset(categories, page, and(knowledgeStructurePredicate(viewer, categories), spaceId ? eq(categories.spaceId, spaceId) : undefined)!);
  return tx.select({ ...categoryColumns, cursorAt: k.cursorAt }).from(categories).where(k.where).orderBy(...k.orderBy).limit(k.limit);
}

export async function categoriesByIds(tx: Tx, viewer: Viewer, ids: readonly string[]): Promise<CategoryRow[]> {
  if (ids.length === 0) return [];
  return tx.select(categoryColumns).from(categories).where(and(knowledgeStructurePredicate(viewer, categories), inArray(categories.id, [...ids])));
}

/** Children of each parent category, by name. */
export async function childCategories(tx: Tx, viewer: Viewer, parentIds: readonly string[]): Promise<CategoryRow[]> {
  if (parentIds.length === 0) return [];
  return tx
    .select(categoryColumns)
    .from(categories)
    .where(and(knowledgeStructurePredicate(viewer, categories), inArray(categories.parentId, [...parentIds])))
    .orderBy(asc(categories.name));
}

/** Top-level categories of each space, by name. */
export async function rootCategories(tx: Tx, viewer: Viewer, spaceIds: readonly string[]): Promise<CategoryRow[]> {
  if (spaceIds.length === 0) return [];
  return tx
    .select(categoryColumns)
    .from(categories)
    .where(and(knowledgeStructurePredicate(viewer, categories), inArray(categories.spaceId, [...spaceIds]), sql`${categories.parentId} is null`))
    .orderBy(asc(categories.name));
}

/** A category and every category below it (for filters, and to refuse a move that would make a cycle). */
export function subtreeIds(categoryId: string): SQL {
  return sql`(with recursive sub(id) as (
      select ${categories.id} from ${categories} where ${categories.id} = ${categoryId}
      union all
      select c.id from ${categories} c join sub on c.parent_id = sub.id
    ) select id from sub)`;
}

export async function isInSubtree(tx: Tx, rootId: string, candidateId: string): Promise<boolean> {
  const rows = await queryRows<{ found: boolean }>(tx, sql`select ${candidateId}::uuid in ${subtreeIds(rootId)} as found`);
  return rows[0]?.found === true;
}

export async function insertSpace(tx: Tx, values: typeof spaces.$inferInsert): Promise<SpaceRow> {
  const [row] = await tx.insert(spaces).values(values).returning(spaceColumns);
  return row;
}

export async function updateSpace(tx: Tx, id: string, patch: Partial<typeof spaces.$inferInsert>): Promise<SpaceRow | undefined> {
  const [row] = await tx.update(spaces).set({ ...patch, updatedAt: sql`now()` }).where(eq(spaces.id, id)).returning(spaceColumns);
  return row;
}

export async function insertCategory(tx: Tx, values: typeof categories.$inferInsert): Promise<CategoryRow> {
  const [row] = await tx.insert(categories).values(values).returning(categoryColumns);
  return row;
}

export async function updateCategory(tx: Tx, id: string, patch: Partial<typeof categories.$inferInsert>): Promise<CategoryRow | undefined> {
  const [row] = await tx.update(categories).set({ ...patch, updatedAt: sql`now()` }).where(eq(categories.id, id)).returning(categoryColumns);
  return row;
}
