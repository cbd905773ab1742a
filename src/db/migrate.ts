import path from 'node:path';
import fs from 'node:fs';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { Database } from './client';

export const MIGRATIONS_FOLDER = path.resolve(__dirname, '../../drizzle');

/**
 * The advisory lock migrators take (an arbitrary constant, the same in every version): instances
 * started together apply the migrations one after the other, and the later ones find nothing left.
 */
export const MIGRATION_LOCK = 7_297_610_301;

/**
 * Apply drizzle/ migrations, identically on PostgreSQL and PGlite, in one transaction that first
 * takes MIGRATION_LOCK. The bookkeeping is drizzle's own (drizzle.__drizzle_migrations: a migration
 * is applied when its folder time is later than the last one recorded), so databases migrated by
 * drizzle's migrator carry on; drizzle's migrator itself takes no lock, and two of them starting
 * on a fresh database race on creating its schema.
 */
export async function migrate(database: Database): Promise<{ applied: number }> {
  const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  return database.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await tx.execute(sql`create schema if not exists drizzle`);
    await tx.execute(sql`create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`);
    const last = await tx.execute(sql`select max(created_at)::text as at from drizzle.__drizzle_migrations`);
    const lastAt = Number(rowsOf<{ at: string | null }>(last)[0]?.at ?? 0);
    let applied = 0;
    for (const migration of migrations) {
      if (migration.folderMillis <= lastAt) continue;
      for (const statement of migration.sql) await tx.execute(sql.raw(statement));
      await tx.execute(sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${migration.hash}, ${migration.folderMillis})`);
      applied++;
    }
    return { applied };
  });
}

/** postgres.js returns the rows, PGlite an object holding them. */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}

export type MigrationStatus = { expected: number; applied: number };

/** Migrations in drizzle/ and how many the database has applied (0 on a database never migrated). */
export async function migrationStatus(database: Database): Promise<MigrationStatus> {
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as {
    entries: unknown[];
  };
  const [table] = await database.rows<{ present: boolean }>(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`);
  const rows = table?.present ? await database.rows<{ n: number | string }>(sql`select count(*)::int as n from drizzle.__drizzle_migrations`) : [];
  return { expected: journal.entries.length, applied: Number(rows[0]?.n ?? 0) };
}

/** True when the database lacks migrations this version has (one ahead of it is served: rolling deploys). */
export const isBehind = (m: MigrationStatus) => m.applied < m.expected;
