import postgres from 'postgres';
import { databaseNameOf, withDatabaseName } from '../src/db/url';

/**
 * The S6 comparison database: a fresh copy of the benchmark database (CREATE DATABASE … TEMPLATE) with
 * row-level security disabled on every table, made by the benchmark before the servers start. The
 * application's statements and roles are unchanged; only the policies are gone. Returns its URL.
 */
export async function prepareNoRlsCopy(url: string): Promise<{ url: string; copiedMs: number }> {
  const started = Date.now();
  const source = databaseNameOf(url);
  const copy = `${source}_norls`;
  const admin = postgres(withDatabaseName(url, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${copy} with (force)`);
    // FILE_COPY: a plain file copy after a checkpoint, much faster than WAL-logging every block.
    await admin.unsafe(`create database ${copy} template ${source} strategy file_copy`);
  } finally {
    await admin.end();
  }
  const target = withDatabaseName(url, copy);
  const db = postgres(target, { max: 1, onnotice: () => {} });
  try {
    const tables = await db<{ name: string }[]>`
      select quote_ident(relname) as name from pg_class
      where relkind in ('r', 'p') and relrowsecurity and relnamespace = 'public'::regnamespace`;
    if (tables.length === 0) throw new Error(`${source} has no table with row-level security: is it a Warden database?`);
    for (const t of tables) await db.unsafe(`alter table ${t.name} no force row level security, disable row level security`);
    await db.unsafe('analyze');
  } finally {
    await db.end();
  }
  return { url: target, copiedMs: Date.now() - started };
}
