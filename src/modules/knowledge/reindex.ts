import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { articles, articleTags, tags, tenants } from '../../db/schema';
import { withTenantTx } from '../../db/tenant-tx';
import { searchColumns } from './article.repo';
import { searchDocument } from './search-text';

/**
 * Give articles written before full-text search existed (no search_vector) their vector. The segmenter
 * lives in the application, so a SQL migration cannot do it; start-up does, tenant by tenant, as the
 * application role. Articles written through the API always have one.
 */
export async function indexUnindexedArticles(db: Db): Promise<number> {
  const all = await withTenantTx(db, null, (tx) => tx.select({ id: tenants.id }).from(tenants));
  let count = 0;
  for (const { id: tenantId } of all) {
    count += await withTenantTx(db, tenantId, async (tx) => {
      const rows = await tx.select({ id: articles.id, title: articles.title, body: articles.body }).from(articles).where(isNull(articles.searchVector));
      for (const row of rows) {
        const tagRows = await tx
          .select({ name: tags.name })
          .from(articleTags)
          .innerJoin(tags, and(eq(tags.tenantId, articleTags.tenantId), eq(tags.id, articleTags.tagId)))
          .where(eq(articleTags.articleId, row.id));
        const doc = searchDocument({ ...row, tags: tagRows.map((t) => t.name) });
        await tx.update(articles).set(searchColumns(doc)).where(eq(articles.id, row.id));
      }
      return rows.length;
    });
  }
  return count;
}
