import { and, asc, eq, inArray } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Tx } from '../../db/client';
import { articleAttachments, articleRelations, articles } from '../../db/schema';
import { articleReadPredicate } from '../../authz/predicates';
import type { Viewer } from '../../authz/viewer';
import { articleColumns } from './article.repo';

/** Related articles and attachments: both reached only through an article the viewer may read. */

const source = alias(articles, 'source');

/** Related articles of each article, where the viewer may read both ends. */
export async function relatedOfArticles(tx: Tx, viewer: Viewer, articleIds: readonly string[]) {
  if (articleIds.length === 0) return [];
  return tx
    .select({ sourceId: articleRelations.articleId, ...articleColumns })
    .from(articleRelations)
    .innerJoin(source, and(eq(source.tenantId, articleRelations.tenantId), eq(source.id, articleRelations.articleId)))
    .innerJoin(articles, and(eq(articles.tenantId, articleRelations.tenantId), eq(articles.id, articleRelations.relatedId)))
    .where(and(articleReadPredicate(viewer, source), articleReadPredicate(viewer, articles), inArray(articleRelations.articleId, [...articleIds])))
    .orderBy(asc(articleRelations.position));
}

export async function setRelated(tx: Tx, tenantId: string, articleId: string, relatedIds: readonly string[]): Promise<void> {
  await tx.delete(articleRelations).where(eq(articleRelations.articleId, articleId));
  if (relatedIds.length === 0) return;
  await tx.insert(articleRelations).values(relatedIds.map((relatedId, position) => ({ tenantId, articleId, relatedId, position })));
}

const attachmentColumns = {
  id: articleAttachments.id,
  articleId: articleAttachments.articleId,
  fileName: articleAttachments.fileName,
  contentType: articleAttachments.contentType,
  sizeBytes: articleAttachments.sizeBytes,
  sha256: articleAttachments.sha256,
  uploadedBy: articleAttachments.uploadedBy,
  createdAt: articleAttachments.createdAt,
};
export type AttachmentRow = { [K in keyof typeof attachmentColumns]: (typeof articleAttachments.$inferSelect)[K] };

const attachmentArticle = and(eq(articles.tenantId, articleAttachments.tenantId), eq(articles.id, articleAttachments.articleId));

export async function attachmentsOfArticles(tx: Tx, viewer: Viewer, articleIds: readonly string[]): Promise<AttachmentRow[]> {
  if (articleIds.length === 0) return [];
  return tx
    .select(attachmentColumns)
    .from(articleAttachments)
    .innerJoin(articles, attachmentArticle)
    .where(and(articleReadPredicate(viewer, articles), inArray(articleAttachments.articleId, [...articleIds])))
    .orderBy(asc(articleAttachments.createdAt), asc(articleAttachments.id));
}

export async function attachmentsByIds(tx: Tx, viewer: Viewer, ids: readonly string[]): Promise<AttachmentRow[]> {
  if (ids.length === 0) return [];
  return tx
    .select(attachmentColumns)
    .from(articleAttachments)
    .innerJoin(articles, attachmentArticle)
    .where(and(articleReadPredicate(viewer, articles), inArray(articleAttachments.id, [...ids])));
}

export async function insertAttachment(tx: Tx, values: typeof articleAttachments.$inferInsert): Promise<AttachmentRow> {
  const [row] = await tx.insert(articleAttachments).values(values).returning(attachmentColumns);
  return row;
}

export async function deleteAttachment(tx: Tx, id: string): Promise<void> {
  await tx.delete(articleAttachments).where(eq(articleAttachments.id, id));
}
