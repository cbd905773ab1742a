import { badInput, notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { attachmentFields, MAX_RELATED, type AttachmentInput } from './article.input';
import { articlesByIds, type ArticleRow } from './article.repo';
import { editableArticle } from './article.service';
import { attachmentsByIds, deleteAttachment, insertAttachment, setRelated, type AttachmentRow } from './links.repo';

/** Replace an article's related articles. Each must be an article the editor may read (else NOT_FOUND). */
export async function setRelatedArticles(ctx: RequestContext, input: { id: string; relatedIds: readonly string[] }): Promise<ArticleRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'article.related', resourceType: 'Article' }, async (tx) => {
    const id = idOf(input.id, 'Article');
    const relatedIds = [...new Set(input.relatedIds.map((r) => idOf(r, 'Article')))];
    if (relatedIds.length > MAX_RELATED) throw badInput(`at most ${MAX_RELATED} related articles`, { argument: 'relatedIds', max: MAX_RELATED });
    if (relatedIds.includes(id)) throw badInput('An article cannot be related to itself', { argument: 'relatedIds' });
    const current = await editableArticle(tx, viewer, id);
    const found = new Set((await articlesByIds(tx, viewer, relatedIds)).map((a) => a.id));
    if (relatedIds.some((r) => !found.has(r))) throw notFound('Related article not found');
    await setRelated(tx, viewer.tenantId, id, relatedIds);
    return { result: current, resourceIds: [id, ...relatedIds], detail: { related: relatedIds.length } };
  });
}

/** Record a file's metadata on an article; the bytes go to external storage (not part of Warden yet). */
export async function addAttachment(ctx: RequestContext, input: AttachmentInput & { articleId: string }): Promise<AttachmentRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'article.attachment.add', resourceType: 'Article' }, async (tx) => {
    const articleId = idOf(input.articleId, 'Article');
    const fields = attachmentFields(input);
    await editableArticle(tx, viewer, articleId);
    const row = await insertAttachment(tx, { tenantId: viewer.tenantId, articleId, ...fields, uploadedBy: viewer.userId });
    return { result: row, resourceIds: [articleId, row.id], detail: { fileName: row.fileName, sizeBytes: row.sizeBytes } };
  });
}

export async function removeAttachment(ctx: RequestContext, globalId: string): Promise<boolean> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'article.attachment.remove', resourceType: 'Article' }, async (tx) => {
    const id = idOf(globalId, 'Attachment');
    const [attachment] = await attachmentsByIds(tx, viewer, [id]);
    if (!attachment) throw notFound('Attachment not found');
    await editableArticle(tx, viewer, attachment.articleId);
    await deleteAttachment(tx, id);
    return { result: true, resourceIds: [attachment.articleId, id], detail: { fileName: attachment.fileName } };
  });
}
