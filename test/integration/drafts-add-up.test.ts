import type { GraphQLClient } from '../testkit/client';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * Permissions add up across role assignments and grants, per record and per permission: a draft is
 * read by whoever holds ARTICLE_READ and ARTICLE_WRITE (or ARTICLE_PUBLISH) on it, from any roles or
 * grants. A read grant alone does not show a draft: drafts are for those who may write or publish them.
 */
type Node = { id: string; title: string; status: string };
const DRAFT_A = '操作手册：退款审批新流程（草稿）';
const DRAFT_B = '政策：客户隐私数据处理规范';

describe('permissions add up on drafts', () => {
  let server: TestServer;
  let admin: GraphQLClient;
  const drafts = new Map<string, string>();
  const idOf = async (c: GraphQLClient) => (await c.ok<{ me: { user: { id: string } } }>('{ me { user { id } } }')).me.user.id;
  const grant = async (userId: string, resourceId: string, permission: string) =>
    admin.ok('mutation($i: GrantAccessInput!) { grantAccess(input: $i) { id } }', {
      i: { userId, resourceId, permission, expiresAt: new Date(Date.now() + 3600_000).toISOString(), reason: 'Review the draft' },
    });

  /** Every way a client reaches articles: the list (all pages), by id, node, search with totals and facets, category pages. */
  async function seen(c: GraphQLClient) {
    const list: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: { articles: { edges: { node: Node }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } = await c.ok('query($a: String) { articles(first: 5, after: $a) { edges { node { id title status } } pageInfo { hasNextPage endCursor } } }', { a: after });
      list.push(...page.articles.edges.map((e) => e.node.title));
      if (!page.articles.pageInfo.hasNextPage) break;
      after = page.articles.pageInfo.endCursor;
    }
    const byId = await Promise.all(
      [...drafts].map(async ([title, id]) => {
        const r = await c.ok<{ article: Node | null; node: Node | null }>('query($id: ID!) { article(id: $id) { title } node(id: $id) { ... on Article { title } } }', { id });
        return [title, Boolean(r.article), Boolean(r.node)] as const;
      }),
    );
    const search = await c.request<{ searchArticles: { totalCount: number; edges: { node: Node }[]; facets: { kinds: { count: number }[] } } }>(
      '{ searchArticles(query: "退款", first: 50) { totalCount edges { node { title status } } facets { kinds { count } } } }',
    );
    const s = search.data!.searchArticles;
    const { categories } = await c.ok<{ categories: { edges: { node: { id: string } }[] } }>('{ categories(first: 50) { edges { node { id } } } }');
    const pages = await Promise.all(
      categories.edges.map((e) => c.ok<{ node: { articles: { edges: { node: Node }[] } } }>('query($id: ID!) { node(id: $id) { ... on Category { articles(first: 50) { edges { node { title status } } } } } }', { id: e.node.id })),
    );
    return {
      list: list.filter((t) => drafts.has(t)).sort(),
      byId: byId.filter(([, a, n]) => a && n).map(([t]) => t).sort(),
      search: s.edges.map((e) => e.node.title).filter((t) => drafts.has(t)).sort(),
      searchCounts: [s.totalCount, s.edges.length, s.facets.kinds.reduce((n, k) => n + k.count, 0)],
      categories: pages.flatMap((p) => p.node.articles.edges.map((a) => a.node.title)).filter((t) => drafts.has(t)).sort(),
    };
  }

  beforeAll(async () => {
    server = await createTestServer();
    admin = await server.as('admin');
    const all = await admin.ok<{ articles: { edges: { node: Node }[] } }>('{ articles(first: 100, filter: { statuses: [DRAFT] }) { edges { node { id title status } } } }');
    for (const e of all.articles.edges) if (e.node.title === DRAFT_A || e.node.title === DRAFT_B) drafts.set(e.node.title, e.node.id);
    expect([...drafts.keys()].sort()).toEqual([DRAFT_A, DRAFT_B].sort());
  });
  afterAll(() => server.stop());

  it('shows no draft to a reader (security analyst: ARTICLE_READ only)', async () => {
    const r = await seen(await server.as('analyst'));
    expect(r).toMatchObject({ list: [], byId: [], search: [], categories: [] });
  });

  it('shows a READ grant alone on a draft nothing: reading a draft needs write or publish on it', async () => {
    await grant(await idOf(await server.as('analyst')), drafts.get(DRAFT_B)!, 'ARTICLE_READ');
    const r = await seen(await server.as('analyst'));
    expect(r).toMatchObject({ list: [], byId: [], search: [], categories: [] });
  });

  it('shows the draft with a WRITE grant on it beside a READ role, and only that draft', async () => {
    const analyst = await idOf(await server.as('analyst'));
    await grant(analyst, drafts.get(DRAFT_A)!, 'ARTICLE_WRITE');
    const r = await seen(await server.as('analyst'));
    expect(r).toMatchObject({ list: [DRAFT_A], byId: [DRAFT_A], search: [DRAFT_A], categories: [DRAFT_A] });
    const [total, hits, facets] = r.searchCounts;
    expect(hits).toBe(total);
    expect(facets).toBe(total);
  });

  it('shows every draft it may write with ARTICLE_READ from one tenant-wide role and ARTICLE_WRITE from another', async () => {
    const { createRole } = await admin.ok<{ createRole: { id: string } }>('mutation { createRole(input: { key: "drafter", name: "Drafter", permissions: [ARTICLE_WRITE], clearance: INTERNAL }) { id } }');
    const agent = await idOf(await server.as('agent')); // support_agent: ARTICLE_READ tenant-wide, no ARTICLE_WRITE
    expect((await seen(await server.as('agent'))).list).toEqual([]);
    await admin.ok('mutation($i: AssignRoleInput!) { assignRole(input: $i) { id } }', { i: { userId: agent, roleId: createRole.id } });
    const r = await seen(await server.as('agent'));
    expect(r).toMatchObject({ list: [DRAFT_A, DRAFT_B].sort(), byId: [DRAFT_A, DRAFT_B].sort(), search: [DRAFT_A], categories: [DRAFT_A, DRAFT_B].sort() });
    const [total, hits, facets] = r.searchCounts;
    expect([hits, facets]).toEqual([total, total]);
    // explainAccess names both steps: the reading role and the writing one.
    const explained = await admin.ok<{ explainAccess: { allowed: boolean; chain: { kind: string; role: string | null }[] } }>(
      'query($u: ID!, $r: ID!) { explainAccess(userId: $u, resourceId: $r, permission: ARTICLE_READ) { allowed chain { kind role } } }',
      { u: agent, r: drafts.get(DRAFT_A) },
    );
    expect(explained.explainAccess.allowed).toBe(true);
    expect(explained.explainAccess.chain.filter((s) => s.kind === 'ROLE').map((s) => s.role)).toEqual(['support_agent', 'drafter']);
  });
});
