import { and, desc, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Page, Position } from '../lib/pagination';

type KeysetColumns = { createdAt: PgColumn; id: PgColumn };

/** Rows after a newest-first position: `(created_at, id) < (at, id)`, a row comparison the (…, created_at, id) indexes serve. */
export function afterPosition(columns: KeysetColumns, after: Position | null): SQL | undefined {
  return after ? sql`(${columns.createdAt}, ${columns.id}) < (${after.at}::timestamptz, ${after.id}::uuid)` : undefined;
}

/** Newest-first keyset paging on (created_at, id): the `where` part, the order and the cursor column. */
export function keyset(columns: KeysetColumns, page: Page, predicate: SQL) {
  return {
    where: and(predicate, afterPosition(columns, page.after)),
    orderBy: [desc(columns.createdAt), desc(columns.id)],
    limit: page.limit + 1,
    cursorAt: sql<string>`${columns.createdAt}::text`,
  };
}
