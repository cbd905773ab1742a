import { sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Tx } from './client';
import { queryRows } from './rows';

/** `col as "key", …` for a raw select, so rows come back with the same keys as a Drizzle select. */
export function selectList(columns: Record<string, PgColumn | SQL>): SQL {
  return sql.join(
    Object.entries(columns).map(([key, col]) => sql`${col} as ${sql.identifier(key)}`),
    sql`, `,
  );
}

/**
 * One page of children for each of many parents in a single statement (a LATERAL join), so a list of
 * parents with a paginated relation costs one statement however long either list is. `childWhere` may
 * refer to the parent table's columns; it must carry the policy's predicate for the children.
 */
export async function lateralPages<T>(
  tx: Tx,
  opts: {
    parent: PgTable;
    parentId: PgColumn;
    parentIds: readonly string[];
    child: PgTable;
    childColumns: Record<string, PgColumn | SQL>;
    childWhere: SQL;
    /** Keys of `childColumns`, all descending (newest or highest first). */
    orderBy: string[];
    limit: number;
  },
): Promise<(T & { parentId: string })[]> {
  if (opts.parentIds.length === 0) return [];
  const ids = sql.join(opts.parentIds.map((id) => sql`${id}`), sql`, `);
  const inner = sql.join(opts.orderBy.map((k) => sql`${opts.childColumns[k]} desc`), sql`, `);
  // The inner order picks each page; the outer one keeps it in the result, which a join need not do.
  const outer = sql.join(opts.orderBy.map((k) => sql`c.${sql.identifier(k)} desc`), sql`, `);
  return queryRows<T & { parentId: string }>(
    tx,
    sql`select ${opts.parentId} as "parentId", c.* from ${opts.parent}
        cross join lateral (
          select ${selectList(opts.childColumns)} from ${opts.child}
          where ${opts.childWhere}
          order by ${inner}
          limit ${opts.limit}
        ) c
        where ${opts.parentId} in (${ids})
        order by 1, ${outer}`,
  );
}
