import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { lateralPages } from '../../db/lateral';
import { articles, articleVersions } from '../../db/schema';
import { articleVersionReadPredicate } from '../../authz/predicates';
import type { Viewer } from '../../authz/viewer';

export const versionColumns = {
  id: articleVersions.id,
  articleId: articleVersions.articleId,
  version: articleVersions.version,
  change: articleVersions.change,
  changedFields: articleVersions.changedFields,
  restoredFrom: articleVersions.restoredFrom,
  title: articleVersions.title,
  body: articleVersions.body,
  internalNotes: articleVersions.internalNotes,
  classification: articleVersions.classification,
  status: articleVersions.status,
  kind: articleVersions.kind,
  spaceId: articleVersions.spaceId,
  categoryId: articleVersions.categoryId,
  ownerTeamId: articleVersions.ownerTeamId,
  tags: articleVersions.tags,
  editedBy: articleVersions.editedBy,
  createdAt: articleVersions.createdAt,
};

/** The article's policy columns beside each version read: a version is decided as its article (resources.ts). */
const articlePolicyColumns = {
  articleClassification: articles.classification,
  articleAuthorId: articles.authorId,
  articleTeamId: articles.ownerTeamId,
  articleSpaceId: articles.spaceId,
};
const readColumns = { ...versionColumns, ...articlePolicyColumns };

/** A version as read (with its article's policy columns), or as written (without: not for GraphQL). */
export type VersionRow = { [K in keyof typeof versionColumns]: (typeof articleVersions.$inferSelect)[K] } & Partial<Record<keyof typeof articlePolicyColumns, string | null>>;

const joinArticle = and(eq(articles.tenantId, articleVersions.tenantId), eq(articles.id, articleVersions.articleId));

export async function insertVersion(tx: Tx, values: typeof articleVersions.$inferInsert): Promise<VersionRow> {
  const [row] = await tx.insert(articleVersions).values(values).returning(versionColumns);
  return row;
}

export async function versionsByIds(tx: Tx, viewer: Viewer, ids: readonly string[]): Promise<VersionRow[]> {
  if (ids.length === 0) return [];
  return tx
    .select(readColumns)
    .from(articleVersions)
    .innerJoin(articles, joinArticle)
    .where(and(articleVersionReadPredicate(viewer, articles, articleVersions), inArray(articleVersions.id, [...ids])));
}

/** The current version of each article, where the viewer may read it. */
export async function latestVersions(tx: Tx, viewer: Viewer, articleIds: readonly string[]): Promise<VersionRow[]> {
  if (articleIds.length === 0) return [];
  return tx
    .select(readColumns)
    .from(articleVersions)
    .innerJoin(articles, and(joinArticle, eq(articles.version, articleVersions.version)))
    .where(and(articleVersionReadPredicate(viewer, articles, articleVersions), inArray(articles.id, [...articleIds])));
}

/** A page of versions (highest number first) for each article, in one statement. */
export async function versionPages(tx: Tx, viewer: Viewer, articleIds: readonly string[], page: { limit: number; before: number | null }) {
  return lateralPages<VersionRow>(tx, {
    parent: articles,
    parentId: articles.id,
    parentIds: articleIds,
    child: articleVersions,
    childColumns: readColumns,
    childWhere: and(
      eq(articleVersions.tenantId, articles.tenantId),
      eq(articleVersions.articleId, articles.id),
      articleVersionReadPredicate(viewer, articles, articleVersions),
      page.before === null ? undefined : sql`${articleVersions.version} < ${page.before}`,
    )!,
    orderBy: ['version'],
    limit: page.limit + 1,
  });
}
