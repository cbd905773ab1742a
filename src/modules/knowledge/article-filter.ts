import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { articles, articleTags, tags } from '../../db/schema';
import { subtreeIds } from './structure.repo';

/** An article filter after validation: ids are uuids of objects the viewer may see. */
export type ArticleFilterValues = {
  spaceId?: string;
  categoryId?: string;
  includeSubcategories?: boolean;
  kinds?: readonly string[];
  statuses?: readonly string[];
  classifications?: readonly string[];
  tags?: readonly string[];
};

/** The filter as SQL on `articles`; it only narrows, the policy's predicate is always added beside it. */
export function articleFilterSql(f: ArticleFilterValues): SQL | undefined {
  return and(
    f.spaceId ? eq(articles.spaceId, f.spaceId) : undefined,
    f.categoryId
      ? f.includeSubcategories === false
        ? eq(articles.categoryId, f.categoryId)
        : sql`${articles.categoryId} in ${subtreeIds(f.categoryId)}`
      : undefined,
    f.kinds?.length ? inArray(articles.kind, [...f.kinds]) : undefined,
    f.statuses?.length ? inArray(articles.status, [...f.statuses]) : undefined,
    f.classifications?.length ? inArray(articles.classification, [...f.classifications]) : undefined,
    f.tags?.length
      ? sql`(select count(*) from ${articleTags} join ${tags} on ${tags.tenantId} = ${articleTags.tenantId} and ${tags.id} = ${articleTags.tagId}
             where ${articleTags.tenantId} = ${articles.tenantId} and ${articleTags.articleId} = ${articles.id} and ${inArray(tags.name, [...f.tags])}) = ${f.tags.length}`
      : undefined,
  );
}
