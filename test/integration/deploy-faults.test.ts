import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import { sql } from 'drizzle-orm';
import WebSocket from 'ws';
import { verifyChain } from '../../src/audit/chain-verifier';
import { queryRows } from '../../src/db/rows';
import { withTenantTx } from '../../src/db/tenant-tx';
import { toGlobalId } from '../../src/lib/global-id';
import { findTenantBySlug } from '../../src/modules/identity/identity.repo';
import { createTestDatabase } from '../testkit/database';
import { startWarden, type WardenProcess } from '../testkit/process';
import { TEST_MASTER_KEY } from '../testkit/server';

/**
 * Deploys and crashes under load, with Warden as a real child process on a PostgreSQL database: the
 * fault is a real signal to a real process, the clients real keep-alive HTTP connections.
 */
const onPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

const CREATE = 'mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id name } }';
const CONNECTIONS = 8;

type Outcome = {
  key: string;
  name: string;
  status?: number;
  connection?: string;
  retryAfter?: string;
  replayed?: boolean;
  body?: { data?: { createCustomer?: { id: string } } | null; errors?: { extensions?: { code?: string } }[] };
  /** A socket error: no response (or only part of one) reached the client. */
  error?: string;
  reusedSocket?: boolean;
};

/** POST a mutation on `agent` (keep-alive) and report whatever happened, never throwing. */
function post(agent: http.Agent, url: string, token: string, key: string, name: string): Promise<Outcome> {
  const body = JSON.stringify({ query: CREATE, variables: { i: { name, phone: '13900002222' } } });
  return new Promise((resolve) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}`, 'idempotency-key': key },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let parsed: Outcome['body'];
        try {
          parsed = JSON.parse(text) as Outcome['body'];
        } catch {
          parsed = undefined;
        }
        resolve({
          key,
          name,
          status: res.statusCode,
          connection: res.headers.connection,
          retryAfter: res.headers['retry-after'] as string | undefined,
          replayed: res.headers['idempotent-replayed'] === 'true',
          body: parsed,
        });
      });
      res.on('error', (err) => resolve({ key, name, status: res.statusCode, error: (err as NodeJS.ErrnoException).code ?? err.message, reusedSocket: req.reusedSocket }));
    });
    req.on('error', (err) => resolve({ key, name, error: (err as NodeJS.ErrnoException).code ?? err.message, reusedSocket: req.reusedSocket }));
    req.end(body);
  });
}

const login = async (url: string, email: string): Promise<string> => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', connection: 'close' },
    body: JSON.stringify({ query: 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', variables: { i: { tenant: 'acme', email, password: DEMO_PASSWORD } } }),
  });
  return ((await res.json()) as { data: { login: { accessToken: string } } }).data.login.accessToken;
};

/** Wait until `check` holds, polling (the tests count outcomes; they do not time anything). */
async function until(check: () => boolean, what: string, polls = 600): Promise<void> {
  for (let i = 0; i < polls; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

onPostgres('deploys and crashes under load (Warden as a child process; PostgreSQL only, skipped on PGlite: the test and two server processes share one database)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let tenantId: string;
  let env: Record<string, string>;
  const running: WardenProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase({ demo: true });
    tenantId = (await withTenantTx(database.database.db, null, (tx) => findTenantBySlug(tx, 'acme'))).id;
    // One token key for every instance, so a token from the first is accepted by the next.
    const jwtKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    env = {
      DATABASE_URL: database.url!,
      WARDEN_MASTER_KEY: TEST_MASTER_KEY,
      WARDEN_JWT_PRIVATE_KEY: jwtKey,
      WARDEN_SEED_DEMO: 'never',
      WARDEN_SHUTDOWN_GRACE_MS: '8000',
      WARDEN_DATA_DIR: 'memory://',
    };
  });
  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(running.map((p) => p.exited));
    await database.drop();
  });

  const start = async () => {
    const p = await startWarden(env);
    running.push(p);
    return p;
  };

  /** What the database holds for a name and a key: customers, their create events, kept results. */
  const committed = (names: string[]) =>
    withTenantTx(database.database.db, tenantId, async (tx) => {
      const rows = await queryRows<{ name: string; customers: number; events: number; keys: number }>(
        tx,
        sql`select n.name,
              (select count(*)::int from customers c where c.name = n.name) as customers,
              (select count(*)::int from audit_events e where e.action = 'customer.create' and e.outcome = 'ALLOWED'
                 and e.resource_ids && (select array_agg(c.id) from customers c where c.name = n.name)
                 and e.detail->>'idempotencyKey' = substr(n.name, 8)) as events,
              (select count(*)::int from idempotency_keys k where k.key = substr(n.name, 8)) as keys
            from jsonb_array_elements_text(${JSON.stringify(names)}::jsonb) as n(name)`,
      );
      return new Map(rows.map((r) => [r.name, r]));
    });

  const chain = () => withTenantTx(database.database.db, tenantId, (tx) => verifyChain(tx, tenantId, new Map()));

  /** A loop of mutations on one keep-alive connection, each with its own key, until `stop` says so. */
  const worker = async (agent: http.Agent, url: string, token: string, out: Outcome[], stop: (o: Outcome) => boolean) => {
    for (;;) {
      const key = randomUUID();
      // The name carries the key ("deploy-" + key), so the database check can match them.
      const o = await post(agent, url, token, key, `deploy-${key}`);
      out.push(o);
      if (stop(o)) return;
    }
  };

  it('SIGTERM under keep-alive load: every request is answered (success, or 503 + Connection: close), WebSockets get 1001, exit 0, every acknowledged change once', async () => {
    const warden = await start();
    const token = await login(warden.url, 'lead@acme.test');
    const analyst = await login(warden.url, 'analyst@acme.test');

    // A live audit subscription: it must be closed with 1001 (Going Away), not dropped.
    const socket = new WebSocket(warden.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const wsClosed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    const subscribed = new Promise<void>((resolve, reject) => {
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${analyst}` } })));
      socket.on('message', (m) => {
        const msg = JSON.parse(String(m)) as { type: string };
        if (msg.type === 'connection_ack') {
          socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { auditEvents { action } }' } }));
          resolve();
        }
      });
      socket.on('error', reject);
    });
    await subscribed;

    // Connections that are open but idle when the signal comes: each has answered one request.
    const idleAgents = Array.from({ length: 4 }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
    const warmUp = await Promise.all(idleAgents.map((a) => post(a, warden.url, token, randomUUID(), `deploy-warm-${randomUUID()}`)));
    expect(warmUp.map((o) => [o.status, o.connection])).toEqual(idleAgents.map(() => [200, 'keep-alive']));

    const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    const out: Outcome[] = [];
    // A client stops on this instance once told the connection closes (a 503, or the last response
    // of a request that was in flight): a real one would go to another instance.
    const workers = Array.from({ length: CONNECTIONS }, () => worker(agent, warden.url, token, out, (o) => o.error !== undefined || o.status === 503 || o.connection === 'close'));
    await until(() => out.length >= CONNECTIONS * 5, 'mutations before SIGTERM');
    const beforeSignal = out.length;
    warden.child.kill('SIGTERM');
    // Once draining has visibly started (a response says the connection closes), the idle connections
    // send their next request: it must be answered 503 and not run.
    await until(() => out.slice(beforeSignal).some((o) => o.connection === 'close'), 'the first response of the drain');
    const late = await Promise.all(idleAgents.map((a) => post(a, warden.url, token, randomUUID(), `deploy-late-${randomUUID()}`)));
    await Promise.all(workers);
    const { code } = await warden.exited;
    agent.destroy();
    for (const a of idleAgents) a.destroy();
    expect(late.map((o) => [o.status, o.connection, o.error])).toEqual(late.map(() => [503, 'close', undefined]));
    out.push(...late);

    const cutOff = out.filter((o) => o.error !== undefined);
    const refused = out.filter((o) => o.status === 503);
    const succeeded = out.filter((o) => o.status === 200 && o.body?.data?.createCustomer?.id && !o.body.errors);
    // eslint-disable-next-line no-console
    console.log(`SIGTERM: ${out.length} requests (${beforeSignal} before the signal): ${succeeded.length} succeeded, ${refused.length} answered 503, ${cutOff.length} cut off`);
    if (cutOff.length) throw new Error(`${cutOff.length} cut off: ${JSON.stringify(cutOff)}\n${warden.output()}`);
    expect(succeeded.length + refused.length).toBe(out.length);
    for (const o of refused) expect([o.connection, o.retryAfter, o.body?.errors?.[0]?.extensions?.code]).toEqual(['close', '1', 'SERVICE_UNAVAILABLE']);
    // Every connection was closed by the server telling the client so.
    expect(out.filter((o) => o.connection === 'close')).toHaveLength(CONNECTIONS + idleAgents.length);
    if (code !== 0) throw new Error(`exit code ${code}:\n${warden.output()}`);
    expect(warden.output()).not.toContain('grace period over');
    expect(await wsClosed).toBe(1001);

    const db = await committed(out.map((o) => o.name));
    for (const o of succeeded) expect([o.name, db.get(o.name)]).toEqual([o.name, { name: o.name, customers: 1, events: 1, keys: 1 }]);
    // A 503 ran nothing: retrying it anywhere is safe, even without its key.
    for (const o of refused) expect([o.name, db.get(o.name)]).toEqual([o.name, { name: o.name, customers: 0, events: 0, keys: 0 }]);
    const report = await chain();
    expect(report.breaks).toEqual([]);
    expect(report.events).toBeGreaterThanOrEqual(succeeded.length);
  });

  it('kill -9 with mutations in flight: retried with their keys on a new instance, every change is applied exactly once and the audit chain verifies', async () => {
    const first = await start();
    const token = await login(first.url, 'lead@acme.test');
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    const out: Outcome[] = [];
    const workers = Array.from({ length: CONNECTIONS }, () => worker(agent, first.url, token, out, (o) => o.error !== undefined));
    await until(() => out.length >= CONNECTIONS * 5, 'mutations before the kill');
    first.child.kill('SIGKILL');
    await Promise.all(workers);
    await first.exited;
    agent.destroy();

    const acknowledged = out.filter((o) => o.status === 200 && !o.body?.errors);
    const lost = out.filter((o) => o.error !== undefined);
    expect(acknowledged.length + lost.length).toBe(out.length);
    expect(lost).toHaveLength(CONNECTIONS);

    // The client retries what it got no answer for, with the same key and body, on the next instance.
    const second = await start();
    const retryAgent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    const retried: Outcome[] = [];
    for (const o of lost) {
      let r: Outcome;
      // 409: the killed instance's transaction still holds the key until PostgreSQL notices it is gone.
      do r = await post(retryAgent, second.url, token, o.key, o.name);
      while (r.status === 409);
      retried.push(r);
    }
    retryAgent.destroy();
    const replayed = retried.filter((r) => r.replayed).length;
    // eslint-disable-next-line no-console
    console.log(`kill -9: ${out.length} requests, ${acknowledged.length} acknowledged, ${lost.length} lost; on retry ${replayed} replayed (committed before the kill), ${lost.length - replayed} applied now`);
    expect(retried.every((r) => r.status === 200 && r.body?.data?.createCustomer?.id && !r.body.errors)).toBe(true);

    const db = await committed(out.map((o) => o.name));
    for (const o of out) expect([o.name, db.get(o.name)]).toEqual([o.name, { name: o.name, customers: 1, events: 1, keys: 1 }]);
    // A replay answers with the id of the change the killed instance committed.
    const ids = await withTenantTx(database.database.db, tenantId, (tx) =>
      queryRows<{ id: string; name: string }>(tx, sql`select id, name from customers where name in (select jsonb_array_elements_text(${JSON.stringify(lost.map((o) => o.name))}::jsonb))`),
    );
    expect(new Map(retried.map((r) => [r.name, r.body!.data!.createCustomer!.id]))).toEqual(new Map(ids.map((r) => [r.name, toGlobalId('Customer', r.id)])));
    const report = await chain();
    expect(report.breaks).toEqual([]);
    expect(report.events).toBeGreaterThanOrEqual(out.length);

    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });
});
