import { desc, inArray } from 'drizzle-orm';
import { articles } from '../../src/db/schema';
import { withTenantTx } from '../../src/db/tenant-tx';
import { createTestServer, type TestServer } from '../testkit/server';
import type { GraphQLClient } from '../testkit/client';

type Search = {
  searchArticles: {
    totalCount: number;
    totalCountIsCapped: boolean;
    edges: { cursor: string; node: { id: string; title: string } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    facets: { kinds: { count: number }[] };
  };
};

const SEARCH = `query($q: String!, $first: Int, $after: String) {
  searchArticles(query: $q, first: $first, after: $after) {
    totalCount totalCountIsCapped
    edges { cursor node { id title } }
    pageInfo { hasNextPage endCursor }
    facets { kinds { count } }
  } }`;

/** The five articles the demo lead finds with 退款 (search.test.ts lists them). */
const LEAD_REFUND_TITLES = ['Refund exceptions for enterprise accounts', '退款到账时间说明', '退款流程（FAQ）', '解决方案：重复扣款的退款争议', '操作手册：退款审批新流程（草稿）'];

describe('searchArticles ranks a capped set of candidates and counts up to a limit', () => {
  let server: TestServer;
  let lead: GraphQLClient;
  beforeAll(async () => {
    server = await createTestServer({ env: { WARDEN_SEARCH_CANDIDATES: '2', WARDEN_SEARCH_COUNT_LIMIT: '3' } });
    lead = await server.as('lead');
  });
  afterAll(() => server.stop());

  const search = async (q: string, vars: Record<string, unknown> = {}) => {
    const r = await lead.request<Search>(SEARCH, { q, first: 20, ...vars });
    // Snippets are not asked for: no step-up error can come back.
    expect(r.errors).toBeUndefined();
    return r.data!.searchArticles;
  };

  it('counts up to the limit and says so; the facets still count every match', async () => {
    const r = await search('退款');
    expect(r.totalCount).toBe(3);
    expect(r.totalCountIsCapped).toBe(true);
    expect(r.facets.kinds.reduce((n, k) => n + k.count, 0)).toBe(LEAD_REFUND_TITLES.length);
  });

  it('ranks and pages through the newest candidates only', async () => {
    const newest = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      tx.select({ title: articles.title }).from(articles).where(inArray(articles.title, LEAD_REFUND_TITLES)).orderBy(desc(articles.createdAt), desc(articles.id)).limit(2),
    );
    const all = await search('退款');
    expect(all.edges.map((e) => e.node.title).sort()).toEqual(newest.map((n) => n.title).sort());
    expect(all.pageInfo.hasNextPage).toBe(false);
    const first = await search('退款', { first: 1 });
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await search('退款', { first: 1, after: first.pageInfo.endCursor });
    expect([...first.edges, ...second.edges].map((e) => e.node.id)).toEqual(all.edges.map((e) => e.node.id));
    expect(second.pageInfo.hasNextPage).toBe(false);
    // A page past the last hit still counts: the count has its own statement.
    const past = await search('退款', { first: 1, after: second.pageInfo.endCursor });
    expect([past.edges.length, past.totalCount, past.totalCountIsCapped]).toEqual([0, 3, true]);
  });

  it('is exact below the limit', async () => {
    const r = await search('退款流程');
    expect([r.totalCount, r.totalCountIsCapped]).toEqual([2, false]); // the FAQ and the lead's draft
    const none = await search('zebraquartz');
    expect([none.totalCount, none.totalCountIsCapped, none.edges.length]).toEqual([0, false, 0]);
  });
});
