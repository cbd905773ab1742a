import { createTestServer, type TestServer } from '../testkit/server';
import type { GraphQLClient } from '../testkit/client';

/** Start-up seeds a tenant (argon2 password hashes) and, here, more: generous on a busy machine. */
const SETUP_TIMEOUT = 180_000;

/**
 * Every relation goes through a per-request DataLoader primed from the list, so the number of SQL
 * statements per request depends on the shape of the query, never on the page size.
 */
const QUERIES = {
  customers: `query($first: Int) { customers(first: $first) { edges { node { id name tier phone email idNumber address
    owner { displayName } team { name } contacts { name phone email } } } } }`,
  tickets: `query($first: Int) { tickets(first: $first) { edges { node { id subject status
    customer { name phone owner { displayName } contacts { phone } } assignee { displayName } team { name } createdBy { email }
    articles { title author { displayName } } feedback { score recordedBy { email } } } } } }`,
  feedback: `query($first: Int) { feedback(first: $first) { edges { node { score comment
    customer { name email team { name } } ticket { subject team { name } articles { title } } recordedBy { displayName } } } } }`,
};

describe('statements per request stay the same when the page size doubles', () => {
  let server: TestServer;
  let lead: GraphQLClient;
  beforeAll(async () => {
    server = await createTestServer();
    lead = await server.as('lead');
    const agent = await server.as('agent');
    const ref = await lead.ok<{ me: { user: { id: string } }; articles: { edges: { node: { id: string } }[] }; customers: { edges: { node: { owner: { id: string }; team: { id: string } } }[] } }>(
      '{ me { user { id } } articles(first: 1) { edges { node { id } } } customers(first: 1) { edges { node { owner { id } team { id } } } } }',
    );
    const { owner, team } = ref.customers.edges[0].node;
    // Enough fully related rows that every page below is full and every relation appears on it.
    for (let i = 0; i < 12; i++) {
      const n = String(i).padStart(2, '0');
      const { createCustomer } = await lead.ok<{ createCustomer: { id: string } }>('mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }', {
        i: { name: `客户${n}`, phone: `137000000${n}`, email: `c${n}@example.com`, address: `江苏省南京市鼓楼区${n}号`, ownerId: owner.id, teamId: team.id },
      });
      await lead.ok('mutation($i: AddCustomerContactInput!) { addCustomerContact(input: $i) { id } }', { i: { customerId: createCustomer.id, name: `联系人${n}`, phone: `136000000${n}` } });
      const { createTicket } = await lead.ok<{ createTicket: { id: string } }>('mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }', {
        i: { subject: `工单${n}`, customerId: createCustomer.id, assigneeId: ref.me.user.id, teamId: team.id },
      });
      await lead.ok('mutation($i: UpdateTicketInput!) { updateTicket(input: $i) { id } }', { i: { id: createTicket.id, articleIds: [ref.articles.edges[0].node.id] } });
      await agent.ok('mutation($i: RecordFeedbackInput!) { recordFeedback(input: $i) { id } }', { i: { ticketId: createTicket.id, score: 1 + (i % 5) } });
    }
  }, SETUP_TIMEOUT);
  afterAll(() => server.stop());

  it.each(Object.keys(QUERIES) as (keyof typeof QUERIES)[])('%s, with every relation', async (name) => {
    const counts: number[] = [];
    for (const first of [3, 6, 12]) {
      const r = await lead.request<Record<string, { edges: unknown[] }>>(QUERIES[name], { first });
      expect(r.errors).toBeUndefined();
      expect(r.data![name].edges).toHaveLength(first);
      counts.push(r.extensions!.counters!.statements);
    }
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts).toEqual([counts[0], counts[0], counts[0]]);
    process.stdout.write(`statements per request, ${name}: ${counts.join(' / ')} for 3 / 6 / 12 rows\n`);
  });

  it('answers a lookup by blind index in a fixed number of statements', async () => {
    const q = 'query($p: String) { customerByContact(phone: $p) { name phone contacts { phone } owner { displayName } } }';
    const one = await lead.request<{ customerByContact: unknown[] }>(q, { p: '13812345678' });
    const viaContact = await lead.request<{ customerByContact: unknown[] }>(q, { p: '13600000003' });
    const none = await lead.request<{ customerByContact: unknown[] }>(q, { p: '13600000099' });
    expect(none.data?.customerByContact).toEqual([]);
    expect(one.data?.customerByContact).toHaveLength(1);
    expect(viaContact.data?.customerByContact).toHaveLength(1);
    expect(one.extensions?.counters?.statements).toBe(viaContact.extensions?.counters?.statements);
  });
});
