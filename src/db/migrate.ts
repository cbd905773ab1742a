import path from 'node:path';
import fs from 'node:fs';
import { sql } from 'drizzle-orm';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { Database } from './client';

export const MIGRATIONS_FOLDER = path.resolve(__dirname, '../../drizzle');

/** Apply drizzle/ migrations, identically on PostgreSQL and PGlite. */
export async function migrate(database: Database): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_FOLDER };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db = database.db as any;
  if (database.kind === 'pglite') await migratePglite(db, config);
  else await migratePostgres(db, config);
}

/** Number of migrations in drizzle/ and how many the database has applied (for /readyz). */
export async function migrationStatus(database: Database): Promise<{ expected: number; applied: number }> {
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as {
    entries: unknown[];
  };
  const rows = await database.rows<{ n: number | string }>(
    sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
  );
  return { expected: journal.entries.length, applied: Number(rows[0]?.n ?? 0) };
}
