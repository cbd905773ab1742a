import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { toGlobalId } from '../../src/lib/global-id';
import { createTestServer, type TestServer } from '../testkit/server';
import { globalIdsByName, seedOtherTenant } from '../testkit/seed';
import type { GraphQLClient } from '../testkit/client';

/** Start-up seeds a tenant (argon2 password hashes) and, here, more: generous on a busy machine. */
const SETUP_TIMEOUT = 180_000;

type Bucket = { team: { name: string } | null; periodStart: string | null; responses: number; averageScore: number | null; satisfiedShare: number | null; scoreCounts: number[] };
type Stats = { satisfactionStats: { overall: Bucket; buckets: Bucket[] } };
const STATS = `query($filter: StatsFilter, $groupBy: StatsGrouping, $period: StatsPeriod, $tz: String) {
  satisfactionStats(filter: $filter, groupBy: $groupBy, period: $period, timeZone: $tz) {
    overall { responses averageScore satisfiedShare scoreCounts }
    buckets { team { name } periodStart responses averageScore satisfiedShare scoreCounts } } }`;
const RECORD = 'mutation($i: RecordFeedbackInput!) { recordFeedback(input: $i) { id } }';
/** Only the seeded feedback (recorded in September to November 2026). */
const SEEDED = { from: '2026-09-01T00:00:00Z', to: '2026-11-15T00:00:00Z' };

