import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createDatabase, type Database } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';

/**
 * A fresh, migrated database for one test file: a new PostgreSQL database on the server in
 * TEST_DATABASE_URL (dropped afterwards), or an in-memory PGlite when it is not set.
 */
export async function createTestDatabase(): Promise<{ database: Database; url: string | undefined; drop(): Promise<void> }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const database = await createDatabase({ dataDir: 'memory://' });
    await migrate(database);
    return { database, url: undefined, drop: () => database.close() };
  }
  const name = `warden_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await createDatabase({ url: url.toString(), max: 5 });
  await migrate(database);
  return {
    database,
    url: url.toString(),
    async drop() {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
