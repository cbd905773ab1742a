import { articles } from '../../src/db/schema';
import { withTenantTx } from '../../src/db/tenant-tx';
import { indexUnindexedArticles } from '../../src/modules/knowledge/reindex';
import { createTestServer, type TestServer } from '../testkit/server';
import type { GraphQLClient } from '../testkit/client';
import { seedUniformKnowledge } from '../testkit/seed';

type Hit = { cursor: string; snippet: string; rank: number; node: { id: string; title: string; classification: string; status: string; kind: string } };
type Search = {
  searchArticles: {
    totalCount: number;
    edges: Hit[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    facets: { kinds: { kind: string; count: number }[]; classifications: { classification: string; count: number }[]; spaces: { space: { name: string } | null; count: number }[] };
  };
};

const SEARCH = `query($q: String!, $first: Int, $after: String, $filter: ArticleFilter) {
  searchArticles(query: $q, first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor snippet rank node { id title classification status kind } }
    pageInfo { hasNextPage endCursor }
    facets { kinds { kind count } classifications { classification count } spaces { space { name } count } }
  } }`;

const RANK = ['PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'RESTRICTED'];

describe('searchArticles: Chinese and English full-text search, filtered by the policy inside SQL', () => {
  let server: TestServer;
  let agent: GraphQLClient;
  let lead: GraphQLClient;
  let sales: GraphQLClient;
  beforeAll(async () => {
    server = await createTestServer();
    await seedUniformKnowledge(server.database.db, server.tenantId, { categories: 4, articlesPerCategory: 2 });
    [agent, lead, sales] = await Promise.all([server.as('agent'), server.as('lead'), server.as('sales')]);
  });
  afterAll(() => server.stop());

  /** A search whose only errors are the step-up of snippets of CONFIDENTIAL-and-above hits (none of these viewers stepped up). */
  const search = async (client: GraphQLClient, q: string, vars: Record<string, unknown> = {}) => {
    const r = await client.request<Search>(SEARCH, { q, first: 20, ...vars });
    const result = r.data!.searchArticles;
    const stepUps = result.edges.flatMap((e, i) => (RANK.indexOf(e.node.classification) >= 2 ? [i] : []));
    expect((r.errors ?? []).map((e) => [e.path, e.extensions?.code])).toEqual(stepUps.map((i) => [['searchArticles', 'edges', i, 'snippet'], 'MFA_REQUIRED']));
    for (const i of stepUps) expect(result.edges[i].snippet).toBeNull();
    return result;
  };
  const titles = (r: Search['searchArticles']) => r.edges.map((e) => e.node.title).sort();

  it('finds the refund articles for agent@acme.test with "退款", none above the agent\'s clearance and no drafts', async () => {
    const r = await search(agent, '退款');
    expect(titles(r)).toEqual(['Refund exceptions for enterprise accounts', '退款到账时间说明', '退款流程（FAQ）'].sort());
    expect(r.edges.every((e) => RANK.indexOf(e.node.classification) <= RANK.indexOf('INTERNAL') && e.node.status === 'PUBLISHED')).toBe(true);
    expect(r.totalCount).toBe(3);
    expect(r.edges.find((e) => e.node.title === '退款到账时间说明')!.snippet).toContain('<mark>退款</mark>');
  });

  it('finds more for the lead (CONFIDENTIAL and drafts) but never RESTRICTED', async () => {
    const r = await search(lead, '退款');
    expect(titles(r)).toEqual(
      ['Refund exceptions for enterprise accounts', '退款到账时间说明', '退款流程（FAQ）', '解决方案：重复扣款的退款争议', '操作手册：退款审批新流程（草稿）'].sort(),
    );
    expect(r.totalCount).toBe(5);
    expect(r.edges.map((e) => e.node.classification)).not.toContain('RESTRICTED');
  });

  it('finds English articles with "refund", prefix-matching "refunds"', async () => {
    const r = await search(agent, 'refund');
    expect(titles(r)).toContain('Refund exceptions for enterprise accounts');
    expect(titles(r)).not.toContain('Incident 2026-07: credential stuffing response');
    expect(r.edges[0].node.title).toBe('Refund exceptions for enterprise accounts'); // title (weight A) outranks a tag (C)
    expect(r.edges[0].snippet).toContain('<mark>refunds</mark>');
    const sales = await search(agent, '退款流程');
    expect(titles(sales)).toEqual(['退款流程（FAQ）']);
  });

  it('agrees: totalCount equals the hits over all pages, and the facets add up to it', async () => {
    for (const [client, q] of [[agent, '退款'], [lead, '退款'], [lead, 'refund'], [sales, '退款'], [agent, '客户']] as const) {
      const all = await search(client, q);
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page: Search['searchArticles'] = await search(client, q, { first: 1, after });
        expect(page.totalCount).toBe(all.totalCount);
        seen.push(...page.edges.map((e) => e.node.id));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(seen).toEqual(all.edges.map((e) => e.node.id));
      expect(seen.length).toBe(all.totalCount);
      const sum = (xs: { count: number }[]) => xs.reduce((n, x) => n + x.count, 0);
      expect(sum(all.facets.kinds)).toBe(all.totalCount);
      expect(sum(all.facets.classifications)).toBe(all.totalCount);
      expect(sum(all.facets.spaces)).toBe(all.totalCount);
      expect(all.facets.classifications.every((c) => client !== agent || RANK.indexOf(c.classification) <= 1)).toBe(true);
    }
  });

  it('shows sales (PUBLIC clearance) only the public refund FAQ', async () => {
    const r = await search(sales, '退款');
    expect(titles(r)).toEqual(['退款流程（FAQ）']);
    expect(r.facets.classifications).toEqual([{ classification: 'PUBLIC', count: 1 }]);
  });

  it('never indexes internal notes, even for viewers who may read them', async () => {
    expect((await search(lead, 'zebraquartz')).totalCount).toBe(0);
    expect((await search(lead, '法务复核')).totalCount).toBe(0);
  });

  it('narrows with filters, including a category and its sub-categories', async () => {
    const { categories } = await lead.ok<{ categories: { edges: { node: { id: string; name: string } }[] } }>('{ categories(first: 50) { edges { node { id name } } } }');
    const afterSales = categories.edges.find((e) => e.node.name === '售后服务 After-sales')!.node.id;
    const inTree = await search(lead, '退款', { filter: { categoryId: afterSales } });
    expect(inTree.totalCount).toBe(4); // all in 退款 Refunds, a sub-category
    expect((await search(lead, '退款', { filter: { categoryId: afterSales, includeSubcategories: false } })).totalCount).toBe(0);
    const faq = await search(lead, '退款', { filter: { kinds: ['FAQ'], statuses: ['PUBLISHED'] } });
    expect(titles(faq)).toEqual(['退款到账时间说明', '退款流程（FAQ）'].sort());
    expect((await search(lead, '退款', { filter: { tags: ['退款', 'enterprise'] } })).edges.map((e) => e.node.title)).toEqual(['Refund exceptions for enterprise accounts']);
  });

  it.each([
    '& | ! ( ) : * \' \\',
    "退款' OR 1=1 --",
    "'; drop table articles; --",
    '退款:* | !refund',
    '(退款|refund)&!',
    '\\\\\\',
    '😀🙂🎉',
    '退款😀',
    '<script>alert(1)</script>',
    'x'.repeat(200),
  ])('treats %j as words, never as tsquery or SQL', async (q) => {
    const r = await agent.request<Search>(SEARCH, { q, first: 20 });
    expect(r.errors).toBeUndefined();
    const hits = r.data!.searchArticles;
    expect(hits.edges.length).toBe(hits.totalCount);
    expect(hits.edges.every((e) => RANK.indexOf(e.node.classification) <= 1)).toBe(true);
  });

  it('reads operators as plain words: "退款 & !流程" means 退款 AND 流程', async () => {
    expect(titles(await search(agent, '退款 & !流程'))).toEqual(titles(await search(agent, '退款 流程')));
    expect(titles(await search(agent, '退款 & !流程'))).toEqual(['退款流程（FAQ）']);
  });

  it('refuses empty and over-long queries, bad sizes, foreign cursors and foreign ids with a client error', async () => {
    const codes = async (vars: Record<string, unknown>) => (await agent.request(SEARCH, { first: 20, ...vars })).errors?.map((e) => e.extensions?.code);
    expect(await codes({ q: '' })).toEqual(['BAD_USER_INPUT']);
    expect(await codes({ q: '   ' })).toEqual(['BAD_USER_INPUT']);
    expect(await codes({ q: '退'.repeat(10_000) })).toEqual(['BAD_USER_INPUT']);
    expect(await codes({ q: '退款', first: 101 })).toEqual(['BAD_USER_INPUT']);
    expect(await codes({ q: '退款', first: 0 })).toEqual(['BAD_USER_INPUT']);
    const { articles } = await agent.ok<{ articles: { pageInfo: { endCursor: string } } }>('{ articles(first: 1) { pageInfo { endCursor } } }');
    expect(await codes({ q: '退款', after: articles.pageInfo.endCursor })).toEqual(['BAD_USER_INPUT']);
    const other = (await search(agent, 'refund', { first: 1 })).pageInfo.endCursor;
    expect(await codes({ q: '退款', after: other })).toEqual(['BAD_USER_INPUT']);
    expect(await codes({ q: '退款', after: 'garbage' })).toEqual(['BAD_USER_INPUT']);
    expect(await codes({ q: '退款', filter: { spaceId: 'not-an-id' } })).toEqual(['BAD_USER_INPUT']);
    const unknownSpace = Buffer.from('Space:00000000-0000-4000-8000-000000000000').toString('base64url');
    expect(await codes({ q: '退款', filter: { spaceId: unknownSpace } })).toEqual(['NOT_FOUND']);
    const articleAsSpace = Buffer.from('Article:00000000-0000-4000-8000-000000000000').toString('base64url');
    expect(await codes({ q: '退款', filter: { spaceId: articleAsSpace } })).toEqual(['BAD_USER_INPUT']);
  });

  it('indexes articles written before search existed (no vector) at start-up', async () => {
    await withTenantTx(server.database.db, server.tenantId, (tx) =>
      tx.insert(articles).values({ tenantId: server.tenantId, title: '旧文章：发票退款', body: '迁移前写入的文章 legacyword。', classification: 'PUBLIC', status: 'PUBLISHED' }),
    );
    expect((await search(agent, 'legacyword')).totalCount).toBe(0);
    expect(await indexUnindexedArticles(server.database.db)).toBe(1);
    expect(await indexUnindexedArticles(server.database.db)).toBe(0);
    const r = await search(agent, '发票 legacyword');
    expect(titles(r)).toEqual(['旧文章：发票退款']);
  });

  it('keeps SQL statements per request constant when the page size doubles', async () => {
    // Eight articles of the same shape (category with parent, tags, team, version): every page needs every relation.
    const q = `query($first: Int) { searchArticles(query: "uniformword 统一", first: $first) {
      totalCount facets { kinds { kind count } spaces { space { name } count } }
      edges { snippet node { title author { displayName } tags { name } space { name ownerTeam { name } } category { name parent { name } }
        ownerTeam { name } latestVersion { version editedBy { displayName } } related { title } attachments { fileName } } } } }`;
    const small = await lead.request<Search>(q, { first: 4 });
    const large = await lead.request<Search>(q, { first: 8 });
    expect(small.errors).toBeUndefined();
    expect(small.data!.searchArticles.totalCount).toBe(8);
    expect(small.data!.searchArticles.edges).toHaveLength(4);
    expect(large.data!.searchArticles.edges).toHaveLength(8);
    expect(small.extensions?.counters?.statements).toBeGreaterThan(0);
    expect(large.extensions?.counters?.statements).toBe(small.extensions?.counters?.statements);
  });
});
