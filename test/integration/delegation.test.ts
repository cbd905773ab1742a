import type { GraphQLClient } from '../testkit/client';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * No delegation beyond one's own sight, for role assignments: an assigner may give a role in a scope
 * only where their own roles let them use its permissions, at its clearance (src/modules/access/role.service.ts).
 * Grants and approvals: test/integration/grants.test.ts.
 */
const CREATE_ROLE = 'mutation($i: CreateRoleInput!) { createRole(input: $i) { id } }';
const ASSIGN = 'mutation($i: AssignRoleInput!) { assignRole(input: $i) { id scope { type } } }';

describe('role assignments stay within the assigner\'s own scope and clearance', () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let sales: GraphQLClient;
  let agentId: string;
  let teamId: string;
  const idOf = async (c: GraphQLClient) => (await c.ok<{ me: { user: { id: string } } }>('{ me { user { id } } }')).me.user.id;
  const role = async (key: string, permissions: string[], clearance = 'PUBLIC') => (await admin.ok<{ createRole: { id: string } }>(CREATE_ROLE, { i: { key, name: key, permissions, clearance } })).createRole.id;

  beforeAll(async () => {
    server = await createTestServer();
    admin = await server.as('admin');
    sales = await server.as('sales');
    agentId = await idOf(await server.as('agent'));
    teamId = (await admin.ok<{ teams: { id: string }[] }>('{ teams { id } }')).teams[0].id;
    // Sales (ARTICLE_READ tenant-wide at PUBLIC) may manage roles, and read tickets of one team only.
    const salesId = await idOf(sales);
    await admin.ok(ASSIGN, { i: { userId: salesId, roleId: await role('role_desk', ['ROLE_MANAGE']), scope: { type: 'TENANT' } } });
    await admin.ok(ASSIGN, { i: { userId: salesId, roleId: await role('team_tickets', ['TICKET_READ']), scope: { type: 'TEAM', id: teamId } } });
  });
  afterAll(() => server.stop());

  it('refuses a clearance above the assigner\'s own, with a message that says why, and allows their own', async () => {
    const internal = await role('internal_reader', ['ARTICLE_READ'], 'INTERNAL');
    const refused = await sales.request(ASSIGN, { i: { userId: agentId, roleId: internal, scope: { type: 'TENANT' } } });
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(refused.errors?.[0].message).toBe(
      "You cannot assign internal_reader in scope TENANT: it would give ARTICLE_READ beyond what your own roles' scope or clearance (INTERNAL needed) let you use",
    );
    const pub = await role('public_reader', ['ARTICLE_READ'], 'PUBLIC');
    expect((await sales.ok<{ assignRole: { scope: { type: string } } }>(ASSIGN, { i: { userId: agentId, roleId: pub, scope: { type: 'TENANT' } } })).assignRole.scope.type).toBe('TENANT');
  });

  it('refuses a scope wider than the assigner\'s own: only their team, not the tenant nor someone\'s own records', async () => {
    const tickets = await role('ticket_reader', ['TICKET_READ']);
    const code = async (scope: Record<string, unknown>) => (await sales.request(ASSIGN, { i: { userId: agentId, roleId: tickets, scope } })).errors?.[0]?.extensions?.code;
    expect(await code({ type: 'TENANT' })).toBe('FORBIDDEN');
    expect(await code({ type: 'OWN' })).toBe('FORBIDDEN');
    expect(await code({ type: 'TEAM', id: teamId })).toBeUndefined();
    // The admin, tenant-wide, may give it anywhere.
    expect((await admin.request(ASSIGN, { i: { userId: agentId, roleId: tickets, scope: { type: 'OWN' } } })).errors).toBeUndefined();
  });

  it('still refuses permissions the assigner does not hold at all', async () => {
    const writer = await role('writer', ['ARTICLE_WRITE']);
    const r = await sales.request(ASSIGN, { i: { userId: agentId, roleId: writer, scope: { type: 'TENANT' } } });
    expect(r.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(r.errors?.[0].message).toMatch(/do not hold: ARTICLE_WRITE/);
  });
});
