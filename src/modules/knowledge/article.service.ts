import type { Viewer } from '../../authz/viewer';
import type { Tx } from '../../db/client';
import { badInput, forbidden, notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import { parsePage, toConnection } from '../../lib/pagination';
import { optionalText, text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { articleFilterSql } from './article-filter';
import { checkClearance, changedFields, stateOf, tagNames, type ArticleState } from './article.input';
import { articleForUpdate, insertArticle, listArticles, searchColumns, updateArticle, type ArticleParent, type ArticleRow } from './article.repo';
import { parseArticleFilter, type ArticleFilterInput } from './filter.service';
import { resolvePlacement, type PlacementInput } from './placement';
import { searchDocument } from './search-text';
import { setArticleTags, tagsOfArticles } from './tag.repo';
import { insertVersion, versionsByIds } from './version.repo';
import { editRequirement } from './workflow';

export async function articlePage(ctx: RequestContext, args: { first?: number | null; after?: string | null; filter?: ArticleFilterInput | null }) {
  const page = parsePage(args);
  const viewer = await ctx.requireViewer();
  const filter = await parseArticleFilter(ctx, args.filter);
  const rows = await ctx.withTx((tx) => listArticles(tx, viewer, page, articleFilterSql(filter)));
  for (const row of rows) ctx.loaders.article.prime(row.id, row);
  return toConnection(rows, page);
}

/** The article, or null when it does not exist, is in another tenant, or the viewer may not read it. */
export async function articleById(ctx: RequestContext, id: string): Promise<ArticleParent | null> {
  return (await ctx.loaders.article.load(id)) ?? null;
}

/** The article for a change, locked, if the viewer may read it and change it in its status. */
export async function editableArticle(tx: Tx, viewer: Viewer, id: string): Promise<ArticleRow> {
  const current = await articleForUpdate(tx, viewer, id);
  if (!current) throw notFound('Article not found');
  const rule = editRequirement(current.status);
  if ('refused' in rule) throw badInput(rule.refused, { reason: 'ARTICLE_ARCHIVED' });
  if (!viewer.permissions.has(rule.permission)) {
    throw forbidden(`Changing a ${current.status} article needs ${rule.permission}`, { reason: 'PUBLISH_REQUIRED' });
  }
  return current;
}

async function tagsOf(tx: Tx, viewer: Viewer, articleId: string): Promise<string[]> {
  return (await tagsOfArticles(tx, viewer, [articleId])).map((t) => t.name);
}

/** Append the article's new state to its history, in the mutation's transaction. */
export function recordVersion(
  tx: Tx,
  viewer: Viewer,
  row: ArticleRow,
  next: ArticleState,
  change: string,
  prev: ArticleState | null,
  restoredFrom?: number,
) {
  return insertVersion(tx, {
    tenantId: viewer.tenantId,
    articleId: row.id,
    version: row.version,
    change,
    changedFields: changedFields(prev, next),
    restoredFrom: restoredFrom ?? null,
    ...next,
    editedBy: viewer.userId,
  });
}

type ContentInput = {
  title?: string | null;
  body?: string | null;
  kind?: string | null;
  classification?: string | null;
  internalNotes?: string | null;
  tags?: readonly string[] | null;
};

function contentFields(input: ContentInput) {
  return {
    ...(input.title != null && { title: text(input.title, 'title', { max: 200 }) }),
    ...(input.body != null && { body: text(input.body, 'body', { max: 100_000 }) }),
    ...(input.kind != null && { kind: input.kind }),
    ...(input.classification != null && { classification: input.classification }),
    ...(input.internalNotes !== undefined && { internalNotes: optionalText(input.internalNotes, 'internalNotes', { max: 10_000 }) ?? null }),
  };
}

export type ArticleInput = ContentInput & PlacementInput & { title: string; body: string };

export async function createArticle(ctx: RequestContext, input: ArticleInput): Promise<ArticleRow> {
  const viewer = await ctx.requireViewer();
  // Validation runs inside the audited mutation, so a refused attempt is recorded too.
  return auditedMutation(ctx, { action: 'article.create', resourceType: 'Article' }, async (tx) => {
    const fields = contentFields(input);
    const tags = tagNames(input.tags ?? []);
    const place = await resolvePlacement(tx, viewer, input);
    const classification = fields.classification ?? place.category?.defaultClassification ?? place.space?.defaultClassification ?? 'INTERNAL';
    checkClearance(viewer.clearance, classification);
    const title = fields.title!;
    const body = fields.body!;
    const row = await insertArticle(tx, {
      tenantId: viewer.tenantId,
      title,
      body,
      kind: fields.kind ?? 'FAQ',
      classification,
      internalNotes: fields.internalNotes ?? null,
      authorId: viewer.userId,
      spaceId: place.spaceId,
      categoryId: place.categoryId,
      ownerTeamId: place.ownerTeamId,
      ...searchColumns(searchDocument({ title, body, tags })),
    });
    await setArticleTags(tx, viewer.tenantId, row.id, tags);
    await recordVersion(tx, viewer, row, stateOf(row, tags), 'CREATED', null);
    return { result: row, resourceIds: [row.id], detail: { classification: row.classification, version: 1 } };
  });
}

export type ArticlePatch = ContentInput & PlacementInput & { id: string };

export async function editArticle(ctx: RequestContext, input: ArticlePatch): Promise<ArticleRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'article.update', resourceType: 'Article' }, async (tx) => {
    const id = idOf(input.id, 'Article');
    const fields = contentFields(input);
    const newTags = input.tags != null ? tagNames(input.tags) : undefined;
    const current = await editableArticle(tx, viewer, id);
    if (fields.classification) checkClearance(viewer.clearance, fields.classification);
    const place = await resolvePlacement(tx, viewer, input, current);
    const prev = stateOf(current, await tagsOf(tx, viewer, id));
    const next: ArticleState = {
      ...prev,
      ...fields,
      spaceId: place.spaceId,
      categoryId: place.categoryId,
      ownerTeamId: place.ownerTeamId,
      tags: newTags ? [...newTags].sort() : prev.tags,
    };
    const changed = changedFields(prev, next);
    if (changed.length === 0) return { result: current, resourceIds: [id], detail: { fields: [] } };
    const row = await saveState(tx, viewer, current, prev, next);
    await recordVersion(tx, viewer, row, next, 'UPDATED', prev);
    return { result: row, resourceIds: [id], detail: { fields: changed } };
  });
}

