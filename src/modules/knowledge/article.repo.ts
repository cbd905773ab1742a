import { and, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { articles } from '../../db/schema';
import { predicate } from '../../authz/policy';
import { RESOURCE_TYPES } from '../../authz/resources';
import type { Viewer } from '../../authz/viewer';
import type { Page } from '../../lib/pagination';
import { keyset } from '../keyset';

const columns = {
  id: articles.id,
  title: articles.title,
  body: articles.body,
  classification: articles.classification,
  status: articles.status,
  internalNotes: articles.internalNotes,
  authorId: articles.authorId,
  createdAt: articles.createdAt,
  updatedAt: articles.updatedAt,
};

export type ArticleRow = { [K in keyof typeof columns]: (typeof articles.$inferSelect)[K] };

/** A page of the articles the viewer may read; the policy's predicate is part of the query. */
export async function listArticles(tx: Tx, viewer: Viewer, page: Page) {
  const k = keyset(articles, page, predicate(viewer, 'ARTICLE_READ', RESOURCE_TYPES.Article.columns));
  return tx.select({ ...columns, cursorAt: k.cursorAt }).from(articles).where(k.where).orderBy(...k.orderBy).limit(k.limit);
}

export async function articlesByIds(tx: Tx, viewer: Viewer, ids: readonly string[]): Promise<ArticleRow[]> {
  return tx.select(columns).from(articles).where(and(predicate(viewer, 'ARTICLE_READ', RESOURCE_TYPES.Article.columns), inArray(articles.id, [...ids])));
}

export async function insertArticle(tx: Tx, values: typeof articles.$inferInsert): Promise<ArticleRow> {
  const [row] = await tx.insert(articles).values(values).returning(columns);
  return row;
}

export async function updateArticle(tx: Tx, id: string, patch: Partial<typeof articles.$inferInsert>): Promise<ArticleRow> {
  const [row] = await tx.update(articles).set(patch).where(eq(articles.id, id)).returning(columns);
  return row;
}

/** Offboarding: every article authored by one user passes to another, in the caller's transaction. */
export async function transferOwnership(tx: Tx, fromUserId: string, toUserId: string): Promise<number> {
  const rows = await tx.update(articles).set({ authorId: toUserId }).where(eq(articles.authorId, fromUserId)).returning({ id: articles.id });
  return rows.length;
}
