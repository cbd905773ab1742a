import { generateKeyPairSync, randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { writeAuditEvents } from '../../src/audit/writer';
import { withTenantTx } from '../../src/db/tenant-tx';
import { GraphQLClient } from '../testkit/client';
import { call, CREATE_TEAM, errorCodes, eventually, loadOn, READ, sessionOf, watchedSocket } from '../testkit/fault-clients';
import { createTestDatabase } from '../testkit/database';
import { TcpProxy } from '../testkit/tcp-proxy';
import { httpGet, startWardenProcess, type WardenProcess } from '../testkit/warden-process';

/**
 * The database going away under load, with Warden as a real process (an uncaught exception or an
 * unhandled rejection would end it): the process lives, clients are told SERVICE_UNAVAILABLE (503)
 * and never FORBIDDEN or an internal error, it recovers by itself, LISTEN comes back, and every
 * acknowledged mutation is in the database exactly once with its audit event.
 */
const serverUrl = process.env.TEST_DATABASE_URL;
const describePg = serverUrl ? describe : describe.skip;
if (!serverUrl) {
  // Faults are broken TCP connections to a PostgreSQL server; embedded PGlite has none to break.
  describe('database faults (needs TEST_DATABASE_URL: PostgreSQL only)', () => it.skip('skipped on PGlite', () => {}));
}

describePg('database faults, Warden as a process on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let su: postgres.Sql; // superuser on the test copy: what the tables really hold
  let dbName: string;
  let tenantId: string;
  let warden: WardenProcess | undefined;
  let proxy: TcpProxy | undefined;
  // One checkpoint key for both processes: each would make its own, and the second could not verify the first's checkpoints.
  const env = {
    WARDEN_AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    WARDEN_AUDIT_CHECKPOINT_INTERVAL: '1',
    WARDEN_REVIEW_SWEEP_INTERVAL: '1',
  };

  beforeAll(async () => {
    db = await createTestDatabase({ demo: true });
    if (!db.seeded) throw new Error('needs the prepared demo template (jest global setup)');
    dbName = new URL(db.url!).pathname.slice(1);
    su = postgres(db.url!, { max: 1, onnotice: () => {} });
    [{ id: tenantId }] = await su<{ id: string }[]>`select id from tenants where slug = 'acme'`;
  });
  afterEach(async () => {
    await warden?.stop();
    await proxy?.stop();
    warden = proxy = undefined;
  });
  afterAll(async () => {
    await su?.end();
    await db?.drop();
  });

  /** Every acknowledged mutation exactly once with its audit event, no team without one, and the chain verifies. */
  async function expectConsistent(run: string, acknowledged: string[], admin: GraphQLClient) {
    const teams = await su<{ id: string; name: string; audited: number }[]>`
      select t.id, t.name, (select count(*)::int from audit_events e
        where e.tenant_id = t.tenant_id and e.action = 'team.create' and e.outcome = 'ALLOWED' and e.resource_ids @> array[t.id]) as audited
      from teams t where t.name like ${run + '-%'}`;
    const byName = new Map<string, number>();
    for (const t of teams) byName.set(t.name, (byName.get(t.name) ?? 0) + 1);
    expect(acknowledged.filter((n) => byName.get(n) !== 1)).toEqual([]);
    expect(teams.filter((t) => t.audited !== 1)).toEqual([]);
    const { verifyAuditLog } = await admin.ok<{ verifyAuditLog: { ok: boolean; firstBreak: unknown } }>('{ verifyAuditLog { ok firstBreak { kind seq message } } }');
    expect(verifyAuditLog).toEqual({ ok: true, firstBreak: null });
  }

  const terminateBackends = async () =>
    (await su<{ n: number }[]>`select count(*)::int as n from (select pg_terminate_backend(pid) as t from pg_stat_activity where datname = ${dbName} and pid <> pg_backend_pid()) x where t`)[0].n;

  it('pg_terminate_backend on every connection under load: no exit, only SERVICE_UNAVAILABLE, recovery, LISTEN back, nothing lost', async () => {
    warden = await startWardenProcess({ ...env, DATABASE_URL: db.url! });
    const w = warden;
    const admin = await new GraphQLClient(w.url).login('admin@acme.test');
    const watcher = await new GraphQLClient(w.url).login('admin@acme.test'); // a second session, revoked later
    const socket = watchedSocket(watcher);
    const run = `kill-${randomBytes(3).toString('hex')}`;

    const load = loadOn(() => w.url, admin.token!, run, 6);
    let terminated = 0;
    for (let round = 0; round < 5; round++) {
      await new Promise((r) => setTimeout(r, 400));
      terminated += await terminateBackends();
    }
    // Back within 5 seconds of the last kill: a mutation goes through.
    const recovered = await eventually(async () => (await call(w.url, admin.token!, CREATE_TEAM, { n: `${run}-probe` })).kind === 'ok', 5000);
    await load.stop();

    expect(w.exitCode()).toBeUndefined();
    expect(terminated).toBeGreaterThan(0);
    expect(load.outcomes.bad).toEqual([]);
    expect(load.outcomes.unanswered).toBe(0);
    expect(recovered).toBe(true);
    if (load.outcomes.unavailable > 0) expect([...load.outcomes.retryAfter]).toEqual(['2']);
    expect(load.acknowledged.length).toBeGreaterThan(0);
    // Ready again within 5 seconds too (the LISTEN connection, terminated with the others, reconnects).
    expect(await eventually(async () => (await httpGet(`${w.base}/readyz`)).status === 200, 5000)).toBe(true);

    // LISTEN is back: a revocation committed elsewhere closes the socket of that session here.
    await su`update sessions set revoked_at = now(), revoked_reason = 'REVOKED_BY_ADMIN' where id = ${sessionOf(watcher.token!)}`;
    expect(await eventually(async () => socket.closedWith() === 4401, 5000)).toBe(true);
    expect(errorCodes(socket.errors).filter((c) => !['SERVICE_UNAVAILABLE', 'UNAUTHENTICATED', 4401].includes(c!))).toEqual([]);

    // And a new audit subscription hears a commit.
    const fresh = watchedSocket(await new GraphQLClient(w.url).login('admin@acme.test'));
    await new Promise((r) => setTimeout(r, 300));
    await admin.ok(CREATE_TEAM, { n: `${run}-after` });
    expect(await eventually(async () => fresh.events.some((e) => (e as { action: string }).action === 'team.create'), 5000)).toBe(true);
    await fresh.client.dispose();
    await socket.client.dispose();

    await expectConsistent(run, [...load.acknowledged, `${run}-probe`, `${run}-after`], admin);
    expect(w.output()).not.toMatch(/unhandled rejection|uncaught/i);
    expect(w.exitCode()).toBeUndefined();
  }, 40_000);

  it('a proxy that resets every connection and refuses new ones, then comes back: 503 with Retry-After, /readyz 503 then 200, replay of what LISTEN missed', async () => {
    const target = new URL(db.url!);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    const p = proxy;
    warden = await startWardenProcess({ ...env, DATABASE_URL: p.urlFor(db.url!) });
    const w = warden;
    const admin = await new GraphQLClient(w.url).login('admin@acme.test');
    const watcher = await new GraphQLClient(w.url).login('admin@acme.test');
    const revoked = watchedSocket(watcher); // its session is revoked while this instance cannot hear it
    const listener = watchedSocket(await new GraphQLClient(w.url).login('admin@acme.test')); // stays subscribed through the outage
    const run = `cut-${randomBytes(3).toString('hex')}`;
    await new Promise((r) => setTimeout(r, 300));

    const load = loadOn(() => w.url, admin.token!, run, 4);
    await new Promise((r) => setTimeout(r, 500));
    await p.cut();
    const accepted = p.accepted;

    // During the outage: alive, honest, not ready.
    expect(await eventually(async () => (await httpGet(`${w.base}/readyz`)).status === 503, 5000)).toBe(true);
    expect(await httpGet(`${w.base}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    const during = await call(w.url, admin.token!, READ);
    expect(during).toMatchObject({ kind: 'unavailable', status: 503, retryAfter: '2' });
    expect(await call(w.url, admin.token!, CREATE_TEAM, { n: `${run}-refused` })).toMatchObject({ kind: 'unavailable', status: 503 });
    // With a key too: the key cannot be looked up, which is the same 503 (it was a 500).
    expect(await call(w.url, admin.token!, CREATE_TEAM, { n: `${run}-refused-keyed` }, { 'idempotency-key': randomBytes(8).toString('hex') })).toMatchObject({
      kind: 'unavailable',
      status: 503,
      retryAfter: '2',
    });
    // Committed elsewhere while this instance hears nothing: a revocation and an audit event.
    await su`update sessions set revoked_at = now(), revoked_reason = 'REVOKED_BY_ADMIN' where id = ${sessionOf(watcher.token!)}`;
    const marker = randomBytes(4).toString('hex');
    await withTenantTx(db.database.db, tenantId, (tx) =>
      writeAuditEvents(tx, { tenantId, actorId: null, sessionId: null }, null, [{ action: 'test.while_cut', outcome: 'ALLOWED', detail: { marker } }]),
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(w.exitCode()).toBeUndefined();

    await p.restore();
    const recovered = await eventually(async () => (await call(w.url, admin.token!, CREATE_TEAM, { n: `${run}-probe` })).kind === 'ok', 5000);
    expect(recovered).toBe(true);
    expect(await eventually(async () => (await httpGet(`${w.base}/readyz`)).status === 200, 5000)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    await load.stop();

    expect(p.accepted).toBeGreaterThan(accepted); // it reconnected through the proxy
    expect(load.outcomes.bad).toEqual([]);
    // Every request is answered: one waiting on a statement queued in its lost transaction used to get
    // nothing (the driver never settled it; patched, see driver-connection-loss.test.ts).
    expect(load.outcomes.unanswered).toBe(0);
    expect(load.outcomes.unavailable).toBeGreaterThan(0);
    expect([...load.outcomes.retryAfter]).toEqual(['2']);
    // What LISTEN missed is made up for: the revoked session's socket is closed, the audit event is delivered.
    expect(await eventually(async () => revoked.closedWith() === 4401, 5000)).toBe(true);
    expect(await eventually(async () => listener.events.some((e) => (e as { action: string }).action === 'test.while_cut'), 5000)).toBe(true);
    expect(errorCodes(listener.errors).filter((c) => c !== 'SERVICE_UNAVAILABLE')).toEqual([]);
    expect(errorCodes(revoked.errors).filter((c) => !['SERVICE_UNAVAILABLE', 'UNAUTHENTICATED', 4401].includes(c!))).toEqual([]);
    await listener.client.dispose();
    await revoked.client.dispose();

    await expectConsistent(run, [...load.acknowledged, `${run}-probe`], admin);
    expect(w.output()).not.toMatch(/unhandled rejection|uncaught/i);
    expect(w.exitCode()).toBeUndefined();
  }, 40_000);
});
