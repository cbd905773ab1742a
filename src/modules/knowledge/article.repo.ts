import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { PgInsertValue, PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { Tx } from '../../db/client';
import { articles } from '../../db/schema';
import { articleReadPredicate } from '../../authz/predicates';
import type { Viewer } from '../../authz/viewer';
import type { Page } from '../../lib/pagination';
import { keyset } from '../keyset';
import type { SearchDocument } from './search-text';

export const articleColumns = {
  id: articles.id,
  title: articles.title,
  body: articles.body,
  classification: articles.classification,
  status: articles.status,
  kind: articles.kind,
  internalNotes: articles.internalNotes,
  authorId: articles.authorId,
  spaceId: articles.spaceId,
  categoryId: articles.categoryId,
  ownerTeamId: articles.ownerTeamId,
  version: articles.version,
  publishedAt: articles.publishedAt,
  createdAt: articles.createdAt,
  updatedAt: articles.updatedAt,
};

export type ArticleRow = { [K in keyof typeof articleColumns]: (typeof articles.$inferSelect)[K] };

/** The body, which can be long (up to 100,000 characters) and which a list rarely shows: lists leave it out (articleBodiesByIds loads it). */
const { body: _body, ...articleListColumns } = articleColumns;
export { articleListColumns };

/** An article as GraphQL resolves it: a full row, or a list's row without the body. */
export type ArticleParent = Omit<ArticleRow, 'body'> & Partial<Pick<ArticleRow, 'body'>>;

/** A page of the articles the viewer may read (and that match `filter`); the policy's predicate is part of the query. */
export async function listArticles(tx: Tx, viewer: Viewer, page: Page, filter?: SQL) {
  const k = keyset(articles, page, and(articleReadPredicate(viewer, articles), filter)!);
  return tx.select({ ...articleListColumns, cursorAt: k.cursorAt }).from(articles).where(k.where).orderBy(...k.orderBy).limit(k.limit);
}

export async function articlesByIds(tx: Tx, viewer: Viewer, ids: readonly string[]): Promise<ArticleRow[]> {
  if (ids.length === 0) return [];
  return tx.select(articleColumns).from(articles).where(and(articleReadPredicate(viewer, articles), inArray(articles.id, [...ids])));
}

/** The bodies of the articles the viewer may read, for rows of a list that asks for them. */
export async function articleBodiesByIds(tx: Tx, viewer: Viewer, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return tx
    .select({ id: articles.id, body: articles.body })
    .from(articles)
    .where(and(articleReadPredicate(viewer, articles), inArray(articles.id, [...ids])));
}

/** The article for a change, locked until the request commits, if the viewer may read it. */
export async function articleForUpdate(tx: Tx, viewer: Viewer, id: string): Promise<ArticleRow | undefined> {
  const [row] = await tx
    .select(articleColumns)
    .from(articles)
    .where(and(articleReadPredicate(viewer, articles), eq(articles.id, id)))
    .for('update');
  return row;
}

/** Full-text columns, computed at write time from jieba's words: title A, body B, tags C (SEARCH_WEIGHTS). */
export function searchColumns(doc: SearchDocument) {
  return {
    searchVector: sql<string>`setweight(to_tsvector('simple', ${doc.title}), 'A') || setweight(to_tsvector('simple', ${doc.body}), 'B') || setweight(to_tsvector('simple', ${doc.tags}), 'C')`,
    searchBody: doc.headline,
  };
}


export async function insertArticle(tx: Tx, values: PgInsertValue<typeof articles>): Promise<ArticleRow> {
  const [row] = await tx.insert(articles).values(values).returning(articleColumns);
  return row;
}

/** Apply a change and take the next version number, in one statement. */
export async function updateArticle(tx: Tx, id: string, patch: PgUpdateSetSource<typeof articles>): Promise<ArticleRow> {
  const [row] = await tx
    .update(articles)
    .set({ ...patch, version: sql`${articles.version} + 1`, updatedAt: sql`now()` })
    .where(eq(articles.id, id))
    .returning(articleColumns);
  return row;
}

/** Offboarding: every article authored by one user passes to another, in the caller's transaction. */
export async function transferOwnership(tx: Tx, fromUserId: string, toUserId: string): Promise<number> {
  const rows = await tx.update(articles).set({ authorId: toUserId }).where(eq(articles.authorId, fromUserId)).returning({ id: articles.id });
  return rows.length;
}
