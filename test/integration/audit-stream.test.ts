import { collect } from '../testkit/client';
import { createTestServer, type TestServer } from '../testkit/server';
import { seedOtherTenant } from '../testkit/seed';

const pgOnly = process.env.TEST_DATABASE_URL ? it : it.skip;

const SUBSCRIPTION = 'subscription($f: AuditEventFilter) { auditEvents(filter: $f) { seq action field outcome actorId resourceIds detail hash } }';

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
    const stream = collect<Event>(ws, SUBSCRIPTION, { f: { action: 'sensitive.read' } }, 2);
    // Let the subscription register before the read happens.
    await new Promise((r) => setTimeout(r, 300));
    const lead = await server.as('lead');
    await lead.ok('{ customers(first: 3) { edges { node { phone email } } } }');
    const results = await stream.done;
    stream.unsubscribe();
    await ws.dispose();
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
    const watcher = await server.client().login(other.email, 'warden-demo', 'initech');
    const ws = watcher.ws();
    const stream = collect<Event>(ws, SUBSCRIPTION, {}, 1);
    await new Promise((r) => setTimeout(r, 300));
    // Acme activity first, then one initech event: the first event the initech analyst sees must be its own.
    const lead = await server.as('lead');
    await lead.ok('{ customers(first: 2) { edges { node { phone } } } }');
    await server.client().login(other.email, 'warden-demo', 'initech');
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
