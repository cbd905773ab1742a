import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/rows';
import { addCustomers, addTicketsBulk } from '../../src/db/seed/builders';
import { withTenantTx } from '../../src/db/tenant-tx';
import { toGlobalId } from '../../src/lib/global-id';
import type { GraphQLClient } from '../testkit/client';
import { createTestServer, testMasterKeys, type TestServer } from '../testkit/server';
import { globalIdsByName, seedOtherTenant } from '../testkit/seed';

/** Start-up seeds a tenant (argon2 password hashes) and, here, more: generous on a busy machine. */
const SETUP_TIMEOUT = 180_000;
const BULK_CUSTOMERS = 110;
const BULK_TICKETS_EACH = 4;

type Page = { edges: { cursor: string; node: { id: string; subject: string; status: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
type OneCustomer = { customer: { name: string; tickets: Page | null } | null };
const ONE = `query($id: ID!, $first: Int, $after: String, $status: [TicketStatus!]) { customer(id: $id) { name
  tickets(first: $first, after: $after, status: $status) { edges { cursor node { id subject status } } pageInfo { hasNextPage endCursor } } } }`;

/**
 * Customer 甲 has eight tickets over two teams and four statuses; three of them share one created_at,
 * so the order and the page boundaries rely on the id tie-break. BULK_CUSTOMERS more customers (the
 * newest, so they fill every customers page) have BULK_TICKETS_EACH tickets each.
 */
async function seedTickets(server: TestServer) {
  return withTenantTx(server.database.db, server.tenantId, async (tx) => {
    const [ids] = await queryRows<{ agent: string; sales: string; east: string; salesTeam: string }>(
      tx,
      sql`select (select id from users where email = 'agent@acme.test') as agent, (select id from users where email = 'sales@acme.test') as sales,
        (select id from teams where name = 'Support East') as east, (select id from teams where name = 'Sales') as "salesTeam"`,
    );
    const [jia] = await addCustomers(tx, server.tenantId, [{ name: '工单客户甲', ownerId: ids.sales, teamId: ids.east }], testMasterKeys());
    const statuses = ['OPEN', 'IN_PROGRESS', 'RESOLVED', 'WAITING_ON_CUSTOMER'];
    const hour = (h: number) => new Date(Date.UTC(2026, 10, 1, h));
    await addTicketsBulk(
      tx,
      server.tenantId,
      Array.from({ length: 8 }, (_, i) => ({
        subject: `甲-${i}`,
        status: statuses[i % 4],
        resolution: statuses[i % 4] === 'RESOLVED' ? 'done' : null,
        customerId: jia.id,
        assigneeId: ids.agent,
        teamId: i % 2 === 0 ? ids.east : ids.salesTeam,
        createdAt: hour(i >= 3 && i <= 5 ? 3 : i),
      })),
    );
    const bulk = await addCustomers(
      tx,
      server.tenantId,
      Array.from({ length: BULK_CUSTOMERS }, (_, c) => ({ name: `批量客户${String(c).padStart(3, '0')}`, ownerId: ids.sales, teamId: ids.east })),
      testMasterKeys(),
    );
    await addTicketsBulk(
      tx,
      server.tenantId,
      bulk.flatMap((c, n) =>
        Array.from({ length: BULK_TICKETS_EACH }, (_, k) => ({ subject: `批量${n}-${k}`, customerId: c.id, assigneeId: ids.agent, teamId: ids.east, createdAt: hour(k) })),
      ),
    );
    return { jia: toGlobalId('Customer', jia.id), jiaRaw: jia.id };
  });
}

describe('Customer.tickets: a customer’s service records as a nested connection', () => {
  let server: TestServer;
  let lead: GraphQLClient;
  let jia: string;
  let jiaRaw: string;
  const ids: Record<string, string> = {};
  /** Subjects of 甲's tickets as the database orders them: newest first, ties by id. */
  const expected = (where = sql`true`) =>
    withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ subject: string }>(tx, sql`select subject from tickets where customer_id = ${jiaRaw} and ${where} order by created_at desc, id desc`),
    ).then((rows) => rows.map((r) => r.subject));
  const subjects = (page: Page | null | undefined) => page?.edges.map((e) => e.node.subject);

  beforeAll(async () => {
    server = await createTestServer();
    lead = await server.as('lead');
    ({ jia, jiaRaw } = await seedTickets(server));
    Object.assign(ids, await globalIdsByName(server.database.db, server.tenantId, ['Team', 'User']));
  }, SETUP_TIMEOUT);
  afterAll(() => server.stop());

  it('lists a customer’s tickets newest first (ties by id), five by default', async () => {
    const all = await expected();
    expect(all).toHaveLength(8);
    expect(all.slice(0, 2)).toEqual(['甲-7', '甲-6']);
    expect(all.slice(2, 5).sort()).toEqual(['甲-3', '甲-4', '甲-5']);
    const { customer } = await lead.ok<OneCustomer>(ONE, { id: jia, first: 100 });
    expect(customer?.name).toBe('工单客户甲');
    expect(subjects(customer?.tickets)).toEqual(all);
    expect(customer?.tickets?.pageInfo.hasNextPage).toBe(false);
    const byDefault = (await lead.ok<OneCustomer>(ONE, { id: jia })).customer?.tickets;
    expect(subjects(byDefault)).toEqual(all.slice(0, 5));
    expect(byDefault?.pageInfo).toEqual({ hasNextPage: true, endCursor: byDefault?.edges[4].cursor });
  });

  it('pages with after, across a run of equal timestamps, without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const { customer }: OneCustomer = await lead.ok<OneCustomer>(ONE, { id: jia, first: 3, after });
      seen.push(...subjects(customer?.tickets)!);
      if (!customer?.tickets?.pageInfo.hasNextPage) break;
      after = customer.tickets.pageInfo.endCursor;
    }
    expect(seen).toEqual(await expected());
  });

  it('filters by a set of statuses; an empty set keeps none', async () => {
    const page = async (status: string[] | null) => subjects((await lead.ok<OneCustomer>(ONE, { id: jia, first: 100, status })).customer?.tickets);
    expect(await page(['RESOLVED', 'OPEN', 'OPEN'])).toEqual(await expected(sql`status in ('OPEN', 'RESOLVED')`));
    expect(await page(['RESOLVED', 'OPEN'])).toHaveLength(4);
    expect(await page([])).toEqual([]);
  });

  it('refuses a bad first or cursor with BAD_USER_INPUT naming the argument; the customer is still answered', async () => {
    for (const first of [-1, 0, 101, 1000]) {
      const r = await lead.request<OneCustomer>(ONE, { id: jia, first });
      expect(r.data?.customer).toEqual({ name: '工单客户甲', tickets: null });
      expect(r.errors?.map((e) => [e.path?.join('.'), e.extensions?.code, e.extensions?.argument])).toEqual([['customer.tickets', 'BAD_USER_INPUT', 'first']]);
    }
    const fromTicketsList = (await lead.ok<{ tickets: { pageInfo: { endCursor: string } } }>('{ tickets(first: 1) { pageInfo { endCursor } } }')).tickets.pageInfo.endCursor;
    for (const after of ['garbage', Buffer.from('["Customer.tickets","x","y"]').toString('base64url'), fromTicketsList]) {
      const r = await lead.request<OneCustomer>(ONE, { id: jia, after });
      expect(r.errors?.map((e) => [e.path?.join('.'), e.extensions?.code, e.extensions?.argument])).toEqual([['customer.tickets', 'BAD_USER_INPUT', 'after']]);
    }
  });

  it('refuses the field with FORBIDDEN to a viewer without TICKET_READ, answering the rest of the customer', async () => {
    const sales = await server.as('sales');
    const r = await sales.request<OneCustomer>(ONE, { id: jia });
    expect(r.data).toEqual({ customer: { name: '工单客户甲', tickets: null } });
    expect(r.errors?.map((e) => [e.path?.join('.'), e.extensions?.code])).toEqual([['customer.tickets', 'FORBIDDEN']]);
    // On a list the refusal stays at each customer's field: the page itself is answered.
    const list = await sales.request<{ customers: { edges: { node: { name: string; tickets: null } }[] } }>('{ customers(first: 3) { edges { node { name tickets { pageInfo { hasNextPage } } } } } }');
    expect(list.data?.customers.edges.map((e) => e.node.tickets)).toEqual([null, null, null]);
    expect(new Set(list.errors?.map((e) => e.extensions?.code))).toEqual(new Set(['FORBIDDEN']));
    const analyst = await server.as('analyst');
    expect((await analyst.request(ONE, { id: jia })).errors?.map((e) => [e.path?.join('.'), e.extensions?.code])).toEqual([['customer', 'FORBIDDEN']]);
  });

  it('shows a viewer who may read the customer only the tickets the policy lets them read', async () => {
    const admin = await server.as('admin');
    const role = await admin.ok<{ createRole: { id: string } }>('mutation { createRole(input: { key: "ticket_reader", name: "Ticket reader", permissions: [TICKET_READ] }) { id } }');
    await admin.ok('mutation($i: AssignRoleInput!) { assignRole(input: $i) { id } }', {
      i: { userId: ids['sales@acme.test'], roleId: role.createRole.id, scope: { type: 'TEAM', id: ids['Sales'] } },
    });
    const sales = await server.as('sales');
    const salesTeam = await expected(sql`team_id = (select id from teams where name = 'Sales')`);
    expect(salesTeam).toHaveLength(4);
    const all = await sales.ok<OneCustomer>(ONE, { id: jia, first: 100 });
    expect(subjects(all.customer?.tickets)).toEqual(salesTeam);
    // The limit applies after the policy: a full page of what the viewer may read has no next page.
    const exact = await sales.ok<OneCustomer>(ONE, { id: jia, first: 4 });
    expect(exact.customer?.tickets?.pageInfo.hasNextPage).toBe(false);
    const two = await sales.ok<OneCustomer>(ONE, { id: jia, first: 2 });
    const rest = await sales.ok<OneCustomer>(ONE, { id: jia, first: 100, after: two.customer?.tickets?.pageInfo.endCursor });
    expect([...subjects(two.customer?.tickets)!, ...subjects(rest.customer?.tickets)!]).toEqual(salesTeam);
    // The agent (tenant-wide TICKET_READ) sees all eight.
    expect(subjects((await (await server.as('agent')).ok<OneCustomer>(ONE, { id: jia, first: 100 })).customer?.tickets)).toHaveLength(8);
  });

  it('keeps tenants apart: another tenant sees only its own customers’ tickets, and not this customer', async () => {
    const other = await seedOtherTenant(server.database.db);
    await withTenantTx(server.database.db, other.tenantId, (tx) =>
      addTicketsBulk(tx, other.tenantId, [{ subject: 'globex 工单', customerId: other.customerId, assigneeId: other.userId }]),
    );
    const globex = await server.client().login(other.email, undefined, 'globex');
    const q = 'query($n: Int) { customers(first: $n) { edges { node { name tickets(first: $n) { edges { node { subject customer { name } } } } } } } }';
    const seen = await globex.ok<{ customers: { edges: { node: { name: string; tickets: { edges: { node: unknown }[] } } }[] } }>(q, { n: 10 });
    expect(seen.customers.edges.map((e) => [e.node.name, e.node.tickets.edges.map((t) => t.node)])).toEqual([['赵敏', [{ subject: 'globex 工单', customer: { name: '赵敏' } }]]]);
    expect(await globex.ok(ONE, { id: jia })).toEqual({ customer: null });
    expect(await lead.ok(ONE, { id: toGlobalId('Customer', other.customerId) })).toEqual({ customer: null });
  });

  describe('loading', () => {
    // Sizes as variables count in the query cost like literal ones: 25 customers with pages of tickets
    // each stay within the default limit (100 would not).
    const LIST = (tickets: string) => `query($first: Int) { customers(first: $first) { edges { node { id name ${tickets} } } } }`;
    const PAGE = 'tickets(first: 3) { edges { node { id subject } } pageInfo { hasNextPage } }';
    const statements = async (query: string, first: number) => {
      const r = await lead.request<{ customers: { edges: { node: { tickets?: Page; open?: Page } }[] } }>(query, { first });
      expect(r.errors).toBeUndefined();
      expect(r.data?.customers.edges).toHaveLength(first);
      for (const { node } of r.data!.customers.edges) {
        if (node.tickets) expect(node.tickets.edges).toHaveLength(3);
        if (node.tickets) expect(node.tickets.pageInfo.hasNextPage).toBe(true);
      }
      return r.extensions!.counters!.statements;
    };

    it('loads every customer’s page of tickets in one statement, whatever the number of customers', async () => {
      const without = [await statements(LIST(''), 10), await statements(LIST(''), 25)];
      const withTickets = [await statements(LIST(PAGE), 10), await statements(LIST(PAGE), 25)];
      process.stdout.write(`statements per request, customers(first: 10 / 25): ${without.join(' / ')}; with tickets(first: 3): ${withTickets.join(' / ')}\n`);
      expect(without[1]).toBe(without[0]);
      expect(withTickets).toEqual([without[0] + 1, without[0] + 1]);
    });

    it('adds one statement per distinct page shape, and the loaders of the tickets’ relations stay constant too', async () => {
      const shapes = `${PAGE} open: tickets(first: 2, status: [OPEN, IN_PROGRESS]) { edges { node { id } } }`;
      const related = 'tickets(first: 3) { edges { node { id subject assignee { displayName } team { name } customer { name } } } pageInfo { hasNextPage } }';
      const base = await statements(LIST(''), 10);
      expect([await statements(LIST(shapes), 10), await statements(LIST(shapes), 25)]).toEqual([base + 2, base + 2]);
      const relatedCounts = [await statements(LIST(related), 10), await statements(LIST(related), 25)];
      process.stdout.write(`statements per request, tickets with assignee, team, customer: ${relatedCounts.join(' / ')}\n`);
      expect(relatedCounts[1]).toBe(relatedCounts[0]);
    });

    it('counts the nested connection’s first in the query cost, like any nested connection', async () => {
      // graphql-armor's cost, our model: a selection costs 2 + 1.2 × its children, times a literal `first` (src/server/limits.ts).
      const literal = (customers: number, inner: string) => `{ customers(first: ${customers}) { edges { node { id name ${inner} } } } }`;
      const tickets = 'tickets(first: 3) { edges { node { id subject } } }';
      expect((await lead.request(literal(20, tickets))).errors).toBeUndefined();
      // The README's page size: 75 customers with three tickets each cost 4979, 76 cost 5046.
      expect((await lead.request(literal(75, tickets))).errors).toBeUndefined();
      expect((await lead.request(literal(76, tickets))).errors?.[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', cost: 5046, maxCost: 5000 });
      const refused = await lead.request(literal(100, tickets));
      expect(refused.status).toBe(400);
      expect(refused.errors?.[0].message).toMatch(/cost limit of 5000 exceeded, found 6639/);
      // The same shape over categories and their articles costs the same.
      const categories = await lead.request('{ categories(first: 100) { edges { node { id name articles(first: 3) { edges { node { id title } } } } } } }');
      expect(categories.errors?.[0].message).toMatch(/cost limit of 5000 exceeded, found 6639/);
      // The inner first multiplies: a hundred tickets per customer on a page of three customers is refused.
      expect((await lead.request(literal(3, 'tickets(first: 100) { edges { node { id subject } } }'))).errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
    });
  });
});
