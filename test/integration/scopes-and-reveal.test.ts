import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import type { GraphQLClient } from '../testkit/client';
import { createTestServer, type TestServer } from '../testkit/server';

type Customers = { customers: { edges: { node: { id: string; name: string; phone: string | null } }[] } };
const CUSTOMERS = '{ customers(first: 100) { edges { node { id name phone } } } }';

describe('role scopes, custom roles, reveal on demand', () => {
  let server: TestServer;
  let admin: GraphQLClient;
  const idOf = async (c: GraphQLClient) => (await c.ok<{ me: { user: { id: string } } }>('{ me { user { id } } }')).me.user.id;

  beforeAll(async () => {
    server = await createTestServer();
    admin = await server.as('admin');
  });
  afterAll(() => server.stop());

  it("narrows sales to their own customers when the role is re-assigned with an OWN scope, from the next request", async () => {
    await admin.ok('mutation { createCustomer(input: { name: "陈晨", phone: "13655556666" }) { id } }');
    const sales = await server.as('sales');
    expect((await sales.ok<Customers>(CUSTOMERS)).customers.edges.map((e) => e.node.name)).toContain('陈晨');

    const salesId = await idOf(sales);
    const { roleAssignments } = await admin.ok<{ roleAssignments: { id: string; role: { id: string; key: string } }[] }>(
      'query($u: ID!) { roleAssignments(userId: $u) { id role { id key } } }',
      { u: salesId },
    );
    const tenantWide = roleAssignments.find((a) => a.role.key === 'sales')!;
    await admin.ok('mutation($i: AssignRoleInput!) { assignRole(input: $i) { scope { type } } }', {
      i: { userId: salesId, roleId: tenantWide.role.id, scope: { type: 'OWN' } },
    });
    await admin.ok('mutation($id: ID!) { unassignRole(id: $id) { revokedAt } }', { id: tenantWide.id });

    const names = (await sales.ok<Customers>(CUSTOMERS)).customers.edges.map((e) => e.node.name);
    expect(names).not.toContain('陈晨');
    expect(names).toHaveLength(5); // the demo customers sales owns
    const explained = await admin.ok<{ roleAssignments: { scope: { type: string } }[] }>('query($u: ID!) { roleAssignments(userId: $u, includeRevoked: true) { scope { type } } }', { u: salesId });
    expect(explained.roleAssignments.map((a) => a.scope.type)).toEqual(['TENANT', 'OWN']);
  });

  it('refuses roles that escalate, unknown scopes and built-in changes', async () => {
    const lead = await server.as('lead');
    expect((await lead.request('mutation { createRole(input: { key: "x", name: "x", permissions: [ARTICLE_READ] }) { id } }')).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const badKey = await admin.request('mutation { createRole(input: { key: "Bad Key", name: "x", permissions: [ARTICLE_READ] }) { id } }');
    expect(badKey.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const restricted = await admin.request('mutation { createRole(input: { key: "top", name: "x", permissions: [ARTICLE_READ], clearance: RESTRICTED }) { id } }');
    expect(restricted.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const { roles } = await admin.ok<{ roles: { id: string; key: string; builtIn: boolean }[] }>('{ roles { id key builtIn } }');
    const builtIn = roles.find((r) => r.key === 'support_agent')!;
    expect((await admin.request('mutation($i: UpdateRoleInput!) { updateRole(input: $i) { id } }', { i: { id: builtIn.id, permissions: [] } })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const userId = await idOf(admin);
    const noId = await admin.request('mutation($i: AssignRoleInput!) { assignRole(input: $i) { id } }', { i: { userId, roleId: builtIn.id, scope: { type: 'TEAM' } } });
    expect(noId.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('reveals a masked value once to a holder of PII_REVEAL, with the reason audited', async () => {
    const role = await admin.ok<{ createRole: { id: string } }>(
      'mutation { createRole(input: { key: "desk_reveal", name: "Desk with reveal", permissions: [CUSTOMER_READ, PII_READ_MASKED, PII_REVEAL], clearance: INTERNAL }) { id } }',
    );
    const agent = await server.as('agent');
    await admin.ok('mutation($i: AssignRoleInput!) { assignRole(input: $i) { id } }', { i: { userId: await idOf(agent), roleId: role.createRole.id } });
    const zhang = (await agent.ok<Customers>(CUSTOMERS)).customers.edges.find((e) => e.node.name === '张伟')!.node;
    expect(zhang.phone).toBe('138****5678');
    const revealed = await agent.ok<{ revealField: string }>('mutation($r: ID!) { revealField(resourceId: $r, field: "phone", reason: "Customer asked for a call back") }', { r: zhang.id });
    expect(revealed.revealField).toBe('13812345678');
    const bad = await agent.request('mutation($r: ID!) { revealField(resourceId: $r, field: "name", reason: "because I can") }', { r: zhang.id });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const [event] = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ detail: { reason: string; field: string } }>(tx, sql`select detail from audit_events where action = 'field.reveal' and outcome = 'ALLOWED'`),
    );
    expect(event.detail).toMatchObject({ field: 'phone', reason: 'Customer asked for a call back' });
  });
});
