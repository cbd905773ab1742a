import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { processAllDueReviews } from '../../src/modules/review/review-due';
import { toGlobalId } from '../../src/lib/global-id';
import type { GraphQLClient } from '../testkit/client';
import { createTestServer, type TestServer } from '../testkit/server';
import { enrolSecondFactor } from '../testkit/totp';

const START = 'mutation($i: StartAccessReviewInput!) { startAccessReview(input: $i) { id status missedDecision items { id kind user { email } roleKey reviewer { email } unused lastUsedAt status } } }';
const DECIDE = 'mutation($i: DecideAccessReviewItemInput!) { decideAccessReviewItem(input: $i) { id status decidedBy { email } change } }';
type Item = { id: string; kind: string; user: { email: string } | null; roleKey: string | null; reviewer: { email: string } | null; unused: boolean; lastUsedAt: string | null; status: string };
type Started = { startAccessReview: { id: string; status: string; missedDecision: string; items: Item[] } };

describe('access reviews', () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let lead: GraphQLClient;
  let agent: GraphQLClient;
  let restrictedId: string;
  const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

  beforeAll(async () => {
    server = await createTestServer();
    admin = await server.as('admin');
    await enrolSecondFactor(admin); // to grant on a CONFIDENTIAL article
    lead = await server.as('lead');
    agent = await server.as('agent');
    await lead.ok('{ customers(first: 2) { edges { node { phone } } } }');
    const [a] = await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ id: string }>(tx, sql`select id from articles where classification = 'CONFIDENTIAL' and status = 'PUBLISHED' order by id limit 1`));
    // One the agent cannot read and the admin can (nobody grants beyond their own sight).
    restrictedId = toGlobalId('Article', a.id);
    const agentId = (await agent.ok<{ me: { user: { id: string } } }>('{ me { user { id } } }')).me.user.id;
    await admin.ok('mutation($i: GrantAccessInput!) { grantAccess(input: $i) { id } }', {
      i: { userId: agentId, resourceId: restrictedId, permission: 'ARTICLE_READ', expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), reason: 'Incident follow-up' },
    });
  });
  afterAll(() => server.stop());

  const code = async (c: GraphQLClient, q: string, v?: Record<string, unknown>) => (await c.request(q, v)).errors?.[0]?.extensions?.code;
  const byUser = (items: Item[], email: string, kind = 'ASSIGNMENT') => items.find((i) => i.user?.email === email && i.kind === kind)!;

  it('snapshots every assignment and grant with last-used evidence and a reviewer (the team lead by default), and revokes what the reviewer rejects', async () => {
    const { startAccessReview: review } = await admin.ok<Started>(START, { i: { name: 'Q3 access review', scope: { type: 'TENANT' }, dueAt: inAnHour(), unusedDays: 30 } });
    expect(review).toMatchObject({ status: 'OPEN', missedDecision: 'REVOKE' });
    expect(review.items.map((i) => `${i.kind}:${i.user?.email}:${i.roleKey ?? ''}`).sort()).toEqual([
      'ASSIGNMENT:admin@acme.test:admin',
      'ASSIGNMENT:agent@acme.test:support_agent',
      'ASSIGNMENT:analyst@acme.test:security_analyst',
      'ASSIGNMENT:lead@acme.test:support_lead',
      'ASSIGNMENT:sales@acme.test:sales',
      'GRANT:agent@acme.test:',
    ]);
    // The agent's lead reviews the agent; the lead leads their own team, so the campaign owner reviews them; nobody reviews themselves.
    expect(byUser(review.items, 'agent@acme.test').reviewer?.email).toBe('lead@acme.test');
    expect(byUser(review.items, 'agent@acme.test', 'GRANT').reviewer?.email).toBe('lead@acme.test');
    expect(byUser(review.items, 'lead@acme.test').reviewer?.email).toBe('admin@acme.test');
    expect(byUser(review.items, 'admin@acme.test').reviewer).toBeNull();
    // Used: the lead read PII in full; the agent signed in (ARTICLE_READ is not audited per read). Sales never signed in.
    expect(byUser(review.items, 'lead@acme.test')).toMatchObject({ unused: false, lastUsedAt: expect.any(String) });
    expect(byUser(review.items, 'agent@acme.test').unused).toBe(false);
    expect(byUser(review.items, 'sales@acme.test')).toMatchObject({ unused: true, lastUsedAt: null });
    expect(byUser(review.items, 'agent@acme.test', 'GRANT').unused).toBe(true);

    const mine = await lead.ok<{ myAccessReviewItems: { id: string; description: string; reviewName: string }[] }>('{ myAccessReviewItems { id description reviewName } }');
    expect(mine.myAccessReviewItems.map((i) => i.description).sort()).toEqual([
      expect.stringMatching(/^grant of ARTICLE_READ on Article to the user until /),
      'role support_agent (ARTICLE_READ, CUSTOMER_READ, PII_READ_MASKED, TICKET_READ, TICKET_WRITE, FEEDBACK_WRITE) in scope TENANT',
    ]);
    expect(mine.myAccessReviewItems[0].reviewName).toBe('Q3 access review');

    const customers = '{ customers(first: 1) { edges { node { name } } } }';
    expect((await agent.request(customers)).errors).toBeUndefined();
    const rejected = await lead.ok<{ decideAccessReviewItem: { status: string; decidedBy: { email: string } } }>(DECIDE, {
      i: { id: byUser(review.items, 'agent@acme.test').id, decision: 'REVOKE', note: 'Moved to the billing team' },
    });
    expect(rejected.decideAccessReviewItem).toMatchObject({ status: 'REVOKED', decidedBy: { email: 'lead@acme.test' }, change: null });
    // At once: the agent's next request no longer holds the role.
    expect((await agent.request(customers)).errors?.[0].extensions?.code).toBe('FORBIDDEN');

    // Shorten the grant instead of revoking it.
    const soon = new Date(Date.now() + 3_600_000).toISOString();
    const changed = await lead.ok<{ decideAccessReviewItem: { status: string; change: string } }>(DECIDE, { i: { id: byUser(review.items, 'agent@acme.test', 'GRANT').id, decision: 'CHANGE', expiresAt: soon } });
    expect(changed.decideAccessReviewItem.status).toBe('CHANGED');
    const { grants } = await admin.ok<{ grants: { edges: { node: { expiresAt: string } }[] } }>('query($r: ID!) { grants(resourceId: $r) { edges { node { expiresAt } } } }', { r: restrictedId });
    expect(grants.edges[0].node.expiresAt).toBe(soon);

    // The owner replaces sales' role with a narrower one, and keeps the analyst.
    const { roles } = await admin.ok<{ roles: { id: string; key: string }[] }>('{ roles { id key } }');
    const newHire = roles.find((r) => r.key === 'new_hire')!.id;
    await admin.ok(DECIDE, { i: { id: byUser(review.items, 'sales@acme.test').id, decision: 'CHANGE', roleId: newHire, note: 'Unused for 30 days' } });
    await admin.ok(DECIDE, { i: { id: byUser(review.items, 'analyst@acme.test').id, decision: 'KEEP' } });
    const sales = await server.as('sales');
    const me = await sales.ok<{ me: { roles: { key: string }[] } }>('{ me { roles { key } } }');
    expect(me.me.roles.map((r) => r.key)).toEqual(['new_hire']);

    const report = await admin.ok<{ accessReview: { status: string; report: Record<string, unknown> } }>(
      'query($id: ID!) { accessReview(id: $id) { status report { total pending kept revoked changed autoRevoked escalated unused unusedRevoked byReviewer { reviewer { email } total pending } } } }',
      { id: review.id },
    );
    expect(report.accessReview.status).toBe('OPEN');
    expect(report.accessReview.report).toMatchObject({ total: 6, pending: 2, kept: 1, revoked: 1, changed: 2, autoRevoked: 0, escalated: 0, unused: 3, unusedRevoked: 0 }); // sales, the analyst (never signed in), the grant
    expect(report.accessReview.report.byReviewer).toEqual(expect.arrayContaining([{ reviewer: { email: 'lead@acme.test' }, total: 2, pending: 0 }, { reviewer: null, total: 1, pending: 1 }]));

    const audited = await (await server.as('analyst')).ok<{ auditEvents: { edges: { node: { detail: string } }[] } }>('{ auditEvents(filter: { action: "access_review.decide" }) { edges { node { detail } } } }');
    expect(audited.auditEvents.edges.map((e) => JSON.parse(e.node.detail).decision)).toEqual(['KEEP', 'CHANGE', 'CHANGE', 'REVOKE']);
  });

  it('refuses decisions that are not the viewer\'s to make, and bad campaigns', async () => {
    const { startAccessReview: review } = await admin.ok<Started>(START, { i: { name: 'Leads', scope: { type: 'TENANT' }, dueAt: inAnHour() } });
    const own = byUser(review.items, 'admin@acme.test');
    expect(await code(admin, DECIDE, { i: { id: own.id, decision: 'KEEP' } })).toBe('FORBIDDEN');
    expect(await code(lead, DECIDE, { i: { id: byUser(review.items, 'analyst@acme.test').id, decision: 'KEEP' } })).toBe('NOT_FOUND');
    const leadItem = byUser(review.items, 'lead@acme.test');
    expect(await code(admin, DECIDE, { i: { id: leadItem.id, decision: 'CHANGE', expiresAt: inAnHour() } })).toBe('BAD_USER_INPUT');
    expect(await code(admin, DECIDE, { i: { id: leadItem.id, decision: 'KEEP', roleId: toGlobalId('Role', '00000000-0000-0000-0000-000000000000') } })).toBe('BAD_USER_INPUT');
    await admin.ok(DECIDE, { i: { id: leadItem.id, decision: 'KEEP' } });
    expect(await code(admin, DECIDE, { i: { id: leadItem.id, decision: 'REVOKE' } })).toBe('BAD_USER_INPUT');

    const start = (i: Record<string, unknown>) => code(admin, START, { i: { name: 'x', scope: { type: 'TENANT' }, dueAt: inAnHour(), ...i } });
    expect(await start({ dueAt: new Date(Date.now() - 1000).toISOString() })).toBe('BAD_USER_INPUT');
    expect(await start({ scope: { type: 'TEAM' } })).toBe('BAD_USER_INPUT');
    expect(await start({ scope: { type: 'ROLE', id: toGlobalId('Role', '00000000-0000-0000-0000-000000000000') } })).toBe('NOT_FOUND');
    expect(await start({ unusedDays: 0 })).toBe('BAD_USER_INPUT');
    expect(await code(lead, START, { i: { name: 'x', scope: { type: 'TENANT' }, dueAt: inAnHour() } })).toBe('FORBIDDEN');
  });

  it('revokes or escalates what is undecided at the due date, as the tenant policy says', async () => {
    const { roles } = await admin.ok<{ roles: { id: string; key: string }[] }>('{ roles { id key } }');
    const analystRole = roles.find((r) => r.key === 'security_analyst')!.id;
    const due = () => new Date(Date.now() + 1500).toISOString();
    const { startAccessReview: revoke } = await admin.ok<Started>(START, { i: { name: 'Analysts', scope: { type: 'ROLE', id: analystRole }, dueAt: due() } });
    expect(revoke.items.map((i) => i.user?.email)).toEqual(['analyst@acme.test']);

    await admin.ok('mutation { setAccessReviewPolicy(missedDecision: ESCALATE, unusedDays: 60) { missedDecision } }');
    const leadRole = roles.find((r) => r.key === 'support_lead')!.id;
    const { startAccessReview: escalate } = await admin.ok<Started>(START, { i: { name: 'Leads', scope: { type: 'ROLE', id: leadRole }, dueAt: due() } });
    expect(escalate.missedDecision).toBe('ESCALATE');

    await new Promise((r) => setTimeout(r, 1600));
    expect(await processAllDueReviews(server.database.db)).toEqual({ autoRevoked: 1, escalated: 1 });
    expect(await processAllDueReviews(server.database.db)).toEqual({ autoRevoked: 0, escalated: 0 }); // once

    const analyst = await server.client().login('analyst@acme.test');
    expect((await analyst.request('{ auditEvents(first: 1) { edges { cursor } } }')).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const q = 'query($id: ID!) { accessReview(id: $id) { status report { autoRevoked escalated pending } items { status reviewer { email } } } }';
    const revoked = await admin.ok<{ accessReview: { status: string; report: { autoRevoked: number } } }>(q, { id: revoke.id });
    expect(revoked.accessReview).toMatchObject({ status: 'COMPLETED', report: { autoRevoked: 1 } });
    const escalated = await admin.ok<{ accessReview: { status: string; report: { escalated: number; pending: number }; items: { reviewer: { email: string } }[] } }>(q, { id: escalate.id });
    expect(escalated.accessReview).toMatchObject({ status: 'OPEN', report: { escalated: 1, pending: 1 }, items: [{ reviewer: { email: 'admin@acme.test' } }] });
  });
});
