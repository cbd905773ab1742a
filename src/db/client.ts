import path from 'node:path';
import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import * as schema from './schema';
import { Listener } from './listener';
import { statementCounter } from './statements';
import { instrumentPostgres } from '../metrics/database';
import { preparingClient } from './prepare';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Either the database or a transaction: repos take this and never open their own. */
export type Executor = Db | Tx;

export type Unlisten = () => Promise<void>;

/** One database, whichever driver: postgres.js to a server, or embedded PGlite. */
export interface Database {
  kind: 'postgres' | 'pglite';
  db: Db;
  /**
   * LISTEN on a channel (a dedicated connection on PostgreSQL, re-established by itself when lost).
   * `onRestored` runs after LISTEN is back following a loss: notifications sent meanwhile are gone.
   */
  listen(channel: string, onPayload: (payload: string) => void, onRestored?: () => void): Promise<Unlisten>;
  /** False while the LISTEN connection is lost (readiness reports it). */
  listening(): boolean;
  /** Rows of a raw statement, the same shape on both drivers. */
  rows<T>(query: import('drizzle-orm').SQL): Promise<T[]>;
  /** PGlite only: the whole data directory as a tar archive (a snapshot to start another instance from). */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

/**
 * `loadDataDir` (PGlite only) starts from a dumped data directory instead of an empty one.
 * `prepare` (PostgreSQL only, default true): send statements as named prepared statements.
 * `listenHeartbeatMs` (PostgreSQL only): how often the LISTEN connection is checked (see Listener).
 */
export type DatabaseOptions = { url?: string; dataDir?: string; max?: number; loadDataDir?: Blob; prepare?: boolean; listenHeartbeatMs?: number };

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? createPostgres(options.url, options.max ?? 10, options.prepare ?? true, options.listenHeartbeatMs) : createPglite(options.dataDir, options.loadDataDir);
}

/**
 * How the pool reconnects. The driver's default backoff is shared by the pool and grows by 3x per
 * failed connection up to 20 s, so after a restart of a few seconds every request waited 10-20 s for
 * a connection attempt: here attempts are at most a second apart, so requests during an outage fail
 * (503) within about a second and work again within about a second of the database returning.
 * connect_timeout: a server that does not answer at all fails a request after 10 s, not 30.
 */
export const RECONNECT = { backoff: (attempt: number) => Math.min(0.05 * 2 ** attempt, 1), connect_timeout: 10 };

function createPostgres(url: string, max: number, prepare: boolean, listenHeartbeatMs: number | undefined): Database {
  const client = instrumentPostgres(postgres(url, { max, ...RECONNECT, onnotice: () => {}, connection: { application_name: 'warden' } }), max);
  const db = drizzlePostgres({ client: prepare ? preparingClient(client) : client, schema, logger: statementCounter }) as unknown as Db;
  let listener: Listener | undefined;
  return {
    kind: 'postgres',
    db,
    listen: (channel, onPayload, onRestored) => (listener ??= new Listener(url, listenHeartbeatMs)).listen(channel, onPayload, onRestored),
    listening: () => listener?.listening ?? true,
    async rows<T>(query: import('drizzle-orm').SQL) {
      return (await db.execute(query)) as unknown as T[];
    },
    async close() {
      await listener?.close();
      await client.end({ timeout: 5 });
    },
  };
}

async function createPglite(dataDir: string | undefined, loadDataDir: Blob | undefined): Promise<Database> {
  // `memory://` keeps nothing; a folder keeps the database between runs.
  if (dataDir && !dataDir.startsWith('memory://')) fs.mkdirSync(path.resolve(dataDir), { recursive: true });
  const client = await PGlite.create({ ...(dataDir ? { dataDir: dataDir.startsWith('memory://') ? dataDir : path.resolve(dataDir) } : {}), loadDataDir });
  const db = drizzlePglite({ client, schema, logger: statementCounter }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    async listen(channel, onPayload) {
      const unlisten = await client.listen(channel, onPayload);
      return () => unlisten();
    },
    // In process: there is no connection to lose.
    listening: () => true,
    async rows<T>(query: import('drizzle-orm').SQL) {
      return ((await db.execute(query)) as unknown as { rows: T[] }).rows;
    },
    dumpDataDir: () => client.dumpDataDir('none'),
    close: () => client.close(),
  };
}
