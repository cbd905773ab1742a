import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { queryRows } from '../../src/db/rows';
import { withTenantTx } from '../../src/db/tenant-tx';
import { toGlobalId } from '../../src/lib/global-id';
import { sweepExpiredKeys } from '../../src/modules/idempotency/idempotency-sweeper';
import { postJson } from '../testkit/http';
import { seedOtherTenant } from '../testkit/seed';
import { createTestServer, type TestServer } from '../testkit/server';
import type { GraphQLClient } from '../testkit/client';

const CREATE = 'mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id name phone } }';

describe('Idempotency-Key on mutations', () => {
  let server: TestServer;
  let lead: GraphQLClient;
  let sales: GraphQLClient;
  let other: GraphQLClient;
  let otherTenantId: string;
  beforeAll(async () => {
    server = await createTestServer();
    lead = await server.as('lead');
    sales = await server.as('sales');
    const globex = await seedOtherTenant(server.database.db);
    otherTenantId = globex.tenantId;
    other = await server.client().login(globex.email, DEMO_PASSWORD, 'globex');
  });
  afterAll(() => server.stop());

  /** POST a mutation as `client` with the key, raw (status, headers and body). */
  const send = (client: GraphQLClient, key: string | undefined, name: string, query = CREATE) =>
    postJson(server.url, { query, variables: { i: { name, phone: '13800001111' } } }, { authorization: `Bearer ${client.token}`, ...(key !== undefined && { 'idempotency-key': key }) });

  /** Customers of a tenant with this name, read as the database owner (not through the API). */
  const customersNamed = async (name: string, tenantId = server.tenantId) =>
    withTenantTx(server.database.db, tenantId, async (tx) => Number((await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from customers where name = ${name}`))[0].n));

  /** Committed customer.create events that name the key. */
  const createEvents = async (key: string, tenantId = server.tenantId) =>
    withTenantTx(server.database.db, tenantId, (tx) =>
      queryRows<{ outcome: string; resource_ids: string[] }>(tx, sql`select outcome, resource_ids from audit_events where action = 'customer.create' and detail->>'idempotencyKey' = ${key}`),
    );

  it('answers a retry with the same key and request with the kept response, without applying it again', async () => {
    const key = randomUUID();
    const name = `idem-${key}`;
    const first = await send(lead, key, name);
    expect(first.status).toBe(200);
    expect(first.json.errors).toBeUndefined();
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const id = first.json.data.createCustomer.id as string;

    const retry = await send(lead, key, name);
    expect(retry.status).toBe(first.status);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const { extensions: _a, ...firstBody } = first.json;
    const { extensions: _b, ...retryBody } = retry.json;
    expect(retryBody).toEqual(firstBody);

    expect(await customersNamed(name)).toBe(1);
    const events = await createEvents(key);
    expect(events).toEqual([{ outcome: 'ALLOWED', resource_ids: [expect.any(String)] }]);
    const [replayed] = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ n: number }>(tx, sql`select count(*)::int as n from audit_events where action = 'mutation.replayed' and detail->>'idempotencyKey' = ${key}`),
    );
    expect(replayed.n).toBe(1);
    // The kept response holds customer data: it is stored sealed, not as readable JSON.
    const [stored] = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ response: Buffer | Uint8Array }>(tx, sql`select response from idempotency_keys where key = ${key}`),
    );
    expect(Buffer.from(stored.response).includes(Buffer.from(id))).toBe(false);
  });

  it('replays, after a response the client never got, the change that was committed then', async () => {
    const key = randomUUID();
    const name = `idem-lost-${key}`;
    const body = JSON.stringify({ query: CREATE, variables: { i: { name, phone: '13800001111' } } });
    // The whole request is sent, then the client goes away before any answer: the server runs it anyway.
    await new Promise<void>((resolve) => {
      const req = http.request(server.url, {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${lead.token}`, 'idempotency-key': key },
      });
      req.on('error', () => resolve());
      req.end(body, () => {
        req.destroy();
        resolve();
      });
    });
    for (let i = 0; i < 200 && (await customersNamed(name)) === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await customersNamed(name)).toBe(1);
    let retry = await send(lead, key, name);
    while (retry.status === 409) retry = await send(lead, key, name);
    expect([retry.status, retry.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    const [created] = await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ id: string }>(tx, sql`select id from customers where name = ${name}`));
    expect(retry.json.data.createCustomer.id).toBe(toGlobalId('Customer', created.id));
    expect(await customersNamed(name)).toBe(1);
    expect(await createEvents(key)).toHaveLength(1);
  });

  it('refuses the same key with another request as BAD_USER_INPUT (422), and applies nothing', async () => {
    const key = randomUUID();
    expect((await send(lead, key, `idem-a-${key}`)).status).toBe(200);
    const reused = await send(lead, key, `idem-b-${key}`);
    expect(reused.status).toBe(422);
    expect(reused.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(await customersNamed(`idem-b-${key}`)).toBe(0);
  });

  it('applies concurrent requests with one key once; the others replay it or get 409 IDEMPOTENCY_CONFLICT', async () => {
    const key = randomUUID();
    const name = `idem-c-${key}`;
    const all = await Promise.all(Array.from({ length: 6 }, () => send(lead, key, name)));
    expect(all.map((r) => r.status).every((s) => s === 200 || s === 409)).toBe(true);
    const ok = all.filter((r) => r.status === 200);
    expect(new Set(ok.map((r) => r.json.data.createCustomer.id)).size).toBe(1);
    for (const r of all.filter((x) => x.status === 409)) expect(r.json.errors[0].extensions.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(ok.filter((r) => r.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
    expect(await customersNamed(name)).toBe(1);
    expect(await createEvents(key)).toHaveLength(1);
  });

  const onPostgres = process.env.TEST_DATABASE_URL ? it : it.skip;
  onPostgres('answers 409 IDEMPOTENCY_CONFLICT while another transaction holds the key (PostgreSQL: needs a second connection)', async () => {
    const key = randomUUID();
    const [me] = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ id: string }>(tx, sql`select id from users where email = 'lead@acme.test'`),
    );
    // Hold the key as a running request would, from a connection of its own.
    const holder = postgres(server.databaseUrl!, { max: 1, onnotice: () => {} });
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const tx = holder.begin(async (t) => {
        await t`select pg_advisory_xact_lock(hashtextextended(${`warden.idempotency:${server.tenantId}:${me.id}:${key}`}, 0))`;
        locked();
        await held;
      });
      await isLocked;
      const busy = await send(lead, key, `idem-l-${key}`);
      expect([busy.status, busy.headers.get('retry-after')]).toEqual([409, '1']);
      expect(busy.json.errors[0].extensions.code).toBe('IDEMPOTENCY_CONFLICT');
      expect(await customersNamed(`idem-l-${key}`)).toBe(0);
      release();
      await tx;
      expect((await send(lead, key, `idem-l-${key}`)).status).toBe(200);
      expect(await customersNamed(`idem-l-${key}`)).toBe(1);
    } finally {
      await holder.end();
    }
  });

  it('keeps keys apart per user and per tenant', async () => {
    const key = randomUUID();
    const a = await send(lead, key, `idem-u1-${key}`);
    const b = await send(sales, key, `idem-u2-${key}`);
    const c = await send(other, key, `idem-t-${key}`);
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    expect([a, b, c].map((r) => r.headers.get('idempotent-replayed'))).toEqual([null, null, null]);
    expect(await customersNamed(`idem-u1-${key}`)).toBe(1);
    expect(await customersNamed(`idem-u2-${key}`)).toBe(1);
    expect(await customersNamed(`idem-t-${key}`, otherTenantId)).toBe(1);
    expect(await createEvents(key)).toHaveLength(2);
    expect(await createEvents(key, otherTenantId)).toHaveLength(1);
  });

  it('makes an expired key usable again, for another request too', async () => {
    const key = randomUUID();
    expect((await send(lead, key, `idem-e1-${key}`)).status).toBe(200);
    // Age the key as the database owner (the application role may not change kept results).
    await server.database.db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('app.tenant_id', ${server.tenantId}, true)`);
      await tx.execute(sql`update idempotency_keys set expires_at = now() - interval '1 second' where key = ${key}`);
    });
    const again = await send(lead, key, `idem-e2-${key}`);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(await customersNamed(`idem-e2-${key}`)).toBe(1);
    const [kept] = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ n: number }>(tx, sql`select count(*)::int as n from idempotency_keys where key = ${key} and expires_at > now()`),
    );
    expect(kept.n).toBe(1);
  });

  it('sweeps expired keys of every tenant, and only those', async () => {
    const [gone, live] = [randomUUID(), randomUUID()];
    expect((await send(lead, gone, `idem-s1-${gone}`)).status).toBe(200);
    expect((await send(other, live, `idem-s2-${live}`)).status).toBe(200);
    await server.database.db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('app.tenant_id', ${server.tenantId}, true)`);
      await tx.execute(sql`update idempotency_keys set expires_at = now() - interval '1 second' where key = ${gone}`);
    });
    expect(await sweepExpiredKeys(server.database.db)).toBeGreaterThanOrEqual(1);
    const left = async (tenantId: string, key: string) =>
      (await withTenantTx(server.database.db, tenantId, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from idempotency_keys where key = ${key}`)))[0].n;
    expect(await left(server.tenantId, gone)).toBe(0);
    expect(await left(otherTenantId, live)).toBe(1);
  });

  it('refuses a malformed key with 400 BAD_USER_INPUT before running anything', async () => {
    for (const bad of ['', ' ', 'has space', 'clé', 'x'.repeat(256), '""']) {
      const name = `idem-bad-${randomUUID()}`;
      const r = await send(lead, bad, name);
      expect([bad, r.status, r.json.errors?.[0]?.extensions?.code]).toEqual([bad, 400, 'BAD_USER_INPUT']);
      expect(await customersNamed(name)).toBe(0);
    }
    // 255 visible characters, and the draft's quoted form, are keys.
    expect((await send(lead, 'k'.repeat(255), `idem-255-${randomUUID()}`)).status).toBe(200);
    const quoted = randomUUID();
    const q1 = await send(lead, `"${quoted}"`, `idem-q-${quoted}`);
    const q2 = await send(lead, quoted, `idem-q-${quoted}`);
    expect([q1.status, q2.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
  });

  it('ignores the header on queries', async () => {
    const r = await postJson(server.url, { query: '{ me { user { id } } }' }, { authorization: `Bearer ${lead.token}`, 'idempotency-key': 'not a valid key' });
    expect(r.status).toBe(200);
    expect(r.json.data.me.user.id).toEqual(expect.any(String));
    expect(r.headers.get('idempotent-replayed')).toBeNull();
  });

  it('keeps a refused mutation too: its retry is refused the same way without running again', async () => {
    const key = randomUUID();
    const agent = await server.as('agent');
    const first = await send(agent, key, `idem-f-${key}`);
    expect(first.json.errors[0].extensions.code).toBe('FORBIDDEN');
    const retry = await send(agent, key, `idem-f-${key}`);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.json.errors).toEqual(first.json.errors);
  });
});
