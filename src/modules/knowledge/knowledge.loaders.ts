import { and, eq } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { articles, categories } from '../../db/schema';
import { articleReadPredicate } from '../../authz/predicates';
import type { Viewer } from '../../authz/viewer';
import type { Page } from '../../lib/pagination';
import { groupLoader, pageLoader, rowLoader, type LoaderContext } from '../../server/tenant-loaders';
import { keysetPages } from '../keyset';
import { articleBodiesByIds, articleListColumns, articlesByIds, type ArticleParent } from './article.repo';
import { attachmentsByIds, attachmentsOfArticles, relatedOfArticles } from './links.repo';
import { categoriesByIds, childCategories, rootCategories, spacesByIds, type CategoryRow } from './structure.repo';
import { tagsByIds, tagsOfArticles } from './tag.repo';
import { latestVersions, versionPages, versionsByIds } from './version.repo';

/** A page of the readable articles filed in each category, newest first, in one statement. */
function articlePagesOfCategories(tx: Tx, viewer: Viewer, categoryIds: readonly string[], page: Page) {
  return keysetPages<ArticleParent>(tx, {
    parent: categories,
    parentId: categories.id,
    parentIds: categoryIds,
    child: articles,
    childColumns: articleListColumns,
    childWhere: and(eq(articles.tenantId, categories.tenantId), eq(articles.categoryId, categories.id), articleReadPredicate(viewer, articles))!,
    page,
  });
}

/** Per-request loaders of the knowledge base: every relation of Article, Space and Category. */
export function knowledgeLoaders(ctx: LoaderContext) {
  const article = rowLoader<ArticleParent>(ctx, articlesByIds, (r) => r.id);
  const articleVersion = rowLoader(ctx, versionsByIds, (r) => r.id);
  const category = rowLoader(ctx, categoriesByIds, (r) => r.id);
  const primeArticles = (rows: ArticleParent[]) => rows.forEach((r) => article.prime(r.id, r));
  const primeCategories = (rows: CategoryRow[]) => rows.forEach((r) => category.prime(r.id, r));
  return {
    article,
    articleBody: rowLoader(ctx, articleBodiesByIds, (r) => r.id),
    articleVersion,
    category,
    space: rowLoader(ctx, spacesByIds, (r) => r.id),
    tag: rowLoader(ctx, tagsByIds, (r) => r.id),
    attachment: rowLoader(ctx, attachmentsByIds, (r) => r.id),
    latestVersion: rowLoader(ctx, latestVersions, (r) => r.articleId),
    tagsOfArticle: groupLoader(ctx, tagsOfArticles, (r) => r.articleId),
    relatedOfArticle: groupLoader(ctx, relatedOfArticles, (r) => r.sourceId, primeArticles),
    attachmentsOfArticle: groupLoader(ctx, attachmentsOfArticles, (r) => r.articleId),
    rootCategoriesOfSpace: groupLoader(ctx, rootCategories, (r) => r.spaceId, primeCategories),
    childrenOfCategory: groupLoader(ctx, childCategories, (r) => r.parentId ?? '', primeCategories),
    articlesOfCategory: pageLoader(ctx, articlePagesOfCategories, primeArticles),
    versionsOfArticle: pageLoader(ctx, versionPages, (rows) => rows.forEach((r) => articleVersion.prime(r.id, r))),
  };
}

export type KnowledgeLoaders = ReturnType<typeof knowledgeLoaders>;
