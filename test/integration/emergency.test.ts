import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { toGlobalId } from '../../src/lib/global-id';
import type { GraphQLClient } from '../testkit/client';
import { createTestServer, type TestServer } from '../testkit/server';
import { seedOtherTenant } from '../testkit/seed';

const BREAK = 'mutation($r: ID!, $reason: String!, $m: Int!) { breakGlass(resourceId: $r, reason: $reason, minutes: $m) { id permissions active expiresAt reviewStatus user { email } } }';
type Broken = { breakGlass: { id: string; permissions: string[]; active: boolean; expiresAt: string; reviewStatus: string; user: { email: string } } };

describe('emergency response: break-glass and lockdown', () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let restrictedId: string;
  let customerId: string;
  beforeAll(async () => {
    server = await createTestServer();
    admin = await server.as('admin');
    const [a] = await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ id: string }>(tx, sql`select id from articles where classification = 'RESTRICTED' and title like 'Incident 2026-07%'`));
    const [c] = await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ id: string }>(tx, sql`select id from customers where name = '张伟'`));
    restrictedId = toGlobalId('Article', a.id);
    customerId = toGlobalId('Customer', c.id);
  });
  afterAll(() => server.stop());

  const code = async (c: GraphQLClient, q: string, v?: Record<string, unknown>) => (await c.request(q, v)).errors?.[0]?.extensions;
  const countGrants = async () => Number((await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from access_grants`)))[0].n);

  async function criticalAlerts(): Promise<{ rule: string; severity: string; subject: { email: string }; evidence: { action: string }[] }[]> {
    const analyst = await server.as('analyst');
    for (let i = 0; i < 80; i++) {
      const r = await analyst.ok<{ securityAlerts: { edges: { node: { rule: string; severity: string; subject: { email: string }; evidence: { action: string }[] } }[] } }>(
        '{ securityAlerts(filter: { severity: CRITICAL }) { edges { node { rule severity subject { email } evidence { action } } } } }',
      );
      if (r.securityAlerts.edges.length) return r.securityAlerts.edges.map((e) => e.node);
      await new Promise((res) => setTimeout(res, 100));
    }
    return [];
  }

  it('gives the lead immediate, time-boxed access to a RESTRICTED article, raises a CRITICAL alert and opens a review', async () => {
    const lead = await server.as('lead');
    const read = () => lead.request<{ article: { title: string; internalNotes: string } | null }>('query($id: ID!) { article(id: $id) { title internalNotes } }', { id: restrictedId });
    expect((await read()).data?.article).toBeNull();

    const { breakGlass } = await lead.ok<Broken>(BREAK, { r: restrictedId, reason: 'P1 incident: customer data exposure call', m: 30 });
    expect(breakGlass).toMatchObject({ permissions: ['ARTICLE_READ', 'ARTICLE_INTERNAL_NOTES_READ'], active: true, reviewStatus: 'OPEN', user: { email: 'lead@acme.test' } });
    expect(new Date(breakGlass.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    // The record opens at once; its content still needs a fresh second factor (step-up on RESTRICTED).
    const opened = await read();
    expect(opened.data?.article?.title).toBe('Incident 2026-07: credential stuffing response');
    expect(opened.errors?.map((e) => e.extensions?.code)).toEqual(['MFA_REQUIRED']);

    const [alert] = await criticalAlerts();
    expect(alert).toMatchObject({ rule: 'BREAK_GLASS', severity: 'CRITICAL', subject: { email: 'lead@acme.test' }, evidence: [{ action: 'break_glass.use' }] });

    const { breakGlassReviews } = await admin.ok<{ breakGlassReviews: { id: string; reason: string }[] }>('{ breakGlassReviews { id reason } }');
    expect(breakGlassReviews).toEqual([{ id: breakGlass.id, reason: 'P1 incident: customer data exposure call' }]);
    const closed = await admin.ok<{ closeBreakGlassReview: { reviewStatus: string; reviewOutcome: string; active: boolean; reviewedBy: { email: string } } }>(
      'mutation($id: ID!) { closeBreakGlassReview(id: $id, outcome: UNJUSTIFIED, note: "Not an incident; talk to the lead") { reviewStatus reviewOutcome active reviewedBy { email } } }',
      { id: breakGlass.id },
    );
    expect(closed.closeBreakGlassReview).toEqual({ reviewStatus: 'CLOSED', reviewOutcome: 'UNJUSTIFIED', active: false, reviewedBy: { email: 'admin@acme.test' } });
    expect((await read()).data?.article).toBeNull(); // closing ended the access
    expect((await code(admin, 'mutation($id: ID!) { closeBreakGlassReview(id: $id, outcome: JUSTIFIED, note: "again") { id } }', { id: breakGlass.id }))?.code).toBe('BAD_USER_INPUT');
    const mine = await lead.ok<{ myBreakGlassAccesses: { reviewStatus: string }[] }>('{ myBreakGlassAccesses { reviewStatus } }');
    expect(mine.myBreakGlassAccesses).toEqual([{ reviewStatus: 'CLOSED' }]);
  });

  it('gives full personal data on a customer to a masked-only holder of BREAK_GLASS, and nobody reviews their own', async () => {
    const role = await admin.ok<{ createRole: { id: string } }>('mutation { createRole(input: { key: "on_call", name: "On call", permissions: [BREAK_GLASS] }) { id } }');
    const agent = await server.as('agent');
    const agentId = (await agent.ok<{ me: { user: { id: string } } }>('{ me { user { id } } }')).me.user.id;
    await admin.ok('mutation($i: AssignRoleInput!) { assignRole(input: $i) { id } }', { i: { userId: agentId, roleId: role.createRole.id } });
    const phone = async () => (await agent.ok<{ customer: { phone: string } }>('query($id: ID!) { customer(id: $id) { phone } }', { id: customerId })).customer.phone;
    expect(await phone()).toBe('138****5678');
    await agent.ok(BREAK, { r: customerId, reason: 'Customer in danger, emergency callback', m: 5 });
    expect(await phone()).toBe('13812345678');

    const own = await admin.ok<Broken>(BREAK, { r: customerId, reason: 'Admin checks the break-glass flow', m: 1 });
    expect(await code(admin, 'mutation($id: ID!) { closeBreakGlassReview(id: $id, outcome: JUSTIFIED, note: "fine") { id } }', { id: own.breakGlass.id })).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses bad break-glass requests with clear codes and writes nothing', async () => {
    const lead = await server.as('lead');
    const before = await countGrants();
    const v = { r: restrictedId, reason: 'A long enough reason', m: 10 };
    expect((await code(lead, BREAK, { ...v, m: 0 }))?.code).toBe('BAD_USER_INPUT');
    expect((await code(lead, BREAK, { ...v, m: 241 }))?.code).toBe('BAD_USER_INPUT');
    expect((await code(lead, BREAK, { ...v, reason: 'short' }))?.code).toBe('BAD_USER_INPUT');
    expect((await code(lead, BREAK, { ...v, r: 'bm9wZQ' }))?.code).toBe('BAD_USER_INPUT');
    const other = await seedOtherTenant(server.database.db, 'globex');
    expect((await code(lead, BREAK, { ...v, r: toGlobalId('Article', other.articleId) }))?.code).toBe('NOT_FOUND');
    expect((await code(await server.as('sales'), BREAK, v))?.code).toBe('FORBIDDEN');
    expect((await code(lead, '{ breakGlassReviews { id } }'))?.code).toBe('FORBIDDEN');
    expect(await countGrants()).toBe(before);
  });

  it('locks the tenant down: sessions revoked except the admins\', the knowledge base read-only for everyone until lifted', async () => {
    const lead = await server.as('lead');
    const q = '{ articles(first: 3) { edges { node { title } } } }';
    const statementsBefore = (await lead.request(q)).extensions!.counters!.statements;

    expect((await code(lead, 'mutation { lockdown(reason: "suspected leak") { active } }'))?.code).toBe('FORBIDDEN');
    const started = await admin.ok<{ lockdown: { active: boolean; reason: string; sessionsRevoked: number; startedBy: { email: string } } }>(
      'mutation { lockdown(reason: "Credential leak suspected") { active reason sessionsRevoked startedBy { email } } }',
    );
    expect(started.lockdown).toMatchObject({ active: true, reason: 'Credential leak suspected', startedBy: { email: 'admin@acme.test' } });
    expect(started.lockdown.sessionsRevoked).toBeGreaterThanOrEqual(1);
    const live = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ email: string }>(tx, sql`select distinct u.email from sessions s join users u on u.id = s.user_id where s.revoked_at is null`),
    );
    expect(live).toEqual([{ email: 'admin@acme.test' }]);
    expect(await code(lead, q)).toEqual({ code: 'UNAUTHENTICATED', reason: 'REVOKED_BY_ADMIN' });
    expect((await admin.ok<{ lockdownStatus: { active: boolean } }>('{ lockdownStatus { active } }')).lockdownStatus.active).toBe(true);

    const again = await server.as('lead');
    const read = await again.request(q);
    expect(read.errors).toBeUndefined();
    expect(read.extensions!.counters!.statements).toBe(statementsBefore); // the lockdown is in the viewer statement
    const create = await again.request('mutation { createArticle(input: { title: "t", body: "b" }) { id } }');
    expect(create.errors?.[0].extensions).toEqual({ code: 'FORBIDDEN', reason: 'LOCKDOWN' });
    expect(create.errors?.[0].message).toContain('read-only during the lockdown');
    expect((await code(admin, 'mutation { createArticle(input: { title: "t", body: "b" }) { id } }'))).toEqual({ code: 'FORBIDDEN', reason: 'LOCKDOWN' });
    // Customer data is not the knowledge base: still writable.
    expect((await again.request('mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) { name } }', { i: { id: customerId, company: 'Still works' } })).errors).toBeUndefined();
    expect((await code(admin, 'mutation { lockdown(reason: "twice over") { active } }'))?.code).toBe('BAD_USER_INPUT');

    const lifted = await admin.ok<{ liftLockdown: { active: boolean; liftedBy: { email: string } } }>('mutation { liftLockdown(reason: "Keys rotated, all clear") { active liftedBy { email } } }');
    expect(lifted.liftLockdown).toEqual({ active: false, liftedBy: { email: 'admin@acme.test' } });
    expect((await again.request('mutation { createArticle(input: { title: "After", body: "b" }) { id } }')).errors).toBeUndefined();
    expect((await code(admin, 'mutation { liftLockdown(reason: "nothing to lift") { active } }'))?.code).toBe('BAD_USER_INPUT');

    const analyst = await server.as('analyst');
    const events = await analyst.ok<{ auditEvents: { edges: { node: { action: string; outcome: string; detail: string } }[] } }>(
      '{ auditEvents(first: 100, filter: { action: "lockdown.*" }) { edges { node { action outcome detail } } } }',
    );
    expect(events.auditEvents.edges.map((e) => [e.node.action, e.node.outcome])).toEqual([
      ['lockdown.lift', 'FAILED'], // nothing to lift
      ['lockdown.lift', 'ALLOWED'],
      ['lockdown.start', 'FAILED'], // already in lockdown
      ['lockdown.start', 'ALLOWED'],
    ]);
    const denied = await analyst.ok<{ auditEvents: { edges: { node: { detail: string; field: string } }[] } }>('{ auditEvents(first: 100, filter: { action: "access.denied" }) { edges { node { detail field } } } }');
    expect(denied.auditEvents.edges.filter((e) => JSON.parse(e.node.detail).reason === 'tenant lockdown').map((e) => e.node.field)).toEqual(['createArticle', 'createArticle']);
  });
});
