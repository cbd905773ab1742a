import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { articles, articleTags, tags } from '../../db/schema';
import { articleReadPredicate, knowledgeStructurePredicate } from '../../authz/predicates';
import type { Viewer } from '../../authz/viewer';
import type { Page } from '../../lib/pagination';
import { keyset } from '../keyset';

const tagColumns = { id: tags.id, name: tags.name, createdAt: tags.createdAt };
export type TagRow = { id: string; name: string; createdAt: Date };

export async function listTags(tx: Tx, viewer: Viewer, page: Page) {
  const k = keyset(tags, page, knowledgeStructurePredicate(viewer, tags));
  return tx.select({ ...tagColumns, cursorAt: k.cursorAt }).from(tags).where(k.where).orderBy(...k.orderBy).limit(k.limit);
}

export async function tagsByIds(tx: Tx, viewer: Viewer, ids: readonly string[]): Promise<TagRow[]> {
  if (ids.length === 0) return [];
  return tx.select(tagColumns).from(tags).where(and(knowledgeStructurePredicate(viewer, tags), inArray(tags.id, [...ids])));
}

/** The tags of each article the viewer may read, by name. */
export async function tagsOfArticles(tx: Tx, viewer: Viewer, articleIds: readonly string[]) {
  if (articleIds.length === 0) return [];
  return tx
    .select({ articleId: articleTags.articleId, ...tagColumns })
    .from(articleTags)
    .innerJoin(tags, and(eq(tags.tenantId, articleTags.tenantId), eq(tags.id, articleTags.tagId)))
    .innerJoin(articles, and(eq(articles.tenantId, articleTags.tenantId), eq(articles.id, articleTags.articleId)))
    .where(and(articleReadPredicate(viewer, articles), inArray(articleTags.articleId, [...articleIds])))
    .orderBy(asc(tags.name));
}

/** Replace an article's tags by these names, creating tags that do not exist yet. */
export async function setArticleTags(tx: Tx, tenantId: string, articleId: string, names: readonly string[]): Promise<void> {
  await tx.delete(articleTags).where(eq(articleTags.articleId, articleId));
  if (names.length === 0) return;
  await tx.insert(tags).values(names.map((name) => ({ tenantId, name }))).onConflictDoNothing();
  await tx.execute(sql`
    insert into ${articleTags} (tenant_id, article_id, tag_id)
    select ${tenantId}::uuid, ${articleId}::uuid, ${tags.id} from ${tags} where ${and(eq(tags.tenantId, tenantId), inArray(tags.name, [...names]))}`);
}
