import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { addUser } from '../../src/db/seed/builders';
import { roles } from '../../src/db/schema';
import { toGlobalId } from '../../src/lib/global-id';
import { collect, GraphQLClient } from '../testkit/client';
import { createTestServer, type TestServer } from '../testkit/server';

const ME = '{ me { user { email } } }';
const OFFBOARD = `mutation($i: OffboardUserInput!) { offboardUser(input: $i) {
  user { email status } transferredTo { email } revokedSessions removedRoles withdrawnGrants offboardedAt
  transferred { customers articles tickets } } }`;
const REPORT = `query($id: ID!) { leaverReport(userId: $id) { user { email status } offboardedAt
  reads { action resourceType field resourceIds occurredAt detail } attemptsAfter { id action outcome detail personalDetail } } }`;
const onPostgres = process.env.TEST_DATABASE_URL ? it : it.skip;

describe('offboarding: one transaction revokes everything, transfers ownership, and reports', () => {
  let server: TestServer;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    server = await createTestServer();
    const rows = await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ id: string; email: string }>(tx, sql`select id, email from users`));
    for (const r of rows) ids[r.email.split('@')[0]] = toGlobalId('User', r.id);
  });
  afterAll(() => server.stop());

  const securityEvents = (action: string) =>
    withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ detail: Record<string, unknown> }>(tx, sql`select detail from audit_events where action = ${action} order by seq`));

  it('refuses offboarding yourself, the last administrator, unknown users and bad transfers, writing nothing', async () => {
    const admin = await server.as('admin');
    const self = await admin.request(OFFBOARD, { i: { userId: ids.admin, transferToUserId: ids.lead, reason: 'test' } });
    expect(self.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'userId' });

    // A user manager who is not an administrator tries to offboard the only administrator.
    await withTenantTx(server.database.db, server.tenantId, async (tx) => {
      const [role] = await tx.insert(roles).values({ tenantId: server.tenantId, key: 'user_manager', name: 'User manager', permissions: ['USER_MANAGE'], clearance: 'PUBLIC' }).returning({ id: roles.id });
      await addUser(tx, server.tenantId, { email: 'hr@acme.test', displayName: 'HR', password: DEMO_PASSWORD, roleIds: [role.id] });
    });
    const hr = await server.client().login('hr@acme.test');
    const lastAdmin = await hr.request(OFFBOARD, { i: { userId: ids.admin, transferToUserId: ids.lead, reason: 'test' } });
    expect(lastAdmin.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'userId' });
    expect(lastAdmin.errors?.[0].message).toMatch(/last administrator/);

    const unknown = await admin.request(OFFBOARD, { i: { userId: toGlobalId('User', '00000000-0000-4000-8000-000000000000'), transferToUserId: ids.lead, reason: 'x' } });
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const toSelf = await admin.request(OFFBOARD, { i: { userId: ids.sales, transferToUserId: ids.sales, reason: 'x' } });
    expect(toSelf.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'transferToUserId' });
    const noReason = await admin.request(OFFBOARD, { i: { userId: ids.sales, transferToUserId: ids.lead, reason: '  ' } });
    expect(noReason.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'reason' });
    const notAdmin = await (await server.as('lead')).request(OFFBOARD, { i: { userId: ids.sales, transferToUserId: ids.lead, reason: 'x' } });
    expect(notAdmin.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const statuses = await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from users where status <> 'ACTIVE'`));
    expect(statuses[0].n).toBe(0);
    const refused = await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ outcome: string }>(tx, sql`select outcome from audit_events where action = 'user.offboard'`));
    expect(refused.length).toBe(5); // the lead is refused by the shield rule (access.denied), before the mutation
    expect(refused.every((r) => r.outcome !== 'ALLOWED')).toBe(true);
  });

  it('locks sales@acme.test out everywhere at once and lists what it read', async () => {
    const sales = await server.as('sales');
    const second = await server.as('sales');
    // On PostgreSQL the second session is used through a second server instance on the same database.
    const other = process.env.TEST_DATABASE_URL ? await server.secondInstance() : null;
    const secondClient = other ? other.client(second.token) : second;
    await secondClient.ok(ME);
    await sales.ok('{ customers(first: 3) { edges { node { name phone email } } } }');
    const admin = await server.as('admin');

    const { offboardUser } = await admin.ok<{ offboardUser: Record<string, unknown> }>(OFFBOARD, { i: { userId: ids.sales, transferToUserId: ids.lead, reason: 'left the company' } });
    expect(offboardUser).toMatchObject({
      user: { email: 'sales@acme.test', status: 'DISABLED' },
      transferredTo: { email: 'lead@acme.test' },
      revokedSessions: 2,
      removedRoles: ['sales'],
      withdrawnGrants: 0,
      transferred: { customers: 5, articles: 0, tickets: 0 },
    });

    // The access token it held a moment ago, the refresh token and the password: all refused.
    for (const client of [sales, secondClient]) {
      const me = await client.request(ME);
      expect(me.data?.me).toBeNull();
      expect(me.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
    const refreshed = await server.client().request('mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }', { t: sales.refreshToken });
    expect(refreshed.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const password = await server.client().request(`mutation { login(input: { tenant: "acme", email: "sales@acme.test", password: "${DEMO_PASSWORD}" }) { accessToken } }`);
    expect(password.errors?.[0]).toMatchObject({ message: 'Invalid email or password', extensions: { code: 'UNAUTHENTICATED' } });

    // Each attempt raised a security event.
    expect((await securityEvents('security.leaver_access_attempt')).map((e) => e.detail.credential).sort()).toEqual(['access token', 'access token', 'password', 'refresh token']);

    // Ownership moved to the lead.
    const lead = await server.as('lead');
    const owners = await lead.ok<{ customers: { edges: { node: { owner: { email: string } } }[] } }>('{ customers(first: 50) { edges { node { owner { email } } } } }');
    expect(new Set(owners.customers.edges.map((e) => e.node.owner.email))).toEqual(new Set(['lead@acme.test']));

    const { leaverReport } = await admin.ok<{ leaverReport: { user: { status: string }; offboardedAt: string; reads: { resourceType: string; field: string; resourceIds: string[] }[]; attemptsAfter: { action: string }[] } }>(REPORT, { id: ids.sales });
    expect(leaverReport.user.status).toBe('DISABLED');
    expect(leaverReport.offboardedAt).toEqual(expect.any(String));
    expect(leaverReport.reads.map((r) => `${r.resourceType}.${r.field}`).sort()).toEqual(['Customer.email', 'Customer.phone']);
    expect(leaverReport.reads[0].resourceIds).toHaveLength(3);
    expect(leaverReport.attemptsAfter).toHaveLength(4);
    expect(leaverReport.attemptsAfter.every((a) => a.action === 'security.leaver_access_attempt')).toBe(true);
    // The client's address is personal data: in personalDetail (PII, audited like customer data), never in detail.
    const attempts = (leaverReport as unknown as { attemptsAfter: { id: string; detail: string; personalDetail: string | null }[] }).attemptsAfter;
    for (const a of attempts) expect(Object.keys(JSON.parse(a.detail))).not.toContain('ip');
    // Password and access-token attempts carry the address (the refresh-token one records none).
    expect(attempts.filter((a) => a.personalDetail !== null).map((a) => JSON.parse(a.personalDetail!))).toEqual([{ ip: '127.0.0.1' }, { ip: '127.0.0.1' }, { ip: '127.0.0.1' }]);
    expect(attempts[0].id).toEqual(expect.any(String));

    const again = await admin.request(OFFBOARD, { i: { userId: ids.sales, transferToUserId: ids.lead, reason: 'again' } });
    expect(again.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const byAnalyst = await (await server.as('analyst')).request(REPORT, { id: ids.sales });
    expect(byAnalyst.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('suspends (reversibly): tokens and sign-in refused until reactivated, and nothing is transferred', async () => {
    const admin = await server.as('admin');
    const agent = await server.as('agent');
    const s = await admin.ok<{ suspendUser: { status: string } }>('mutation($id: ID!) { suspendUser(userId: $id, reason: "investigation") { status } }', { id: ids.agent });
    expect(s.suspendUser.status).toBe('SUSPENDED');
    expect((await agent.request(ME)).errors?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'REVOKED_BY_ADMIN' });
    await expect(server.as('agent')).rejects.toThrow(/UNAUTHENTICATED/);
    const self = await admin.request('mutation($id: ID!) { suspendUser(userId: $id, reason: "x") { status } }', { id: ids.admin });
    expect(self.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const offboarded = await admin.request('mutation($id: ID!) { reactivateUser(userId: $id) { status } }', { id: ids.sales });
    expect(offboarded.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    await admin.ok('mutation($id: ID!) { reactivateUser(userId: $id) { status } }', { id: ids.agent });
    const back = await server.as('agent');
    await back.ok('{ customers(first: 1) { edges { node { name } } } }');
    // Suspension is not offboarding: no leaver attempts were recorded for the agent.
    const report = await admin.ok<{ leaverReport: { offboardedAt: string | null; attemptsAfter: unknown[] } }>(REPORT, { id: ids.agent });
    expect(report.leaverReport).toMatchObject({ offboardedAt: null, attemptsAfter: [] });
  });

  it('closes a leaver\'s open subscription on every instance, and refuses their token there', async () => {
    const admin = await server.as('admin');
    const analyst = await server.as('analyst');
    const other = process.env.TEST_DATABASE_URL ? await server.secondInstance() : null;
    const subscriber = other ? new GraphQLClient(other.url, analyst.token) : analyst;
    const ws = subscriber.ws();
    const sub = collect(ws, 'subscription { auditEvents { action } }', {}, 50, 4000);
    await new Promise((r) => setTimeout(r, 300));
    await admin.ok(OFFBOARD, { i: { userId: ids.analyst, transferToUserId: ids.admin, reason: 'contract ended' } });
    const results = await sub.done;
    await ws.dispose();
    // The revocation closes the socket with graphql-ws's Unauthorized (4401), on this instance and the
    // other, and the close reason says why: the session's end code.
    expect(results.at(-1)?.errors?.[0]).toMatchObject({ code: 4401, reason: 'OFFBOARDED' });
    expect((await subscriber.request(ME)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  onPostgres('refuses a token revoked on one instance on the other instance at its next request', async () => {
    const other = await server.secondInstance();
    const lead = await server.as('lead');
    const elsewhere = other.client(lead.token);
    await elsewhere.ok(ME);
    await lead.ok('mutation { logout }');
    expect((await elsewhere.request(ME)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});
