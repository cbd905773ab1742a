import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { toGlobalId } from '../../src/lib/global-id';
import { createTestServer, type TestServer } from '../testkit/server';
import { globalIdsByName, seedOtherTenant } from '../testkit/seed';
import type { GraphQLClient } from '../testkit/client';

/** Start-up seeds a tenant (argon2 password hashes) and, here, more: generous on a busy machine. */
const SETUP_TIMEOUT = 180_000;

type TicketNode = {
  id: string;
  subject: string;
  status: string;
  resolution: string | null;
  resolvedAt: string | null;
  customer: { name: string; phone: string | null } | null;
  assignee: { displayName: string } | null;
  team: { name: string } | null;
  articles: { title: string; classification: string }[];
};
type Tickets = { tickets: { edges: { cursor: string; node: TicketNode }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
const TICKETS = `query($first: Int, $after: String, $filter: TicketFilter) { tickets(first: $first, after: $after, filter: $filter) {
  edges { cursor node { id subject status resolution resolvedAt customer { name phone } assignee { displayName } team { name } articles { title classification } } }
  pageInfo { hasNextPage endCursor } } }`;
const UPDATE = 'mutation($i: UpdateTicketInput!) { updateTicket(input: $i) { id status resolution resolvedAt articles { title } } }';
const CREATE = 'mutation($i: CreateTicketInput!) { createTicket(input: $i) { id subject status priority customer { name } assignee { displayName } team { name } createdBy { displayName } } }';

describe('tickets: service records with customer, assignee, team and the articles used', () => {
  let server: TestServer;
  let other: Awaited<ReturnType<typeof seedOtherTenant>>;
  let lead: GraphQLClient;
  let agent: GraphQLClient;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    server = await createTestServer();
    other = await seedOtherTenant(server.database.db);
    [lead, agent] = [await server.as('lead'), await server.as('agent')];
    Object.assign(ids, await globalIdsByName(server.database.db, server.tenantId, ['Customer', 'User', 'Team', 'Article']));
  }, SETUP_TIMEOUT);
  afterAll(() => server.stop());

  const audit = (action: string) =>
    withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ outcome: string; detail: Record<string, unknown> }>(tx, sql`select outcome, detail from audit_events where action = ${action} order by seq`),
    );

  it('lists tickets with their relations; articles only as far as the viewer is cleared', async () => {
    const seen = async (client: GraphQLClient) => (await client.ok<Tickets>(TICKETS, { first: 50 })).tickets.edges.map((e) => e.node);
    const asAgent = await seen(agent);
    expect(asAgent).toHaveLength(6);
    const migration = (nodes: TicketNode[]) => nodes.find((t) => t.subject.startsWith('Data migration'))!;
    expect(migration(asAgent)).toMatchObject({
      status: 'RESOLVED',
      customer: { name: '王芳', phone: '139****1111' },
      assignee: { displayName: '李娜 (Support lead)' },
      team: { name: 'Support East' },
      articles: [{ title: '操作手册：工单升级', classification: 'INTERNAL' }],
    });
    expect(migration(await seen(lead)).articles.map((a) => a.classification).sort()).toEqual(['CONFIDENTIAL', 'INTERNAL']);
  });

  it('refuses tickets to sales and analysts, and answers node() with null for them', async () => {
    for (const user of ['sales', 'analyst']) {
      const client = await server.as(user);
      expect((await client.request(TICKETS)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
    const { tickets } = await lead.ok<Tickets>(TICKETS, { first: 1 });
    const sales = await server.as('sales');
    expect(await sales.ok('query($id: ID!) { node(id: $id) { id } }', { id: tickets.edges[0].node.id })).toEqual({ node: null });
  });

  it('shows feedback on a ticket to the lead, and refuses that field alone to the agent', async () => {
    const q = '{ tickets(first: 50, filter: { status: CLOSED }) { edges { node { subject feedback { score } } } } }';
    expect((await lead.ok<{ tickets: { edges: { node: unknown }[] } }>(q)).tickets.edges).toEqual([{ node: { subject: '密码重置', feedback: { score: 4 } } }]);
    const r = await agent.request<{ tickets: { edges: { node: { subject: string; feedback: unknown } }[] } }>(q);
    expect(r.data?.tickets.edges).toEqual([{ node: { subject: '密码重置', feedback: null } }]);
    expect(r.errors?.map((e) => [e.path?.at(-1), e.extensions?.code])).toEqual([['feedback', 'FORBIDDEN']]);
  });

  it('filters by status, customer, assignee and team', async () => {
    const subjects = async (filter: Record<string, unknown>) =>
      (await agent.ok<Tickets>(TICKETS, { first: 50, filter })).tickets.edges.map((e) => e.node.subject).sort();
    expect(await subjects({ customerId: ids['张伟'] })).toEqual(['无法登录企业后台', '申请退款：订单 20261102']);
    expect(await subjects({ status: 'RESOLVED', assigneeId: ids['lead@acme.test'] })).toEqual(['Data migration stalled at 60%', 'Refund above 10,000 CNY']);
    expect(await subjects({ teamId: ids['Sales'] })).toEqual(['Refund above 10,000 CNY']);
    expect(await subjects({ customerId: toGlobalId('Customer', other.customerId) })).toEqual([]);
  });

  it('creates a ticket and works it to resolution with the articles used, each step audited', async () => {
    const created = await agent.ok<{ createTicket: { id: string } & Record<string, unknown> }>(CREATE, {
      i: { subject: '  退款未到账  ', customerId: ids['刘洋'], assigneeId: ids['agent@acme.test'], teamId: ids['Support East'], priority: 'HIGH' },
    });
    expect(created.createTicket).toMatchObject({
      subject: '退款未到账',
      status: 'OPEN',
      priority: 'HIGH',
      customer: { name: '刘洋' },
      assignee: { displayName: '王强 (Support agent)' },
      team: { name: 'Support East' },
      createdBy: { displayName: '王强 (Support agent)' },
    });
    const id = created.createTicket.id;
    const noResolution = await agent.request(UPDATE, { i: { id, status: 'RESOLVED' } });
    expect(noResolution.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'resolution' });
    const resolved = await agent.ok<{ updateTicket: { status: string; resolvedAt: string; articles: { title: string }[] } }>(UPDATE, {
      i: { id, status: 'RESOLVED', resolution: '已原路退回。', articleIds: [ids['退款流程（FAQ）'], ids['退款流程（FAQ）']] },
    });
    expect(resolved.updateTicket).toMatchObject({ status: 'RESOLVED', articles: [{ title: '退款流程（FAQ）' }] });
    expect(Date.parse(resolved.updateTicket.resolvedAt)).not.toBeNaN();
    const reopened = await agent.ok<{ updateTicket: { status: string; resolvedAt: string | null } }>(UPDATE, { i: { id, status: 'IN_PROGRESS' } });
    expect(reopened.updateTicket).toMatchObject({ status: 'IN_PROGRESS', resolvedAt: null });
    expect((await audit('ticket.create')).at(-1)).toMatchObject({ outcome: 'ALLOWED', detail: { priority: 'HIGH' } });
    expect((await audit('ticket.update')).map((e) => [e.outcome, e.detail.status ?? e.detail.code])).toEqual([
      ['FAILED', 'BAD_USER_INPUT'],
      ['ALLOWED', 'RESOLVED'],
      ['ALLOWED', 'IN_PROGRESS'],
    ]);
  });

  it('keeps links to articles the editor cannot see when an agent replaces the set', async () => {
    const { tickets } = await lead.ok<Tickets>(TICKETS, { first: 50 });
    const id = tickets.edges.find((e) => e.node.subject.startsWith('Data migration'))!.node.id;
    await agent.ok(UPDATE, { i: { id, articleIds: [ids['How to reset a customer password']] } });
    const after = (await lead.ok<Tickets>(TICKETS, { first: 50 })).tickets.edges.find((e) => e.node.id === id)!.node;
    expect(after.articles.map((a) => a.title).sort()).toEqual(['How to reset a customer password', '解决方案：大客户数据迁移故障']);
  });

  it('refuses bad references: wrong type BAD_USER_INPUT, unseen or foreign NOT_FOUND; nothing written', async () => {
    const count = async () => Number((await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from tickets`)))[0].n);
    const before = await count();
    const attempt = async (client: GraphQLClient, i: Record<string, unknown>) => (await client.request(CREATE, { i: { subject: 'x', ...i } })).errors?.[0].extensions;
    expect(await attempt(agent, { customerId: ids['agent@acme.test'] })).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'id' });
    expect(await attempt(agent, { customerId: 'not-an-id' })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await attempt(agent, { customerId: toGlobalId('Customer', other.customerId) })).toMatchObject({ code: 'NOT_FOUND', argument: 'customerId' });
    expect(await attempt(agent, { customerId: ids['张伟'], assigneeId: toGlobalId('User', other.userId) })).toMatchObject({ code: 'NOT_FOUND', argument: 'assigneeId' });
    expect(await attempt(agent, { customerId: ids['张伟'], subject: '   ' })).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'subject' });
    expect(await attempt(await server.as('sales'), { customerId: ids['张伟'] })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await count()).toBe(before);

    const { tickets } = await agent.ok<Tickets>(TICKETS, { first: 1 });
    const id = tickets.edges[0].node.id;
    const update = async (i: Record<string, unknown>) => (await agent.request(UPDATE, { i: { id, ...i } })).errors?.[0].extensions;
    expect(await update({ articleIds: [ids['Pricing floor for renewals']] })).toMatchObject({ code: 'NOT_FOUND', argument: 'articleIds' }); // CONFIDENTIAL
    expect(await update({ articleIds: Array.from({ length: 21 }, (_, n) => toGlobalId('Article', `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`)) })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await update({ id: toGlobalId('Ticket', other.customerId) })).toMatchObject({ code: 'NOT_FOUND' });
    expect(await agent.ok('query($id: ID!) { ticket(id: $id) { id } }', { id: toGlobalId('Ticket', other.customerId) })).toEqual({ ticket: null });
  });

  it('pages with opaque cursors bound to the list, and bounds the page size', async () => {
    const all = (await agent.ok<Tickets>(TICKETS, { first: 100 })).tickets.edges.map((e) => e.node.id);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Tickets = await agent.ok<Tickets>(TICKETS, { first: 2, after });
      seen.push(...page.tickets.edges.map((e) => e.node.id));
      if (!page.tickets.pageInfo.hasNextPage) break;
      after = page.tickets.pageInfo.endCursor;
    }
    expect(seen).toEqual(all);
    const customersCursor = (await agent.ok<{ customers: { pageInfo: { endCursor: string } } }>('{ customers(first: 1) { pageInfo { endCursor } } }')).customers.pageInfo.endCursor;
    const foreign = await agent.request(TICKETS, { after: customersCursor });
    expect(foreign.errors?.[0]).toMatchObject({ message: 'The cursor belongs to another list', extensions: { code: 'BAD_USER_INPUT', argument: 'after' } });
    expect((await agent.request(TICKETS, { after: 'garbage' })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await agent.request(TICKETS, { first: 101 })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', max: 100 });
  });
});
