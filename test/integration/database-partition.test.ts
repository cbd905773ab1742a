import { generateKeyPairSync, randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { writeAuditEvents } from '../../src/audit/writer';
import { withTenantTx } from '../../src/db/tenant-tx';
import { GraphQLClient } from '../testkit/client';
import { createTestDatabase } from '../testkit/database';
import { call, CREATE_TEAM, errorCodes, eventually, sessionOf, watchedSocket } from '../testkit/fault-clients';
import { TcpProxy } from '../testkit/tcp-proxy';
import { httpGet, startWardenProcess, type WardenProcess } from '../testkit/warden-process';

/**
 * A silent network partition between Warden and PostgreSQL (nothing passes, no connection is closed),
 * after which the server has lost its side of every connection. A connection that only LISTENs sends
 * nothing, so nothing would ever tell it: the heartbeat must notice, replace it, and make up for what
 * was committed meanwhile (a revocation, an audit event).
 */
const serverUrl = process.env.TEST_DATABASE_URL;
const describePg = serverUrl ? describe : describe.skip;
if (!serverUrl) {
  // A network path to a PostgreSQL server; embedded PGlite has none.
  describe('silent partition (needs TEST_DATABASE_URL: PostgreSQL only)', () => it.skip('skipped on PGlite', () => {}));
}

describePg('a silent partition, Warden as a process on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let su: postgres.Sql;
  let tenantId: string;
  let warden: WardenProcess | undefined;
  let proxy: TcpProxy | undefined;

  beforeAll(async () => {
    db = await createTestDatabase({ demo: true });
    if (!db.seeded) throw new Error('needs the prepared demo template (jest global setup)');
    su = postgres(db.url!, { max: 1, onnotice: () => {} });
    [{ id: tenantId }] = await su<{ id: string }[]>`select id from tenants where slug = 'acme'`;
  });
  afterAll(async () => {
    await warden?.stop();
    await proxy?.stop();
    await su?.end();
    await db?.drop();
  });

  it('the LISTEN connection that was never told is replaced by its heartbeat, and what it missed is made up for', async () => {
    const target = new URL(db.url!);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    const p = proxy;
    warden = await startWardenProcess({
      DATABASE_URL: p.urlFor(db.url!),
      WARDEN_LISTEN_HEARTBEAT_MS: '500',
      WARDEN_AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    const w = warden;
    const admin = await new GraphQLClient(w.url).login('admin@acme.test');
    const watcher = await new GraphQLClient(w.url).login('admin@acme.test');
    const revoked = watchedSocket(watcher);
    const listener = watchedSocket(await new GraphQLClient(w.url).login('admin@acme.test'));
    await new Promise((r) => setTimeout(r, 500));

    p.partition();
    // Committed while no packet passes: a revocation and an audit event (straight to PostgreSQL).
    await su`update sessions set revoked_at = now(), revoked_reason = 'REVOKED_BY_ADMIN' where id = ${sessionOf(watcher.token!)}`;
    const marker = randomBytes(4).toString('hex');
    await withTenantTx(db.database.db, tenantId, (tx) =>
      writeAuditEvents(tx, { tenantId, actorId: null, sessionId: null }, null, [{ action: 'test.while_partitioned', outcome: 'ALLOWED', detail: { marker } }]),
    );
    await new Promise((r) => setTimeout(r, 1500));
    p.heal();

    // Requests work again (the pool's old connections are reset on first use and replaced).
    const run = `part-${randomBytes(3).toString('hex')}`;
    expect(await eventually(async () => (await call(w.url, admin.token!, CREATE_TEAM, { n: `${run}-probe` })).kind === 'ok', 8000)).toBe(true);
    // The revocation is felt and the audit event delivered, though no NOTIFY of them ever arrived.
    expect(await eventually(async () => revoked.closedWith() === 4401, 8000)).toBe(true);
    expect(await eventually(async () => listener.events.some((e) => (e as { action: string }).action === 'test.while_partitioned'), 8000)).toBe(true);
    expect(errorCodes(listener.errors).filter((c) => c !== 'SERVICE_UNAVAILABLE')).toEqual([]);
    expect(await eventually(async () => (await httpGet(`${w.base}/readyz`)).status === 200, 5000)).toBe(true);
    await listener.client.dispose();
    await revoked.client.dispose();

    expect(w.output()).toMatch(/did not answer its heartbeat/);
    expect(w.output()).not.toMatch(/unhandled rejection|uncaught/i);
    expect(w.exitCode()).toBeUndefined();
  }, 60_000);
});
