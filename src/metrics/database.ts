import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { Gauge, Histogram } from 'prom-client';
import type { Database } from '../db/client';
import { logger } from '../lib/logger';
import { traceQuery } from '../tracing/db';
import { registry } from './registry';

/**
 * postgres.js keeps its pool's state private, so what is reported here is what Warden itself puts on
 * the pool: transactions in flight (each holds one connection while it runs, or waits for one) and
 * statements in flight, against the pool's size. Statement durations include any wait for a connection.
 * PGlite (one embedded connection) is not instrumented.
 */
const poolMax = new Gauge({ name: 'warden_db_pool_max', help: 'Size of the PostgreSQL connection pool (postgres.js max)', registers: [registry] });
const transactions = new Gauge({ name: 'warden_db_transactions_in_flight', help: 'Transactions holding or waiting for a pool connection', registers: [registry] });
const queries = new Gauge({ name: 'warden_db_queries_in_flight', help: 'SQL statements sent and not yet answered', registers: [registry] });
const queryDuration = new Histogram({
  name: 'warden_db_query_duration_seconds',
  help: 'SQL statement duration, from being sent (or queued for a connection) to its answer',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

type Thenable = { then(onFulfilled?: unknown, onRejected?: unknown): unknown };

/**
 * postgres.js queries are lazy promises: they run when first awaited, after drizzle has chained
 * `.values()` onto them. The timer starts at that first `then`, on the query itself, so the chaining is
 * left as it is.
 */
function timed<Q extends Thenable>(query: Q, text: string): Q {
  const then = query.then;
  let started = false;
  query.then = function (this: Q, onFulfilled?: unknown, onRejected?: unknown) {
    if (!started) {
      started = true;
      const t0 = performance.now();
      queries.inc();
      // Its span, when tracing is on (the statement text only, never its parameters).
      const traced = traceQuery(text);
      const done = (err?: unknown) => {
        queries.dec();
        queryDuration.observe((performance.now() - t0) / 1000);
        traced?.(err);
      };
      then.call(this, () => done(), done);
    }
    return then.call(this, onFulfilled, onRejected);
  };
  return query;
}

type Fn = (...args: unknown[]) => unknown;

/** The postgres.js client with its statements and transactions counted, and traced (the same object otherwise). */
export function instrumentPostgres<T extends object>(client: T, max?: number): T {
  if (max !== undefined) poolMax.set(max);
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as Fn;
      if (prop === 'unsafe') return (...args: unknown[]) => timed(fn.apply(target, args) as Thenable, String(args[0]));
      if (prop === 'begin' || prop === 'savepoint') {
        return (...args: unknown[]) => {
          const body = args.pop() as Fn;
          const run = fn.apply(target, [...args, (tx: object) => body(instrumentPostgres(tx))]) as Promise<unknown>;
          if (prop === 'savepoint') return run;
          transactions.inc();
          return run.finally(() => transactions.dec());
        };
      }
      return value;
    },
  });
}

/**
 * Rows in the audit outbox, from PostgreSQL's statistics (n_live_tup): a count(*) would see only the
 * current tenant's rows (row-level security is forced). Events pass through the outbox inside their
 * transaction and leave it at commit, so this stays at 0; anything else means the flush trigger is not
 * running. Collected on scrape with a timeout; a failure leaves the gauge at -1 and logs a warning.
 */
const OUTBOX_TIMEOUT_MS = 1000;
let watched: Database | undefined;
new Gauge({
  name: 'warden_audit_outbox_depth',
  help: 'Committed rows left in audit_outbox (should be 0; -1: could not be read)',
  registers: [registry],
  async collect() {
    if (!watched) return;
    this.set(await outboxDepth(watched));
  },
});

async function outboxDepth(database: Database): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('audit outbox depth timed out')), OUTBOX_TIMEOUT_MS);
  });
  try {
    const read = database.rows<{ n: number | string | null }>(sql`select n_live_tup as n from pg_stat_user_tables where relname = 'audit_outbox'`);
    const [row] = await Promise.race([read, timeout]);
    return Number(row?.n ?? 0);
  } catch (err) {
    logger.warn('audit outbox depth not collected', { err });
    return -1;
  } finally {
    clearTimeout(timer);
  }
}

/** Read the outbox depth of this database on scrape (the latest started server's, in a test process with several). */
export function watchDatabase(database: Database): () => void {
  watched = database;
  return () => {
    if (watched === database) watched = undefined;
  };
}
