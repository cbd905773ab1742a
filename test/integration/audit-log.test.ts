import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { toGlobalId } from '../../src/lib/global-id';
import type { GraphQLClient } from '../testkit/client';
import { createTestServer, type TestServer } from '../testkit/server';
import { seedOtherTenant } from '../testkit/seed';

const EVENTS = `query($f: AuditEventFilter, $first: Int, $after: String) { auditEvents(filter: $f, first: $first, after: $after) {
  edges { cursor node { seq action field outcome actorId resourceType resourceIds detail occurredAt } } pageInfo { hasNextPage endCursor } } }`;
type Page = { auditEvents: { edges: { cursor: string; node: { seq: number; action: string; field: string | null; outcome: string; actorId: string | null; resourceType: string | null; resourceIds: string[]; detail: string; occurredAt: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

describe('audit log queries', () => {
  let server: TestServer;
  let analyst: GraphQLClient;
  let lead: GraphQLClient;
  let leadId: string;
  let customerId: string;

  beforeAll(async () => {
    server = await createTestServer();
    analyst = await server.as('analyst');
    lead = await server.as('lead');
    leadId = (await lead.ok<{ me: { user: { id: string } } }>('{ me { user { id } } }')).me.user.id;
    const { customers } = await lead.ok<{ customers: { edges: { node: { id: string } }[] } }>('{ customers(first: 2) { edges { node { id phone } } } }');
    customerId = customers.edges[0].node.id;
    await server.client().request('mutation { login(input: { tenant: "acme", email: "nobody@acme.test", password: "wrong-password" }) { accessToken } }');
  });
  afterAll(() => server.stop());

  const events = async (f: Record<string, unknown>, first = 50) => (await analyst.ok<Page>(EVENTS, { f, first })).auditEvents.edges.map((e) => e.node);

  it('filters by actor, action family, resource, type, outcome and time', async () => {
    const byLead = await events({ actorId: leadId });
    expect(byLead.length).toBeGreaterThan(0);
    expect(byLead.every((e) => e.actorId === leadId)).toBe(true);

    const auth = await events({ action: 'auth.*' });
    expect(new Set(auth.map((e) => e.action))).toEqual(new Set(['auth.login']));
    expect(auth.map((e) => e.outcome)).toContain('DENIED');

    const aboutCustomer = await events({ resourceId: customerId });
    expect(aboutCustomer.map((e) => [e.action, e.field]).sort()).toEqual([['sensitive.read', 'phone']]);
    expect(aboutCustomer[0].resourceIds).toContain(customerId);

    expect((await events({ resourceType: 'Customer', outcome: 'ALLOWED' })).every((e) => e.resourceType === 'Customer')).toBe(true);
    expect(await events({ outcome: 'FAILED' })).toEqual([]);

    const all = await events({});
    const mid = all[Math.floor(all.length / 2)].occurredAt;
    const before = await events({ to: mid });
    const after = await events({ from: mid });
    expect(before.length + after.length).toBe(all.length);
    expect(before.every((e) => e.occurredAt < mid) && after.every((e) => e.occurredAt >= mid)).toBe(true);
    expect(await events({ from: new Date(Date.now() + 3_600_000).toISOString() })).toEqual([]);
  });

  it('pages newest first by chain position', async () => {
    const first = await analyst.ok<Page>(EVENTS, { first: 2 });
    const next = await analyst.ok<Page>(EVENTS, { first: 2, after: first.auditEvents.pageInfo.endCursor });
    const seqs = [...first.auditEvents.edges, ...next.auditEvents.edges].map((e) => e.node.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(new Set(seqs).size).toBe(4);
  });

  it('keeps personal data inside events behind @sensitive: FORBIDDEN for the analyst, full (and itself audited) for an admin', async () => {
    const q = `{ auditEvents(filter: { action: "auth.login", outcome: DENIED }, first: 1) { edges { node { id seq detail personalDetail } } } }`;
    const r = await analyst.request<{ auditEvents: { edges: { node: { detail: string; personalDetail: string | null } }[] } }>(q);
    expect(r.errors?.map((e) => [e.extensions?.code, e.path?.at(-1)])).toEqual([['FORBIDDEN', 'personalDetail']]);
    const node = r.data!.auditEvents.edges[0].node;
    expect(node.personalDetail).toBeNull();
    expect(JSON.parse(node.detail)).toEqual({ reason: 'unknown account' }); // no e-mail, no address
    expect(node.detail).not.toContain('nobody@acme.test');

    const admin = await server.as('admin');
    const full = await admin.ok<{ auditEvents: { edges: { node: { id: string; personalDetail: string } }[] } }>(q);
    const personal = JSON.parse(full.auditEvents.edges[0].node.personalDetail) as Record<string, unknown>;
    expect(personal.email).toBe('nobody@acme.test');
    const reads = await events({ resourceType: 'AuditEvent', action: 'sensitive.read' });
    expect(reads[0]).toMatchObject({ field: 'personalDetail', resourceIds: [full.auditEvents.edges[0].node.id] });
  });

  it('refuses bad filters and cursors with clear codes', async () => {
    const code = async (variables: Record<string, unknown>) => (await analyst.request(EVENTS, variables)).errors?.[0]?.extensions?.code;
    expect(await code({ after: 'not-a-cursor' })).toBe('BAD_USER_INPUT');
    expect(await code({ after: Buffer.from('seq:-1').toString('base64url') })).toBe('BAD_USER_INPUT');
    expect(await code({ f: { action: 'DROP TABLE' } })).toBe('BAD_USER_INPUT');
    expect(await code({ f: { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' } })).toBe('BAD_USER_INPUT');
    expect(await code({ f: { actorId: 'bm90LWFuLWlk' } })).toBe('BAD_USER_INPUT');
    const other = await seedOtherTenant(server.database.db, 'globex');
    expect(await code({ f: { tenantId: toGlobalId('Tenant', other.tenantId) } })).toBe('FORBIDDEN');
    expect(await code({ f: { actorId: toGlobalId('User', other.userId) } })).toBe('FORBIDDEN');
    expect(await code({ f: { tenantId: toGlobalId('Tenant', server.tenantId) } })).toBeUndefined();
    expect((await (await server.as('agent')).request(EVENTS, {})).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('adds one statement to a request however many sensitive fields and records it reads', async () => {
    // Internal notes are sensitive but not encrypted, so the difference is the audit insert alone
    // (customer PII would add the data-key read of decryption).
    // The demo article tagged "enterprise" carries internal notes; the first of an unfiltered list may not.
    const one1 = '{ articles(first: 1, filter: { tags: ["enterprise"] }) { edges { node { id title %s } } } }';
    const all50 = '{ articles(first: 50) { edges { node { id title %s } } } }';
    const without = await lead.request(one1.replace('%s', ''));
    const one = await lead.request<{ articles: { edges: { node: { internalNotes: string | null } }[] } }>(one1.replace('%s', 'internalNotes'));
    const manyWithout = await lead.request(all50.replace('%s', ''));
    const many = await lead.request(all50.replace('%s', 'internalNotes'));
    const n = (r: typeof without) => r.extensions!.counters!.statements;
    expect(one.data?.articles.edges[0].node.internalNotes).toBe('Finance asked to be copied on every exception.');
    expect(n(one) - n(without)).toBe(1);
    expect(n(many) - n(manyWithout)).toBe(1);
    const pii = await lead.request('{ customers(first: 1) { edges { node { id phone } } } }');
    const piiMany = await lead.request('{ customers(first: 100) { edges { node { id phone email } } } }');
    expect(n(piiMany)).toBe(n(pii));
  });

  it('writes the buffered events in the request transaction: nothing is half-written', async () => {
    const count = async () =>
      Number((await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from audit_events`)))[0].n);
    const before = await count();
    await lead.ok('{ customers(first: 3) { edges { node { phone email } } } }');
    expect(await count()).toBe(before + 2);
  });
});
