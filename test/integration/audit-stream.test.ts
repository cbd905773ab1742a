import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { collect } from '../testkit/client';
import { createTestServer, type TestServer } from '../testkit/server';
import { seedOtherTenant } from '../testkit/seed';

const pgOnly = process.env.TEST_DATABASE_URL ? it : it.skip;

const SUBSCRIPTION = 'subscription($f: AuditEventFilter) { auditEvents(filter: $f) { seq action field outcome actorId resourceIds detail hash } }';

const RESUMING = 'subscription($f: AuditEventFilter, $after: String) { auditEvents(filter: $f, after: $after) { seq action field outcome actorId resourceIds detail hash } }';

type Event = { auditEvents: { seq: number; action: string; field: string | null; outcome: string; detail: string; hash: string } };

describe('audit events over graphql-ws', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
  });
  afterAll(() => server.stop());

  it("streams the lead's PII read to the analyst as it is committed", async () => {
    const analyst = await server.as('analyst');
    const ws = analyst.ws();
    // Resume after the current head: a read committed before the subscription registers (a busy
    // machine) is replayed from the table instead of missed.
    const page = await analyst.ok<{ auditEvents: { edges: { node: { seq: number } }[] } }>('{ auditEvents(first: 100) { edges { node { seq } } } }');
    const head = Math.max(0, ...page.auditEvents.edges.map((e) => e.node.seq));
    const stream = collect<Event>(ws, RESUMING, { f: { action: 'sensitive.read' }, after: Buffer.from(`seq:${head}`).toString('base64url') }, 2, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    const lead = await server.as('lead');
    await lead.ok('{ customers(first: 3) { edges { node { phone email } } } }');
    const results = await stream.done;
    stream.unsubscribe();
    await ws.dispose();
    expect(results).toHaveLength(2);
    expect(results.map((r) => r.errors)).toEqual([undefined, undefined]);
    const events = results.map((r) => r.data!.auditEvents);
    expect(events.map((e) => e.field).sort()).toEqual(['email', 'phone']);
    for (const e of events) {
      expect(e).toMatchObject({ action: 'sensitive.read', outcome: 'ALLOWED' });
      expect(JSON.parse(e.detail)).toEqual({ mode: 'FULL', count: 3 });
      expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('refuses the subscription at subscribe time to a viewer without AUDIT_READ', async () => {
    const agent = await server.as('agent');
    const ws = agent.ws();
    const results = await collect(ws, SUBSCRIPTION, {}, 1).done;
    await ws.dispose();
    expect(JSON.stringify(results)).toContain('FORBIDDEN');
    expect(results[0].data ?? null).toBeNull();
  });

  it('refuses an anonymous subscription as UNAUTHENTICATED', async () => {
    const ws = server.client().ws();
    const results = await collect(ws, SUBSCRIPTION, {}, 1).done;
    await ws.dispose();
    expect(JSON.stringify(results)).toContain('UNAUTHENTICATED');
  });

  it("never delivers another tenant's events", async () => {
    const other = await seedOtherTenant(server.database.db, 'initech', ['security_analyst']);
    const watcher = await server.client().login(other.email, DEMO_PASSWORD, 'initech');
    const ws = watcher.ws();
    const stream = collect<Event>(ws, SUBSCRIPTION, {}, 1);
    await new Promise((r) => setTimeout(r, 300));
    // Acme activity first, then one initech event: the first event the initech analyst sees must be its own.
    const lead = await server.as('lead');
    await lead.ok('{ customers(first: 2) { edges { node { phone } } } }');
    await server.client().login(other.email, DEMO_PASSWORD, 'initech');
    const [first] = await stream.done;
    stream.unsubscribe();
    await ws.dispose();
    expect(first.data?.auditEvents.action).toBe('auth.login');
  });

  pgOnly('fans out across server instances through LISTEN/NOTIFY', async () => {
    const second = await server.secondInstance();
    const analyst = await second.client().login('analyst@acme.test');
    const ws = analyst.ws();
    const stream = collect<Event>(ws, SUBSCRIPTION, { f: { action: 'sensitive.read' } }, 1);
    await new Promise((r) => setTimeout(r, 300));
    const lead = await server.as('lead');
    await lead.ok('{ customers(first: 1) { edges { node { phone } } } }');
    const [event] = await stream.done;
    stream.unsubscribe();
    await ws.dispose();
    expect(event.data?.auditEvents).toMatchObject({ action: 'sensitive.read', field: 'phone' });
  });
});

describe('audit stream: replay after a cursor, then live', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
  });
  afterAll(() => server.stop());

  const RESUME = 'subscription($f: AuditEventFilter, $after: String) { auditEvents(filter: $f, after: $after) { seq cursor action } }';
  type Resumed = { auditEvents: { seq: number; cursor: string; action: string } };

  it('replays the events after the cursor from the table, then continues live, with no gap and no duplicate', async () => {
    const analyst = await server.as('analyst');
    const lead = await server.as('lead');
    for (let i = 0; i < 3; i++) await lead.ok('{ customers(first: 1) { edges { node { phone } } } }');
    const page = await analyst.ok<{ auditEvents: { edges: { cursor: string; node: { seq: number } }[] } }>('{ auditEvents(first: 100) { edges { cursor node { seq } } } }');
    const head = page.auditEvents.edges[0].node.seq;
    const start = page.auditEvents.edges[3]; // three events before the head
    const ws = analyst.ws();
    // Live events are written while the replay runs: a burst from several clients.
    const expectedTotal = head - start.node.seq + 12;
    const stream = collect<Resumed>(ws, RESUME, { after: start.cursor }, expectedTotal, 15_000);
    await Promise.all([0, 1, 2].map(async () => {
      for (let i = 0; i < 4; i++) await lead.ok('{ customers(first: 1) { edges { node { email } } } }');
    }));
    const results = await stream.done;
    stream.unsubscribe();
    await ws.dispose();
    const seqs = results.map((r) => r.data!.auditEvents.seq);
    expect(seqs).toEqual(Array.from({ length: expectedTotal }, (_, i) => start.node.seq + 1 + i));
  });

  it('applies the filter to replay and live alike, and gives each event a cursor to resume from', async () => {
    const analyst = await server.as('analyst');
    const ws = analyst.ws();
    const stream = collect<Resumed>(ws, RESUME, { f: { action: 'auth.*' }, after: Buffer.from('seq:0').toString('base64url') }, 3, 10_000);
    const results = await stream.done;
    stream.unsubscribe();
    await ws.dispose();
    expect(results.every((r) => r.data!.auditEvents.action.startsWith('auth.'))).toBe(true);
    const last = results.at(-1)!.data!.auditEvents;
    expect(Buffer.from(last.cursor, 'base64url').toString()).toBe(`seq:${last.seq}`);
  });

  it('refuses a malformed cursor and another tenant at subscribe time', async () => {
    const analyst = await server.as('analyst');
    const other = await seedOtherTenant(server.database.db, 'umbrella');
    const ws = analyst.ws();
    const bad = await collect(ws, RESUME, { after: 'bogus' }, 1).done;
    const foreign = await collect(ws, RESUME, { f: { tenantId: Buffer.from(`Tenant:${other.tenantId}`).toString('base64url') } }, 1).done;
    const foreignActor = await collect(ws, RESUME, { f: { actorId: Buffer.from(`User:${other.userId}`).toString('base64url') } }, 1).done;
    await ws.dispose();
    expect(JSON.stringify(bad)).toContain('BAD_USER_INPUT');
    expect(JSON.stringify(foreign)).toContain('FORBIDDEN');
    expect(JSON.stringify(foreignActor)).toContain('FORBIDDEN');
    for (const r of [bad, foreign, foreignActor]) expect(r).toHaveLength(1);
  });

  it('writes the reads of personal detail made by a stream as each event is sent, not when the stream ends', async () => {
    const admin = await server.as('admin');
    const ws = admin.ws();
    const stream = collect<{ auditEvents: { id: string; personalDetail: string } }>(
      ws,
      'subscription { auditEvents(filter: { action: "auth.login", outcome: DENIED }) { id personalDetail } }',
      {},
      1,
      10_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    await server.client().request('mutation { login(input: { tenant: "acme", email: "ghost@acme.test", password: "nope-nope" }) { accessToken } }');
    const [event] = await stream.done;
    expect(JSON.parse(event.data!.auditEvents.personalDetail)).toMatchObject({ email: 'ghost@acme.test' });
    // The subscription is still open: its read is in the log already.
    const reads = await admin.ok<{ auditEvents: { edges: { node: { field: string; resourceIds: string[] } }[] } }>(
      '{ auditEvents(filter: { action: "sensitive.read", resourceType: "AuditEvent" }) { edges { node { field resourceIds } } } }',
    );
    stream.unsubscribe();
    await ws.dispose();
    expect(reads.auditEvents.edges[0].node).toEqual({ field: 'personalDetail', resourceIds: [event.data!.auditEvents.id] });
  });

  it('reads each committed row once per instance, however many subscribers', async () => {
    const analysts = await Promise.all([0, 1, 2, 3, 4].map(() => server.as('analyst')));
    const sockets = analysts.map((a) => a.ws());
    const streams = sockets.map((ws) => collect<Event>(ws, SUBSCRIPTION, { f: { action: 'sensitive.read' } }, 2, 10_000));
    await new Promise((r) => setTimeout(r, 300));
    const before = server.services.auditBus.rowsRead;
    const lead = await server.as('lead');
    await lead.ok('{ customers(first: 3) { edges { node { phone email } } } }');
    const results = await Promise.all(streams.map((s) => s.done));
    streams.forEach((s) => s.unsubscribe());
    await Promise.all(sockets.map((ws) => ws.dispose()));
    expect(results.map((r) => r.length)).toEqual([2, 2, 2, 2, 2]);
    // The lead's sign-in and the two reads: three rows read once, for five subscribers.
    expect(server.services.auditBus.rowsRead - before).toBe(3);
  });
  it('re-authorizes while streaming: losing AUDIT_READ ends the stream with FORBIDDEN', async () => {
    const admin = await server.as('admin');
    const analyst = await server.as('analyst');
    const analystId = (await analyst.ok<{ me: { user: { id: string } } }>('{ me { user { id } } }')).me.user.id;
    const ws = analyst.ws();
    const stream = collect<Resumed>(ws, RESUME, {}, 50, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    const { roleAssignments } = await admin.ok<{ roleAssignments: { id: string }[] }>('query($u: ID!) { roleAssignments(userId: $u) { id } }', { u: analystId });
    await admin.ok('mutation($id: ID!) { unassignRole(id: $id) { revokedAt } }', { id: roleAssignments[0].id });
    // Keep events flowing until the stream notices (it re-reads the viewer at most once a second).
    const lead = await server.as('lead');
    const deadline = Date.now() + 5000;
    let ended = false;
    void stream.done.then(() => (ended = true));
    while (!ended && Date.now() < deadline) {
      await lead.ok('{ customers(first: 1) { edges { node { phone } } } }');
      await new Promise((r) => setTimeout(r, 100));
    }
    const results = await stream.done;
    await ws.dispose();
    expect(JSON.stringify(results.at(-1))).toContain('FORBIDDEN');
  });

});
