import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { sweepExpiredGrants } from '../../src/modules/access/grant-sweeper';
import type { GraphQLClient } from '../testkit/client';
import { createTestServer, type TestServer } from '../testkit/server';
import { seedOtherTenant } from '../testkit/seed';
import { enrolSecondFactor } from '../testkit/totp';

const GRANT = `mutation($i: GrantAccessInput!) { grantAccess(input: $i) { id permission expiresAt active user { email } grantedBy { email } } }`;
const EXPLAIN = `query($u: ID!, $r: ID!, $p: Permission!, $at: DateTime) { explainAccess(userId: $u, resourceId: $r, permission: $p, at: $at) {
  allowed at chain { kind allowed role grantId description } } }`;

type Explanation = { explainAccess: { allowed: boolean; chain: { kind: string; grantId: string | null; role: string | null; description: string }[] } };

describe('time-bound grants, explanations and access requests', () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let agent: GraphQLClient;
  let restrictedId: string;
  let agentId: string;

  beforeAll(async () => {
    server = await createTestServer();
    admin = await server.as('admin');
    agent = await server.as('agent');
    const [row] = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ id: string }>(tx, sql`select id from articles where classification = 'RESTRICTED' and title like 'Incident 2026-07%'`),
    );
    restrictedId = Buffer.from(`Article:${row.id}`).toString('base64url');
    agentId = (await agent.ok<{ me: { user: { id: string } } }>('{ me { user { id } } }')).me.user.id;
    // The admin (CONFIDENTIAL clearance) cannot see the RESTRICTED article, so cannot hand it out; not even
    // whether it exists.
    const blind = await admin.request(GRANT, { i: { userId: agentId, resourceId: restrictedId, permission: 'ARTICLE_READ', expiresAt: new Date(Date.now() + 60_000).toISOString(), reason: 'Incident follow-up call' } });
    expect(blind.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['NOT_FOUND', 'Article not found']]);
    // Except through break-glass: with their own emergency access the admin may delegate it.
    await admin.ok('mutation($r: ID!) { breakGlass(resourceId: $r, reason: "Incident follow-up: brief the agent", minutes: 30) { id } }', { r: restrictedId });
    // Nor what they could read only after a step-up: a RESTRICTED body needs a recent second factor.
    const unverified = await admin.request(GRANT, { i: { userId: agentId, resourceId: restrictedId, permission: 'ARTICLE_READ', expiresAt: new Date(Date.now() + 60_000).toISOString(), reason: 'Incident follow-up call' } });
    expect(unverified.errors?.[0].extensions).toMatchObject({ code: 'MFA_REQUIRED', stepUp: 'enrollTotp', reason: 'STEP_UP' });
    expect(unverified.errors?.[0].message).toBe('Granting on a RESTRICTED article needs a recent second factor, as reading it does (see extensions.stepUp)');
    await enrolSecondFactor(admin);
  });
  afterAll(() => server.stop());

  const countGrants = async () =>
    Number((await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from access_grants`)))[0].n);

  it('lets the agent read a RESTRICTED article from the next request, names the grant, and stops at expiresAt', async () => {
    const read = () => agent.request<{ article: { title: string } | null }>('query($id: ID!) { article(id: $id) { title } }', { id: restrictedId });
    expect((await read()).data?.article).toBeNull();

    const expiresAt = new Date(Date.now() + 3000);
    const granted = await admin.ok<{ grantAccess: { id: string; active: boolean; user: { email: string }; grantedBy: { email: string } } }>(GRANT, {
      i: { userId: agentId, resourceId: restrictedId, permission: 'ARTICLE_READ', expiresAt: expiresAt.toISOString(), reason: 'Incident follow-up call' },
    });
    expect(granted.grantAccess).toMatchObject({ active: true, user: { email: 'agent@acme.test' }, grantedBy: { email: 'admin@acme.test' } });
    const during = new Date();

    expect((await read()).data?.article?.title).toMatch(/credential stuffing/);
    const list = await agent.ok<{ articles: { edges: { node: { classification: string } }[] } }>('{ articles(first: 100) { edges { node { classification } } } }');
    expect(list.articles.edges.filter((e) => e.node.classification === 'RESTRICTED')).toHaveLength(1);

    const now = await admin.ok<Explanation>(EXPLAIN, { u: agentId, r: restrictedId, p: 'ARTICLE_READ' });
    expect(now.explainAccess.allowed).toBe(true);
    expect(now.explainAccess.chain[0]).toMatchObject({ kind: 'GRANT', grantId: granted.grantAccess.id });

    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt.getTime() - Date.now()) + 200));
    const after = await read();
    expect(after.data?.article).toBeNull();
    expect(after.errors).toBeUndefined(); // not FORBIDDEN: an unreadable row is simply not there

    const later = await admin.ok<Explanation>(EXPLAIN, { u: agentId, r: restrictedId, p: 'ARTICLE_READ' });
    expect(later.explainAccess.allowed).toBe(false);
    expect(later.explainAccess.chain.map((s) => s.kind)).toEqual(['CLASSIFICATION']);
    const past = await admin.ok<Explanation>(EXPLAIN, { u: agentId, r: restrictedId, p: 'ARTICLE_READ', at: during.toISOString() });
    expect(past.explainAccess.allowed).toBe(true);
    expect(past.explainAccess.chain[0]).toMatchObject({ kind: 'GRANT', grantId: granted.grantAccess.id });

    // The sweeper only records the expiry; the decision above did not need it.
    expect(await sweepExpiredGrants(server.database.db)).toBe(1);
    const events = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ action: string; outcome: string }>(tx, sql`select action, outcome from audit_events where action like 'grant.%' order by seq`),
    );
    // The admin's refused attempts are audited too: unseen (DENIED), then without the step-up (FAILED, as MFA_REQUIRED is).
    expect(events.map((e) => [e.action, e.outcome])).toEqual([['grant.create', 'DENIED'], ['grant.create', 'FAILED'], ['grant.create', 'ALLOWED'], ['grant.expired', 'ALLOWED']]);
  });

  it('refuses bad grants with clear codes and writes nothing', async () => {
    const before = await countGrants();
    const base = { userId: agentId, resourceId: restrictedId, permission: 'ARTICLE_READ', expiresAt: new Date(Date.now() + 60_000).toISOString(), reason: 'ok reason' };
    const code = async (client: GraphQLClient, i: Record<string, unknown>) => (await client.request(GRANT, { i })).errors?.[0]?.extensions?.code;
    expect(await code(admin, { ...base, expiresAt: new Date(Date.now() - 1000).toISOString() })).toBe('BAD_USER_INPUT');
    expect(await code(admin, { ...base, expiresAt: new Date(Date.now() + 91 * 86_400_000).toISOString() })).toBe('BAD_USER_INPUT');
    expect(await code(admin, { ...base, reason: '   ' })).toBe('BAD_USER_INPUT');
    expect(await code(admin, { ...base, permission: 'NOT_A_PERMISSION' })).toBe('BAD_USER_INPUT');
    expect(await code(admin, { ...base, permission: 'CUSTOMER_READ' })).toBe('BAD_USER_INPUT'); // not about articles
    expect(await code(admin, { ...base, teamId: 'VGVhbTowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA' })).toBe('BAD_USER_INPUT'); // two grantees
    const other = await seedOtherTenant(server.database.db);
    expect(await code(admin, { ...base, resourceId: Buffer.from(`Customer:${other.customerId}`).toString('base64url'), permission: 'CUSTOMER_READ' })).toBe('NOT_FOUND');
    expect(await code(admin, { ...base, userId: Buffer.from(`User:${other.userId}`).toString('base64url') })).toBe('NOT_FOUND');
    expect(await code(agent, base)).toBe('FORBIDDEN'); // no GRANT_MANAGE

    // Escalation: a grant manager who does not hold CUSTOMER_READ cannot hand it out.
    const role = await admin.ok<{ createRole: { id: string } }>('mutation { createRole(input: { key: "grant_desk", name: "Grant desk", permissions: [GRANT_MANAGE, ARTICLE_READ] }) { id } }');
    const analyst = await server.as('analyst');
    const analystId = (await analyst.ok<{ me: { user: { id: string } } }>('{ me { user { id } } }')).me.user.id;
    await admin.ok('mutation($i: AssignRoleInput!) { assignRole(input: $i) { id } }', { i: { userId: analystId, roleId: role.createRole.id } });
    const customers = await admin.ok<{ customers: { edges: { node: { id: string } }[] } }>('{ customers(first: 1) { edges { node { id } } } }');
    // Of a record they cannot see, not even that a permission does not fit it.
    expect(await code(analyst, { ...base, permission: 'CUSTOMER_READ' })).toBe('NOT_FOUND');
    // ... and, not seeing customers at all, is told nothing about this one.
    expect(await code(analyst, { ...base, resourceId: customers.customers.edges[0].node.id, permission: 'CUSTOMER_READ' })).toBe('NOT_FOUND');
    // Within sight (a PUBLIC article, read tenant-wide) but beyond reach: ARTICLE_WRITE only on their own articles.
    const writer = await admin.ok<{ createRole: { id: string } }>('mutation { createRole(input: { key: "own_writer", name: "Own writer", permissions: [ARTICLE_WRITE] }) { id } }');
    await admin.ok('mutation($i: AssignRoleInput!) { assignRole(input: $i) { id } }', { i: { userId: analystId, roleId: writer.createRole.id, scope: { type: 'OWN' } } });
    const visible = await analyst.ok<{ articles: { edges: { node: { id: string } }[] } }>('{ articles(first: 1) { edges { node { id } } } }');
    const beyond = await analyst.request(GRANT, { i: { ...base, resourceId: visible.articles.edges[0].node.id, permission: 'ARTICLE_WRITE' } });
    expect(beyond.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(beyond.errors?.[0].message).toMatch(/could not use it yourself/);
    expect(await code(analyst, { ...base, resourceId: visible.articles.edges[0].node.id })).toBeUndefined(); // ARTICLE_READ there: allowed
    expect(await countGrants()).toBe(before + 1);
  });

  it('turns an approved access request into a grant; nobody approves their own', async () => {
    const req = await agent.ok<{ requestAccess: { id: string; status: string } }>(
      'mutation($i: RequestAccessInput!) { requestAccess(input: $i) { id status } }',
      { i: { resourceId: restrictedId, permission: 'ARTICLE_READ', durationMinutes: 30, reason: 'Customer asks about the July incident' } },
    );
    expect(req.requestAccess.status).toBe('PENDING');
    expect((await agent.request('mutation($id: ID!) { approveAccessRequest(id: $id) { id } }', { id: req.requestAccess.id })).errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const own = await admin.ok<{ requestAccess: { id: string } }>('mutation($i: RequestAccessInput!) { requestAccess(input: $i) { id } }', {
      i: { resourceId: restrictedId, permission: 'ARTICLE_READ', durationMinutes: 30, reason: 'Admin wants to read it' },
    });
    expect((await admin.request('mutation($id: ID!) { approveAccessRequest(id: $id) { id } }', { id: own.requestAccess.id })).errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const approved = await admin.ok<{ approveAccessRequest: { status: string; grant: { active: boolean; permission: string } } }>(
      'mutation($id: ID!) { approveAccessRequest(id: $id, note: "ok for 30 minutes") { status grant { active permission } } }',
      { id: req.requestAccess.id },
    );
    expect(approved.approveAccessRequest).toEqual({ status: 'APPROVED', grant: { active: true, permission: 'ARTICLE_READ' } });
    const again = await admin.request('mutation($id: ID!) { approveAccessRequest(id: $id) { id } }', { id: req.requestAccess.id });
    expect(again.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await agent.ok<{ article: { title: string } }>('query($id: ID!) { article(id: $id) { title } }', { id: restrictedId })).article.title).toBe('Incident 2026-07: credential stuffing response');

    const who = await admin.ok<{ whoCanAccess: { user: { email: string }; explanation: { chain: { kind: string }[] } }[] }>(
      'query($r: ID!) { whoCanAccess(resourceId: $r, permission: ARTICLE_READ) { user { email } explanation { chain { kind } } } }',
      { r: restrictedId },
    );
    expect(who.whoCanAccess.map((h) => [h.user.email, h.explanation.chain[0].kind]).sort()).toEqual([['admin@acme.test', 'GRANT'], ['agent@acme.test', 'GRANT']]);
  });

  it('loads the decision state in the same number of statements with 1 grant or 200', async () => {
    const query = '{ articles(first: 5) { edges { node { id title } } } }';
    const before = (await agent.request(query)).extensions?.counters?.statements;
    const [admin_] = await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ id: string }>(tx, sql`select id from users where email = 'admin@acme.test'`));
    const [agent_] = await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ id: string }>(tx, sql`select id from users where email = 'agent@acme.test'`));
    await withTenantTx(server.database.db, server.tenantId, (tx) =>
      tx.execute(sql`insert into access_grants (tenant_id, user_id, resource_type, resource_id, permission, reason, granted_by, expires_at)
        select ${server.tenantId}, ${agent_.id}, 'Article', gen_random_uuid(), 'ARTICLE_READ', 'load test', ${admin_.id}, now() + interval '1 hour'
        from generate_series(1, 200)`),
    );
    const after = await agent.request(query);
    expect(after.errors).toBeUndefined();
    expect(after.extensions?.counters?.statements).toBe(before);
  });
});
