import { randomBytes } from 'node:crypto';
import net from 'node:net';
import postgres from 'postgres';
import WebSocket from 'ws';
import { sql } from 'drizzle-orm';
import { createDatabase, type Database } from '../../src/db/client';
import { migrate, migrationStatus } from '../../src/db/migrate';
import { withDatabaseName } from '../../src/db/url';
import { setLogSink } from '../../src/lib/logger';
import { untilMigrated } from '../../src/server/standby';
import { startWarden } from '../testkit/process';
import { TEST_MASTER_KEY } from '../testkit/server';
import { httpGet } from '../testkit/warden-process';

/**
 * Migrations as their own step: migrators started together apply each migration once, and a server
 * whose database is behind answers 503 (readiness and GraphQL) until the migrations are in.
 */
const serverUrl = process.env.TEST_DATABASE_URL;
const onPostgres = serverUrl ? describe : describe.skip;

/** A database nobody has migrated: a new PostgreSQL database (dropped afterwards), or an in-memory PGlite. */
async function freshDatabase(): Promise<{ url: string | undefined; open(): Promise<Database>; drop(): Promise<void> }> {
  const opened: Database[] = [];
  if (!serverUrl) {
    const database = await createDatabase({ dataDir: 'memory://' });
    return { url: undefined, open: async () => database, drop: () => database.close() };
  }
  const name = `warden_m_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = withDatabaseName(serverUrl, name);
  return {
    url,
    async open() {
      const database = await createDatabase({ url, max: 2 });
      opened.push(database);
      return database;
    },
    async drop() {
      for (const d of opened) await d.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

const appliedRows = async (database: Database) =>
  database.rows<{ created_at: string }>(sql`select created_at::text from drizzle.__drizzle_migrations order by id`);

onPostgres('migrators started together on a fresh PostgreSQL database', () => {
  it('both succeed and every migration is applied exactly once', async () => {
    const fresh = await freshDatabase();
    try {
      const [a, b, c] = [await fresh.open(), await fresh.open(), await fresh.open()];
      const results = await Promise.allSettled([migrate(a), migrate(b), migrate(c)]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      const { expected } = await migrationStatus(a);
      // One migrator did all the work; the others found nothing left.
      const counts = results.map((r) => (r as PromiseFulfilledResult<{ applied: number }>).value.applied).sort((x, y) => y - x);
      expect(counts).toEqual([expected, 0, 0]);
      const rows = await appliedRows(a);
      expect(rows).toHaveLength(expected);
      expect(new Set(rows.map((r) => r.created_at)).size).toBe(expected);
      expect(await migrationStatus(b)).toEqual({ expected, applied: expected });
    } finally {
      await fresh.drop();
    }
  });
});

describe('a server whose database is behind its migrations', () => {
  it('answers 503 on /readyz and SERVICE_UNAVAILABLE on /graphql, with a clear log line, until they are applied', async () => {
    const fresh = await freshDatabase();
    const lines: string[] = [];
    setLogSink((_level, line) => lines.push(line));
    try {
      const database = await fresh.open();
      expect(await migrationStatus(database)).toMatchObject({ applied: 0 });
      let started = false;
      const waiting = untilMigrated(database, { port: 0, host: '127.0.0.1' }, 50).then(() => (started = true));
      while (!lines.some((l) => l.includes('/readyz'))) await new Promise((r) => setTimeout(r, 20));
      const line = JSON.parse(lines.find((l) => l.includes('/readyz'))!) as { level: string; msg: string };
      expect(line.level).toBe('error');
      expect(line.msg).toMatch(/behind this version's migrations \(0 of \d+ applied\): not serving/);
      const base = /(http:\/\/\S+?)\/readyz/.exec(line.msg)![1];

      const ready = await httpGet(`${base}/readyz`);
      expect(ready).toMatchObject({ status: 503, body: { status: 'migrations pending', migrations: { applied: 0 } } });
      const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ viewer { id } }"}' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
      expect((await httpGet(`${base}/healthz`)).status).toBe(200);
      const upgrade = await new Promise<number | undefined>((resolve) => {
        const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
        socket.on('unexpected-response', (_req, res) => resolve(res.statusCode));
        socket.on('open', () => resolve(undefined));
        socket.on('error', () => {});
      });
      expect(upgrade).toBe(503);
      expect(started).toBe(false);

      await migrate(await fresh.open());
      await waiting;
      expect(lines.some((l) => l.includes('database migrations applied; starting'))).toBe(true);
      // The port is free again for the real server.
      await expect(fetch(`${base}/readyz`)).rejects.toThrow();
    } finally {
      setLogSink();
      await fresh.drop();
    }
  });

  it('returns at once, serving nothing, when the database is up to date or ahead (a newer version migrated it)', async () => {
    const fresh = await freshDatabase();
    const lines: string[] = [];
    setLogSink((_level, line) => lines.push(line));
    try {
      const database = await fresh.open();
      await migrate(database);
      await untilMigrated(database, { port: 0, host: '127.0.0.1' });
      expect(await migrate(database)).toEqual({ applied: 0 });
      await database.rows(sql`insert into drizzle.__drizzle_migrations (hash, created_at) values ('from a newer version', ${Date.now() + 86_400_000})`);
      const { expected } = await migrationStatus(database);
      expect(await migrationStatus(database)).toEqual({ expected, applied: expected + 1 });
      await untilMigrated(database, { port: 0, host: '127.0.0.1' });
      expect(lines).toEqual([]);
    } finally {
      setLogSink();
      await fresh.drop();
    }
  });
});

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

onPostgres('a Warden process started with WARDEN_MIGRATE=false on a fresh PostgreSQL database', () => {
  it('waits with /readyz 503, then serves on the same port once the migrations are applied', async () => {
    const fresh = await freshDatabase();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const warden = startWarden({ DATABASE_URL: fresh.url!, PORT: String(port), WARDEN_MIGRATE: 'false', WARDEN_MASTER_KEY: TEST_MASTER_KEY, WARDEN_SEED_DEMO: 'never' });
    warden.catch(() => {});
    try {
      const pause = () => new Promise<undefined>((r) => setTimeout(() => r(undefined), 100));
      let standby: { status: number; body: unknown } | undefined;
      // Until the process listens, the connection is refused.
      for (let i = 0; i < 500 && !standby; i++) standby = await httpGet(`${base}/readyz`).catch(pause);
      expect(standby).toMatchObject({ status: 503, body: { status: 'migrations pending', migrations: { applied: 0 } } });
      const gql = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ viewer { id } }"}' });
      expect(gql.status).toBe(503);

      await migrate(await fresh.open());
      const serving = await warden;
      expect(serving.url).toMatch(new RegExp(`:${port}/graphql$`));
      expect(serving.output()).toMatch(/behind this version's migrations \(0 of \d+ applied\): not serving/);
      expect(serving.output()).toContain('database migrations applied; starting');
      expect(await httpGet(`${base}/readyz`)).toMatchObject({ status: 200, body: { status: 'ready' } });
      serving.child.kill('SIGKILL');
      await serving.exited;
    } finally {
      await warden.then((w) => (w.child.exitCode === null ? (w.child.kill('SIGKILL'), w.exited) : undefined)).catch(() => {});
      await fresh.drop();
    }
  });
});