/** Write a new state (content, placement, tags, search columns) and take the next version number. */
async function saveState(tx: Tx, viewer: Viewer, current: ArticleRow, prev: ArticleState, next: ArticleState): Promise<ArticleRow> {
  const { tags, ...columns } = next;
  const row = await updateArticle(tx, current.id, { ...columns, ...searchColumns(searchDocument(next)) });
  if (changedFields(prev, next).includes('tags')) await setArticleTags(tx, viewer.tenantId, current.id, tags);
  return row;
}

/** Bring back a version's content (not its workflow status) as a new version. */
export async function restoreVersion(ctx: RequestContext, globalId: string): Promise<ArticleRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'article.restore', resourceType: 'Article' }, async (tx) => {
    const versionId = idOf(globalId, 'ArticleVersion');
    const [version] = await versionsByIds(tx, viewer, [versionId]);
    if (!version) throw notFound('Version not found');
    const current = await editableArticle(tx, viewer, version.articleId);
    checkClearance(viewer.clearance, version.classification);
    const prev = stateOf(current, await tagsOf(tx, viewer, current.id));
    const next: ArticleState = {
      title: version.title,
      body: version.body,
      internalNotes: version.internalNotes,
      classification: version.classification,
      kind: version.kind,
      spaceId: version.spaceId,
      categoryId: version.categoryId,
      ownerTeamId: version.ownerTeamId,
      tags: [...version.tags].sort(),
      status: current.status,
    };
    const row = await saveState(tx, viewer, current, prev, next);
    await recordVersion(tx, viewer, row, next, 'RESTORED', prev, version.version);
    return { result: row, resourceIds: [row.id], detail: { restoredFrom: version.version, version: row.version } };
  });
}
