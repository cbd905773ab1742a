import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createDatabase, type Database } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { withDatabaseName } from '../../src/db/url';
import { pgliteDump, templates } from './templates';

/**
 * A fresh, migrated database for one test file: a new PostgreSQL database on the server in
 * TEST_DATABASE_URL (dropped afterwards), or an in-memory PGlite when it is not set. With
 * `demo`, the demo tenant is in it. Both are copies of what the global setup prepared once; without
 * that setup (a test run by other means) the database is migrated here and `demo` is not available.
 */
export async function createTestDatabase(opts: { demo?: boolean } = {}): Promise<{ database: Database; url: string | undefined; seeded: boolean; drop(): Promise<void> }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  const prepared = templates();
  const source = prepared && (opts.demo ? prepared.demo : prepared.bare);
  const seeded = Boolean(opts.demo && source);
  if (!serverUrl) {
    const database = await createDatabase({ dataDir: 'memory://', loadDataDir: source ? pgliteDump(source) : undefined });
    if (!source) await migrate(database);
    return { database, url: undefined, seeded, drop: () => database.close() };
  }
  const name = `warden_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(source ? `create database ${name} template ${source}` : `create database ${name}`);
  const url = withDatabaseName(serverUrl, name);
  const database = await createDatabase({ url, max: 5 });
  if (!source) await migrate(database);
  return {
    database,
    url,
    seeded,
    async drop() {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
