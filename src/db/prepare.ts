import type postgres from 'postgres';

/**
 * At most this many distinct statement texts are prepared per process; later new texts go out unnamed.
 * postgres.js keeps a connection's prepared statements until the connection closes (max_lifetime,
 * 30 to 60 minutes), and a text differs with every list length (`in ($1, $2, …)`), so without a cap a
 * long-lived connection could keep thousands of plans in its backend (about 30 kB each).
 */
export const MAX_PREPARED_TEXTS = 500;

/**
 * A statement whose text starts with this comment always goes out unnamed, so PostgreSQL plans it with
 * its parameters' values: for statements whose best plan depends on them (a search term found in one
 * article or in thousands), where a cached generic plan, made without the values, would suit neither.
 */
export const PLAN_PER_CALL = '/* plan per call */ ';

/**
 * The postgres.js client with every statement drizzle sends made a named prepared statement, in the
 * transactions and savepoints it opens too. drizzle's postgres-js driver asks for `prepare: false`
 * unless a query was given a name (https://github.com/drizzle-team/drizzle-orm/issues/6096), so
 * PostgreSQL would parse and plan each statement again, and postgres.js would spend an extra round
 * trip describing each statement with parameters.
 */
export function preparingClient(client: postgres.Sql, max = MAX_PREPARED_TEXTS, prepared = new Set<string>()): postgres.Sql {
  const prepare = (query: string) => !query.startsWith(PLAN_PER_CALL) && (prepared.has(query) || (prepared.size < max && prepared.add(query) !== undefined));
  type Callback = (sql: postgres.Sql) => unknown;
  // begin(fn) or begin(options, fn); savepoint(fn) or savepoint(name, fn): the callback comes last.
  const wrapLast = (method: (...args: unknown[]) => unknown) => (...args: unknown[]) => {
    const fn = args.pop() as Callback;
    return method(...args, (sql: postgres.Sql) => fn(preparingClient(sql, max, prepared)));
  };
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = target[property as keyof postgres.Sql];
      if (property === 'unsafe') {
        return (query: string, params?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) =>
          target.unsafe(query, params, { ...options, prepare: prepare(query) });
      }
      if ((property === 'begin' || property === 'savepoint') && typeof value === 'function') {
        return wrapLast((value as (...args: unknown[]) => unknown).bind(target));
      }
      return value;
    },
  });
}
