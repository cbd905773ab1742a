import { and, desc, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Page } from '../lib/pagination';

/** Newest-first keyset paging on (created_at, id): the `where` part, the order and the cursor column. */
export function keyset(columns: { createdAt: PgColumn; id: PgColumn }, page: Page, predicate: SQL) {
  const after = page.after
    ? sql`(${columns.createdAt}, ${columns.id}) < (${page.after.at}::timestamptz, ${page.after.id}::uuid)`
    : undefined;
  return {
    where: and(predicate, after),
    orderBy: [desc(columns.createdAt), desc(columns.id)],
    limit: page.limit + 1,
    cursorAt: sql<string>`${columns.createdAt}::text`,
  };
}
