import { and, desc, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Tx } from '../db/client';
import { lateralPages } from '../db/lateral';
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

/**
 * The same newest-first keyset page, one per parent in one statement (a LATERAL join, db/lateral.ts):
 * rows carry `parentId` and the cursor column `toConnection` expects. `childWhere` ties a child to its
 * parent and must carry the policy's predicate; the position and the order are added here.
 */
export function keysetPages<T>(
  tx: Tx,
  opts: {
    parent: PgTable;
    parentId: PgColumn;
    parentIds: readonly string[];
    child: PgTable & KeysetColumns;
    childColumns: Record<string, PgColumn | SQL> & KeysetColumns;
    childWhere: SQL;
    page: { limit: number; after: Position | null };
  },
): Promise<(T & { cursorAt: string; parentId: string })[]> {
  const { page, ...rest } = opts;
  return lateralPages<T & { cursorAt: string }>(tx, {
    ...rest,
    childColumns: { ...opts.childColumns, cursorAt: sql`${opts.child.createdAt}::text` },
    childWhere: and(opts.childWhere, afterPosition(opts.child, page.after))!,
    orderBy: ['createdAt', 'id'],
    limit: page.limit + 1,
  });
}
