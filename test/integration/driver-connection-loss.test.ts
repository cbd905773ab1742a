import postgres from 'postgres';
import { isDatabaseUnavailable } from '../../src/db/unavailable';
import { createTestDatabase } from '../testkit/database';
import { TcpProxy } from '../testkit/tcp-proxy';

/**
 * The database driver when the connection a transaction holds is lost (postgres.js 3.4.9 as patched in
 * patches/, porsager/postgres#1186 and PR #1215). Unpatched, a query queued inside the transaction
 * never settled (the request waiting on it was never answered), and the transaction's callback, still
 * running, sent its later statements and its COMMIT over the connection the pool had reconnected for
 * other work: outside any transaction, as the login role, or inside someone else's transaction.
 */
const serverUrl = process.env.TEST_DATABASE_URL;
const describePg = serverUrl ? describe : describe.skip;
if (!serverUrl) {
  // A broken TCP connection to a PostgreSQL server; embedded PGlite has none.
  describe('driver on a lost connection (needs TEST_DATABASE_URL: PostgreSQL only)', () => it.skip('skipped on PGlite', () => {}));
}

/** How a promise ended, or 'pending' if it had not within `ms`. */
async function settled(p: Promise<unknown>, ms: number): Promise<'ok' | 'unavailable' | 'other error' | 'pending'> {
  const timeout = new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms).unref());
  return Promise.race([p.then(() => 'ok' as const, (err: unknown) => (isDatabaseUnavailable(err) ? ('unavailable' as const) : ('other error' as const))), timeout]);
}

describePg('postgres.js when a transaction loses its connection (PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let su: postgres.Sql;
  let proxy: TcpProxy;
  let sql: postgres.Sql;

  beforeAll(async () => {
    db = await createTestDatabase();
    su = postgres(db.url!, { max: 1, onnotice: () => {} });
    await su`create table driver_probe (label text not null)`;
  });
  beforeEach(async () => {
    const target = new URL(db.url!);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    // One connection, so that the pool's next query reuses the very connection object the transaction had.
    sql = postgres(proxy.urlFor(db.url!), { max: 1, onnotice: () => {}, backoff: () => 0.05 });
  });
  afterEach(async () => {
    await sql.end({ timeout: 1 });
    await proxy.stop();
  });
  afterAll(async () => {
    await su?.end();
    await db?.drop();
  });

  it('every query of the transaction settles as unavailable, including those queued behind a running one', async () => {
    let running!: Promise<unknown>;
    let queued!: Promise<unknown>;
    const started = new Promise<void>((resolve) => {
      void sql
        .begin(async (tx) => {
          await tx`select 1`;
          // A statement with parameters is described first, so the connection takes no more pipelined
          // work: the second one waits in the transaction's own queue while the first sleeps.
          running = tx`select pg_sleep(10), ${1}::int as n`.then((r) => r);
          queued = tx`select ${2}::int as n`.then((r) => r);
          resolve();
          await Promise.all([running, queued]);
        })
        .catch(() => {});
    });
    await started;
    await new Promise((r) => setTimeout(r, 300));
    await proxy.cut();
    expect(await settled(running, 5000)).toBe('unavailable');
    expect(await settled(queued, 5000)).toBe('unavailable');
  });

  it('a callback still running after the loss sends nothing over the reconnected connection, and no COMMIT', async () => {
    let release!: () => void;
    const later = new Promise<void>((r) => (release = r));
    let lateInsert: Promise<unknown> | undefined;
    const transaction = sql.begin(async (tx) => {
      await tx`insert into driver_probe (label) values ('before the loss')`;
      await later;
      lateInsert = tx`insert into driver_probe (label) values ('after the loss')`.then((r) => r);
      await lateInsert;
    });
    const outcome = settled(transaction, 8000);
    await new Promise((r) => setTimeout(r, 200));
    await proxy.cut();
    await proxy.restore();
    // The pool reconnects its one connection for other work, which succeeds.
    expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
    release();
    expect(await outcome).toBe('unavailable');
    expect(await settled(lateInsert!, 1000)).toBe('unavailable');
    // Neither insert is in the table: the first was in the lost transaction, the second never went out.
    expect(await su`select label from driver_probe`).toEqual([]);
    // And the connection serves the next transaction normally.
    await sql.begin((tx) => tx`insert into driver_probe (label) values ('next')`);
    expect((await su`select label from driver_probe`).map((r) => r.label)).toEqual(['next']);
    await su`delete from driver_probe`;
  });
});
