import type { GraphQLClient } from '../testkit/client';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * A contact is part of its customer: its phone and e-mail are decided as that customer's own personal
 * data (the customer's team and owner, the grants on the customer), and a lookup by a contact's number
 * finds only customers whose data the viewer reads in full.
 */
type Customer = { id: string; name: string; phone: string | null; contacts: { name: string; phone: string | null }[] };
const CUSTOMERS = '{ customers(first: 100) { edges { node { id name phone contacts { name phone } } } } }';
const BY_PHONE = 'query($p: String!) { customerByContact(phone: $p) { name } }';

describe('contacts are decided as their customer', () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let east: { id: string; contactPhone: string };
  let west: { id: string; contactPhone: string };
  const idOf = async (c: GraphQLClient) => (await c.ok<{ me: { user: { id: string } } }>('{ me { user { id } } }')).me.user.id;
  const createRole = async (key: string, permissions: string[]) =>
    (await admin.ok<{ createRole: { id: string } }>(`mutation { createRole(input: { key: "${key}", name: "${key}", permissions: [${permissions.join(', ')}], clearance: INTERNAL }) { id } }`)).createRole.id;
  const assign = (userId: string, roleId: string, scope: Record<string, unknown>) =>
    admin.ok('mutation($i: AssignRoleInput!) { assignRole(input: $i) { id } }', { i: { userId, roleId, scope } });
  const customersOf = async (c: GraphQLClient) => {
    const r = await c.request<{ customers: { edges: { node: Customer }[] } }>(CUSTOMERS);
    return { byName: new Map(r.data!.customers.edges.map((e) => [e.node.name, e.node])), errors: r.errors ?? [] };
  };

  beforeAll(async () => {
    server = await createTestServer();
    admin = await server.as('admin');
    const team = (await admin.ok<{ createTeam: { id: string } }>('mutation { createTeam(name: "Support East 2") { id } }')).createTeam.id;
    const add = async (name: string, teamId: string | null, contactPhone: string) => {
      const { createCustomer } = await admin.ok<{ createCustomer: { id: string } }>('mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }', {
        i: { name, phone: contactPhone.replace(/.$/, '0'), ...(teamId && { teamId }) },
      });
      await admin.ok('mutation($i: AddCustomerContactInput!) { addCustomerContact(input: $i) { id } }', { i: { customerId: createCustomer.id, name: `${name} contact`, phone: contactPhone } });
      return { id: createCustomer.id, contactPhone };
    };
    east = await add('East Co', team, '15900008134');
    west = await add('West Co', null, '15900009134');
    // analyst: customers tenant-wide, full PII only for Support East's customers.
    const analyst = await idOf(await server.as('analyst'));
    await assign(analyst, await createRole('crm_reader', ['CUSTOMER_READ']), { type: 'TENANT' });
    await assign(analyst, await createRole('east_pii', ['PII_READ_FULL']), { type: 'TEAM', id: team });
    // sales keeps its tenant-wide role; the agent (masked PII tenant-wide) gets a full-PII grant on West Co only.
    const agent = await idOf(await server.as('agent'));
    await admin.ok('mutation($i: GrantAccessInput!) { grantAccess(input: $i) { id } }', {
      i: { userId: agent, resourceId: west.id, permission: 'PII_READ_FULL', expiresAt: new Date(Date.now() + 3600_000).toISOString(), reason: 'Callback for a dispute' },
    });
  });
  afterAll(() => server.stop());

  it('shows a team-scoped full-PII holder the contacts of that team\'s customers in full, and refuses other customers\' contacts', async () => {
    const analyst = await server.as('analyst');
    const { byName, errors } = await customersOf(analyst);
    expect(byName.get('East Co')!.contacts).toEqual([{ name: 'East Co contact', phone: '15900008134' }]);
    expect(byName.get('West Co')!.contacts).toEqual([{ name: 'West Co contact', phone: null }]);
    expect(byName.get('West Co')!.phone).toBeNull();
    // Every refusal is FORBIDDEN on a field of a customer outside Support East.
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors.map((e) => e.extensions?.code))).toEqual(new Set(['FORBIDDEN']));
  });

  it('shows a one-customer grant\'s contacts in full and every other contact masked', async () => {
    const agent = await server.as('agent');
    const { byName } = await customersOf(agent);
    expect(byName.get('West Co')!.contacts[0].phone).toBe('15900009134');
    expect(byName.get('East Co')!.contacts[0].phone).toBe('159****8134');
    expect(byName.get('张伟')!.phone).toBe('138****5678');
  });

  it('lets customerByContact find only customers whose data the viewer reads in full', async () => {
    const analyst = await server.as('analyst');
    expect((await analyst.ok<{ customerByContact: { name: string }[] }>(BY_PHONE, { p: east.contactPhone })).customerByContact).toEqual([{ name: 'East Co' }]);
    expect((await analyst.ok<{ customerByContact: { name: string }[] }>(BY_PHONE, { p: west.contactPhone })).customerByContact).toEqual([]);
    const agent = await server.as('agent');
    expect((await agent.ok<{ customerByContact: { name: string }[] }>(BY_PHONE, { p: west.contactPhone })).customerByContact).toEqual([{ name: 'West Co' }]);
    // The agent sees East Co's contact masked (159****8134): the lookup must not confirm the number.
    expect((await agent.ok<{ customerByContact: { name: string }[] }>(BY_PHONE, { p: east.contactPhone })).customerByContact).toEqual([]);
    // sales reads every customer's PII in full, tenant-wide.
    const sales = await server.as('sales');
    expect((await sales.ok<{ customerByContact: { name: string }[] }>(BY_PHONE, { p: east.contactPhone })).customerByContact).toEqual([{ name: 'East Co' }]);
  });

  it('refuses a second team of the same name with BAD_USER_INPUT, not an internal error', async () => {
    const again = await admin.request('mutation { createTeam(name: "Support East") { id } }');
    expect(again.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('decides a contact returned by a mutation as its customer too', async () => {
    const agent = await server.as('agent');
    const added = await admin.ok<{ addCustomerContact: { phone: string } }>('mutation($i: AddCustomerContactInput!) { addCustomerContact(input: $i) { phone } }', {
      i: { customerId: west.id, name: 'Second', phone: '15900007777' },
    });
    expect(added.addCustomerContact.phone).toBe('15900007777');
    const { byName } = await customersOf(agent);
    expect(byName.get('West Co')!.contacts.map((c) => c.phone)).toEqual(['15900009134', '15900007777']);
  });
});
