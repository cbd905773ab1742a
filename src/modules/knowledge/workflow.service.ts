import { and, eq, sql } from 'drizzle-orm';
import { articles } from '../../db/schema';
import { forbidden, notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { stateOf } from './article.input';
import { articleColumns, articleForUpdate, type ArticleRow } from './article.repo';
import { recordVersion } from './article.service';
import { tagsOfArticles } from './tag.repo';
import { transition, type WorkflowStep } from './workflow';

/**
 * Move an article one step through its workflow. The row is locked and updated only from the status it
 * was read in; a step not allowed from there is BAD_USER_INPUT (reason INVALID_TRANSITION) and changes nothing.
 */
export async function moveArticle(ctx: RequestContext, globalId: string, step: WorkflowStep): Promise<ArticleRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: `article.${step}`, resourceType: 'Article' }, async (tx) => {
    const id = idOf(globalId, 'Article');
    const current = await articleForUpdate(tx, viewer, id);
    if (!current) throw notFound('Article not found');
    const t = transition(step, current.status);
    if (!viewer.permissions.has(t.requires)) throw forbidden(`This step needs ${t.requires}`);
    const [row] = await tx
      .update(articles)
      .set({
        status: t.to,
        version: sql`${articles.version} + 1`,
        updatedAt: sql`now()`,
        ...(t.to === 'PUBLISHED' && { publishedAt: sql`now()` }),
      })
      .where(and(eq(articles.id, id), eq(articles.status, current.status)))
      .returning(articleColumns);
    if (!row) throw notFound('Article not found');
    const tags = (await tagsOfArticles(tx, viewer, [id])).map((x) => x.name);
    await recordVersion(tx, viewer, row, stateOf(row, tags), t.change, stateOf(current, tags));
    return { result: row, resourceIds: [id], detail: { from: current.status, to: t.to, version: row.version } };
  });
}
