import { sql } from 'drizzle-orm';
import { classificationRank, type Classification } from '../../authz/permissions';
import { forbidden, notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import { parsePage, toConnection } from '../../lib/pagination';
import { optionalText, text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { articlesByIds, insertArticle, listArticles, updateArticle, type ArticleRow } from './article.repo';

export async function articlePage(ctx: RequestContext, args: { first?: number | null; after?: string | null }) {
  const page = parsePage(args);
  const viewer = await ctx.requireViewer();
  const rows = await ctx.withTx((tx) => listArticles(tx, viewer, page));
  for (const row of rows) ctx.loaders.article.prime(row.id, row);
  return toConnection(rows, page);
}

/** The article, or null when it does not exist, is in another tenant, or is above the viewer's clearance. */
export async function articleById(ctx: RequestContext, id: string): Promise<ArticleRow | null> {
  return (await ctx.loaders.article.load(id)) ?? null;
}

function checkClearance(clearance: Classification, classification: string) {
  if (classificationRank(classification) > classificationRank(clearance)) {
    throw forbidden(`Your clearance (${clearance}) does not allow ${classification} articles`);
  }
}

export type ArticleInput = { title: string; body: string; classification?: string | null; internalNotes?: string | null };

export async function createArticle(ctx: RequestContext, input: ArticleInput): Promise<ArticleRow> {
  const viewer = await ctx.requireViewer();
  // Validation runs inside the audited mutation, so a refused attempt is recorded too.
  return auditedMutation(ctx, { action: 'article.create', resourceType: 'Article' }, async (tx) => {
    const values = {
      tenantId: viewer.tenantId,
      title: text(input.title, 'title', { max: 200 }),
      body: text(input.body, 'body', { max: 100_000 }),
      classification: input.classification ?? 'INTERNAL',
      internalNotes: optionalText(input.internalNotes, 'internalNotes', { max: 10_000 }) ?? null,
      authorId: viewer.userId,
    };
    checkClearance(viewer.clearance, values.classification);
    const row = await insertArticle(tx, values);
    return { result: row, resourceIds: [row.id], detail: { classification: row.classification } };
  });
}

export type ArticlePatch = { id: string; title?: string | null; body?: string | null; classification?: string | null; internalNotes?: string | null };

export async function editArticle(ctx: RequestContext, input: ArticlePatch): Promise<ArticleRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'article.update', resourceType: 'Article' }, async (tx) => {
    const id = idOf(input.id, 'Article');
    const patch = {
      ...(input.title != null && { title: text(input.title, 'title', { max: 200 }) }),
      ...(input.body != null && { body: text(input.body, 'body', { max: 100_000 }) }),
      ...(input.classification != null && { classification: input.classification }),
      ...(input.internalNotes !== undefined && { internalNotes: optionalText(input.internalNotes, 'internalNotes', { max: 10_000 }) }),
    };
    const [current] = await articlesByIds(tx, viewer, [id]);
    if (!current) throw notFound('Article not found');
    if (patch.classification) checkClearance(viewer.clearance, patch.classification);
    const row = await updateArticle(tx, id, { ...patch, updatedAt: sql`now()` as unknown as Date });
    return { result: row, resourceIds: [id], detail: { fields: Object.keys(patch) } };
  });
}