describe('customer feedback and satisfaction statistics', () => {
  let server: TestServer;
  let other: Awaited<ReturnType<typeof seedOtherTenant>>;
  let lead: GraphQLClient;
  let agent: GraphQLClient;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    server = await createTestServer();
    other = await seedOtherTenant(server.database.db);
    [lead, agent] = [await server.as('lead'), await server.as('agent')];
    Object.assign(ids, await globalIdsByName(server.database.db, server.tenantId, ['Customer', 'Team', 'Ticket', 'User']));
  }, SETUP_TIMEOUT);
  afterAll(() => server.stop());

  it('computes satisfaction by team in SQL, with the overall figures', async () => {
    const { satisfactionStats: s } = await lead.ok<Stats>(STATS, { filter: SEEDED });
    expect(s.overall).toEqual({ responses: 5, averageScore: 3.6, satisfiedShare: 0.6, scoreCounts: [0, 1, 1, 2, 1] });
    const byName = (a: Bucket, b: Bucket) => (a.team === null ? 1 : b.team === null ? -1 : a.team.name.localeCompare(b.team.name));
    expect(s.buckets.at(-1)?.team).toBeNull(); // the bucket of feedback without a team comes last
    expect([...s.buckets].sort(byName)).toEqual([
      { team: { name: 'Sales' }, periodStart: null, responses: 1, averageScore: 2, satisfiedShare: 0, scoreCounts: [0, 1, 0, 0, 0] },
      { team: { name: 'Support East' }, periodStart: null, responses: 3, averageScore: 4, satisfiedShare: 2 / 3, scoreCounts: [0, 0, 1, 1, 1] },
      { team: null, periodStart: null, responses: 1, averageScore: 4, satisfiedShare: 1, scoreCounts: [0, 0, 0, 1, 0] },
    ]);
  });

  it('groups by period in a time zone, and by team and period', async () => {
    const monthly = (await lead.ok<Stats>(STATS, { filter: SEEDED, groupBy: 'PERIOD', period: 'MONTH', tz: 'Asia/Shanghai' })).satisfactionStats.buckets;
    expect(monthly.map((b) => [b.periodStart, b.responses, b.averageScore])).toEqual([
      ['2026-08-31T16:00:00.000Z', 1, 5],
      ['2026-09-30T16:00:00.000Z', 2, 3.5],
      ['2026-10-31T16:00:00.000Z', 2, 3],
    ]);
    const both = (await lead.ok<Stats>(STATS, { filter: { ...SEEDED, teamId: ids['Support East'] }, groupBy: 'TEAM_AND_PERIOD', period: 'MONTH' })).satisfactionStats;
    expect(both.overall.responses).toBe(3);
    expect(both.buckets.map((b) => [b.team?.name, b.periodStart, b.responses])).toEqual([
      ['Support East', '2026-09-01T00:00:00.000Z', 1],
      ['Support East', '2026-10-01T00:00:00.000Z', 2],
    ]);
    const empty = (await lead.ok<Stats>(STATS, { filter: { from: '2020-01-01T00:00:00Z', to: '2020-02-01T00:00:00Z' } })).satisfactionStats;
    expect(empty).toEqual({ overall: { responses: 0, averageScore: null, satisfiedShare: null, scoreCounts: [0, 0, 0, 0, 0] }, buckets: [] });
  });

  it('refuses bad statistics arguments, and statistics to viewers without STATS_READ', async () => {
    const code = async (client: GraphQLClient, vars: Record<string, unknown>) => (await client.request(STATS, vars)).errors?.[0].extensions;
    expect(await code(lead, { tz: 'Mars/Olympus' })).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'timeZone' });
    expect(await code(lead, { tz: "UTC'; drop table tickets; --" })).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'timeZone' });
    expect(await code(lead, { filter: { from: SEEDED.to, to: SEEDED.from } })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await code(lead, { filter: { from: '2000-01-01T00:00:00Z' }, groupBy: 'PERIOD', period: 'DAY' })).toBeUndefined();
    expect(await code(lead, { filter: { teamId: ids['张伟'] } })).toMatchObject({ code: 'BAD_USER_INPUT' });
    for (const user of ['agent', 'sales', 'analyst']) expect(await code(await server.as(user), {})).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('lists feedback for the lead, newest first, with filters; refuses it to agents', async () => {
    const q = 'query($f: FeedbackFilter) { feedback(first: 50, filter: $f) { edges { node { score comment customer { name } ticket { subject } recordedBy { email } } } } }';
    type Page = { feedback: { edges: { node: { score: number; customer: { name: string }; ticket: { subject: string } | null } }[] } };
    const all = (await lead.ok<Page>(q)).feedback.edges.map((e) => e.node);
    expect(all.map((f) => f.score)).toEqual([4, 2, 4, 3, 5]);
    expect(all[0]).toMatchObject({ customer: { name: '刘洋' }, ticket: null, recordedBy: { email: 'admin@acme.test' } });
    expect((await lead.ok<Page>(q, { f: { maxScore: 3 } })).feedback.edges.map((e) => e.node.customer.name)).toEqual(['Emily Chen', '王芳']);
    expect((await lead.ok<Page>(q, { f: { teamId: ids['Sales'] } })).feedback.edges.map((e) => e.node.ticket?.subject)).toEqual(['Refund above 10,000 CNY']);
    expect((await lead.request(q, { f: { maxScore: 9 } })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'maxScore' });
    expect((await agent.request(q)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('records feedback once per ticket, never by the ticket assignee, and audits every attempt', async () => {
    const attempt = async (client: GraphQLClient, i: Record<string, unknown>) => (await client.request<{ recordFeedback: { id: string } }>(RECORD, { i }));
    // The agent's own ticket: someone else must record it.
    const own = await attempt(agent, { ticketId: ids['发票抬头修改'], score: 5 });
    expect(own.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await attempt(lead, { ticketId: ids['发票抬头修改'], score: 7 })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'score' });
    expect((await attempt(lead, { score: 3 })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'ticketId' });
    expect((await attempt(lead, { ticketId: ids['发票抬头修改'], customerId: ids['张伟'], score: 3 })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'customerId' });
    expect((await attempt(lead, { ticketId: toGlobalId('Ticket', other.customerId), score: 3 })).errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    expect((await attempt(lead, { customerId: toGlobalId('Customer', other.customerId), score: 3 })).errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    const ok = await attempt(lead, { ticketId: ids['发票抬头修改'], score: 4, comment: '  已解决  ' });
    expect(ok.errors).toBeUndefined();
    expect(ok.data?.recordFeedback.id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect((await attempt(lead, { ticketId: ids['发票抬头修改'], score: 5 })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'ticketId' });
    const byAgent = await attempt(agent, { customerId: ids['张伟'], score: 5 });
    expect(byAgent.errors).toBeUndefined();
    // The agent may record but not read feedback back.
    expect((await agent.request('query($id: ID!) { node(id: $id) { id } }', { id: byAgent.data!.recordFeedback.id })).data).toEqual({ node: null });
    const { node } = await lead.ok<{ node: { score: number; comment: string; ticket: { subject: string } } }>(
      'query($id: ID!) { node(id: $id) { ... on Feedback { score comment ticket { subject } } } }',
      { id: ok.data!.recordFeedback.id },
    );
    expect(node).toEqual({ score: 4, comment: '已解决', ticket: { subject: '发票抬头修改' } });
    const events = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ outcome: string; detail: { code?: string; score?: number } }>(tx, sql`select outcome, detail from audit_events where action = 'feedback.record' order by seq`),
    );
    expect(events.map((e) => e.detail.code ?? `score ${e.detail.score}`)).toEqual([
      'FORBIDDEN', 'BAD_USER_INPUT', 'BAD_USER_INPUT', 'BAD_USER_INPUT', 'NOT_FOUND', 'NOT_FOUND', 'score 4', 'BAD_USER_INPUT', 'score 5',
    ]);
  });
});
