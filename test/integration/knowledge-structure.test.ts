import { createTestServer, type TestServer } from '../testkit/server';
import type { GraphQLClient } from '../testkit/client';
import { seedOtherTenant, seedUniformKnowledge } from '../testkit/seed';
import { toGlobalId } from '../../src/lib/global-id';

type Node = { id: string; name: string };
const SHA = 'a'.repeat(64);

describe('knowledge structure: spaces, category trees, tags, related articles, attachments, loaders', () => {
  let server: TestServer;
  let agent: GraphQLClient;
  let lead: GraphQLClient;
  let admin: GraphQLClient;
  let other: Awaited<ReturnType<typeof seedOtherTenant>>;
  let uniform: Awaited<ReturnType<typeof seedUniformKnowledge>>;
  beforeAll(async () => {
    server = await createTestServer();
    other = await seedOtherTenant(server.database.db);
    uniform = await seedUniformKnowledge(server.database.db, server.tenantId, { categories: 4, articlesPerCategory: 2 });
    [agent, lead, admin] = await Promise.all([server.as('agent'), server.as('lead'), server.as('admin')]);
  });
  afterAll(() => server.stop());

  const articleIds = async (client: GraphQLClient) =>
    (await client.ok<{ articles: { edges: { node: { id: string; title: string; classification: string; status: string } }[] } }>('{ articles(first: 100) { edges { node { id title classification status } } } }')).articles.edges.map((e) => e.node);

  it('shows spaces with their category trees', async () => {
    const { spaces } = await agent.ok<{ spaces: { edges: { node: { key: string; defaultClassification: string; ownerTeam: Node | null; categories: (Node & { children: Node[] })[] } }[] } }>(
      '{ spaces { edges { node { key defaultClassification ownerTeam { name } categories { name children { name } } } } } }',
    );
    const support = spaces.edges.find((e) => e.node.key === 'SUPPORT')!.node;
    expect(support.ownerTeam?.name).toBe('Support East');
    expect(support.categories.find((c) => c.name === '售后服务 After-sales')!.children.map((c) => c.name)).toEqual(['退款 Refunds']);
    expect(spaces.edges.find((e) => e.node.key === 'HELP')!.node.defaultClassification).toBe('PUBLIC');
  });

  it('lets only KNOWLEDGE_MANAGE create spaces and categories, with clear refusals', async () => {
    expect((await lead.request('mutation { createSpace(input: { key: "OPS", name: "Ops" }) { id } }')).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const { createSpace: space } = await admin.ok<{ createSpace: { id: string; key: string } }>('mutation { createSpace(input: { key: "OPS", name: "运维 Ops", defaultClassification: CONFIDENTIAL }) { id key } }');
    expect((await admin.request('mutation { createSpace(input: { key: "OPS", name: "again" }) { id } }')).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'key' });
    expect((await admin.request('mutation { createSpace(input: { key: "bad key", name: "x" }) { id } }')).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const cat = (input: string) => admin.request<{ createCategory: { id: string; defaultClassification: string; parent: Node | null } }>(`mutation { createCategory(input: ${input}) { id defaultClassification parent { name } } }`);
    const root = (await cat(`{ spaceId: "${space.id}", name: "数据库" }`)).data!.createCategory;
    expect(root.defaultClassification).toBe('CONFIDENTIAL'); // from the space
    const child = (await cat(`{ spaceId: "${space.id}", parentId: "${root.id}", name: "备份" }`)).data!.createCategory;
    expect(child.parent?.name).toBe('数据库');
    // A move below itself would make a cycle.
    const move = await admin.request('mutation($i: UpdateCategoryInput!) { updateCategory(input: $i) { id } }', { i: { id: root.id, parentId: child.id } });
    expect(move.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'CATEGORY_CYCLE' });
    const self = await admin.request('mutation($i: UpdateCategoryInput!) { updateCategory(input: $i) { id } }', { i: { id: root.id, parentId: root.id } });
    expect(self.errors?.[0].extensions?.reason).toBe('CATEGORY_CYCLE');
    // Categories of another space cannot be parents.
    const { categories } = await admin.ok<{ categories: { edges: { node: Node }[] } }>('{ categories(first: 50) { edges { node { id name } } } }');
    const refunds = categories.edges.find((e) => e.node.name === '退款 Refunds')!.node.id;
    expect((await cat(`{ spaceId: "${space.id}", parentId: "${refunds}", name: "x" }`)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const moved = await admin.ok<{ updateCategory: { parent: Node | null } }>('mutation($i: UpdateCategoryInput!) { updateCategory(input: $i) { parent { name } } }', { i: { id: child.id, moveToRoot: true } });
    expect(moved.updateCategory.parent).toBeNull();
  });

  it('links related articles, and readers see only the related ones they may read', async () => {
    const all = await articleIds(lead);
    const faq = all.find((a) => a.title === '退款流程（FAQ）')!.id;
    const internal = all.find((a) => a.title === '退款到账时间说明')!.id;
    const confidential = all.find((a) => a.title === '解决方案：重复扣款的退款争议')!.id;
    const draft = await lead.ok<{ createArticle: { id: string } }>('mutation { createArticle(input: { title: "关联测试", body: "关联文章测试。" }) { id } }');
    const set = (id: string, relatedIds: string[], client = lead) =>
      client.request<{ setRelatedArticles: { related: { title: string }[] } }>('mutation($i: SetRelatedArticlesInput!) { setRelatedArticles(input: $i) { related { title } } }', { i: { id, relatedIds } });
    expect((await set(draft.createArticle.id, [internal, confidential])).data?.setRelatedArticles.related.map((r) => r.title)).toEqual(['退款到账时间说明', '解决方案：重复扣款的退款争议']);
    expect((await set(draft.createArticle.id, [draft.createArticle.id])).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await set(draft.createArticle.id, [toGlobalId('Article', other.articleId)])).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    // Linking from a published article changes what readers see: ARTICLE_PUBLISH.
    expect((await set(faq, [internal])).errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'PUBLISH_REQUIRED' });
    expect((await set(faq, [internal, confidential], admin)).errors).toBeUndefined();
    const { article } = await agent.ok<{ article: { related: { title: string }[] } }>('query($id: ID!) { article(id: $id) { related { title } } }', { id: faq });
    expect(article.related.map((r) => r.title)).toEqual(['退款到账时间说明']);
  });

  it('records attachment metadata and refuses bad metadata', async () => {
    const { createArticle: a } = await lead.ok<{ createArticle: { id: string } }>('mutation { createArticle(input: { title: "附件测试", body: "带附件的文章。" }) { id } }');
    const add = (input: Record<string, unknown>) =>
      lead.request<{ addArticleAttachment: { id: string; fileName: string; sizeBytes: number; uploadedBy: Node } }>(
        'mutation($i: AddAttachmentInput!) { addArticleAttachment(input: $i) { id fileName sizeBytes uploadedBy { displayName } } }',
        { i: { articleId: a.id, fileName: '退款单.pdf', contentType: 'application/pdf', sizeBytes: 1024, sha256: SHA, ...input } },
      );
    const ok = await add({});
    expect(ok.data?.addArticleAttachment).toMatchObject({ fileName: '退款单.pdf', sizeBytes: 1024 });
    for (const bad of [{ fileName: '../etc/passwd' }, { fileName: '' }, { sha256: 'xyz' }, { sizeBytes: -1 }, { sizeBytes: 200 * 1024 * 1024 }, { contentType: 'pdf' }]) {
      expect((await add(bad)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    const { article } = await lead.ok<{ article: { attachments: { fileName: string }[] } }>('query($id: ID!) { article(id: $id) { attachments { fileName } } }', { id: a.id });
    expect(article.attachments).toEqual([{ fileName: '退款单.pdf' }]);
    expect((await lead.request('mutation($id: ID!) { removeArticleAttachment(id: $id) }', { id: ok.data!.addArticleAttachment.id })).data).toEqual({ removeArticleAttachment: true });
    expect((await lead.request('mutation($id: ID!) { removeArticleAttachment(id: $id) }', { id: ok.data!.addArticleAttachment.id })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('lists tags and answers node(id) for every knowledge type, null for other tenants', async () => {
    const { tags } = await agent.ok<{ tags: { edges: { node: Node }[] } }>('{ tags(first: 100) { edges { node { id name } } } }');
    expect(tags.edges.map((e) => e.node.name)).toEqual(expect.arrayContaining(['退款', 'refund']));
    const { spaces } = await agent.ok<{ spaces: { edges: { node: { id: string; categories: { id: string }[] } }[] } }>('{ spaces { edges { node { id categories { id } } } } }');
    for (const id of [tags.edges[0].node.id, spaces.edges[0].node.id, spaces.edges[0].node.categories[0].id]) {
      expect((await agent.ok<{ node: { id: string } | null }>('query($id: ID!) { node(id: $id) { id } }', { id })).node?.id).toBe(id);
    }
    expect((await agent.ok<{ node: unknown }>('query($id: ID!) { node(id: $id) { id } }', { id: toGlobalId('Article', other.articleId) })).node).toBeNull();
    expect((await agent.request('query($id: ID!) { space(id: $id) { id } }', { id: toGlobalId('Space', other.articleId) })).data).toEqual({ space: null });
  });

  const stmts = async (client: GraphQLClient, query: string, vars: Record<string, unknown>) => {
    const r = await client.request(query, vars);
    expect(r.errors).toBeUndefined();
    return r.extensions!.counters!.statements;
  };

  // The uniform space's articles all have the same shape, so a smaller page needs every relation a larger one does.
  it('keeps SQL statements constant when the page size doubles: articles with every relation', async () => {
    const q = `query($first: Int, $space: ID) { articles(first: $first, filter: { spaceId: $space }) { edges { node { title author { displayName } tags { name }
      space { name ownerTeam { name } } category { name parent { name } } ownerTeam { name } related { title author { displayName } }
      attachments { fileName uploadedBy { displayName } } latestVersion { version editedBy { displayName } }
      versions(first: 2) { edges { node { version change } } } } } } }`;
    const space = toGlobalId('Space', uniform.spaceId);
    const [small, large] = [await stmts(lead, q, { first: 4, space }), await stmts(lead, q, { first: 8, space })];
    expect(small).toBeGreaterThan(0);
    expect(large).toBe(small);
  });

  it('loads the viewer once per request although loaders built with the context ask for it too', async () => {
    // Apollo Server shallow-copies the context per operation; state kept on one copy used to make the
    // loaders load the viewer a second time. Transaction setup, viewer, categories, articles, authors,
    // tags, latest versions: 7.
    // The uniform space's categories all hold articles with authors, tags and versions, so every loader runs.
    const q = `query($space: ID) { categories(spaceId: $space, first: 3) { edges { node { name articles(first: 4) { edges { node {
      title author { displayName } tags { name } latestVersion { version change } } } } } } } }`;
    expect(await stmts(lead, q, { space: toGlobalId('Space', uniform.spaceId) })).toBe(7);
  });

  it('keeps SQL statements constant when the page size doubles: categories → articles → author, tags, latest version', async () => {
    // No `parent` here: categories of the list are primed into the loader, so whether a parent costs a
    // statement depends on whether it happens to be on the same page.
    const q = `query($first: Int, $space: ID) { categories(spaceId: $space, first: $first) { edges { node { name space { name } children { name }
      articles(first: $first) { edges { node { title author { displayName } tags { name } latestVersion { version } } } pageInfo { hasNextPage } } } } } }`;
    const space = toGlobalId('Space', uniform.spaceId);
    const [small, large] = [await stmts(lead, q, { first: 2, space }), await stmts(lead, q, { first: 4, space })];
    expect(small).toBeGreaterThan(0);
    expect(large).toBe(small);
  });

  it('filters category pages by the same policy as every other list', async () => {
    const q = `{ categories(first: 20) { edges { node { name articles(first: 5) { edges { node { title } } } } } } }`;
    type Tree = { categories: { edges: { node: { name: string; articles: { edges: { node: { title: string } }[] } } }[] } };
    const inRefunds = async (client: GraphQLClient) =>
      (await client.ok<Tree>(q)).categories.edges.find((e) => e.node.name === '退款 Refunds')!.node.articles.edges.map((e) => e.node.title).sort();
    expect(await inRefunds(lead)).toHaveLength(4); // two INTERNAL, one CONFIDENTIAL, one draft
    expect(await inRefunds(agent)).toEqual(['Refund exceptions for enterprise accounts', '退款到账时间说明'].sort());
  });

  it('pages category articles with cursors and refuses bad ones', async () => {
    const q = `query($after: String) { categories(first: 20) { edges { node { name articles(first: 2, after: $after) { edges { node { title } } pageInfo { hasNextPage endCursor } } } } } }`;
    const first = await lead.ok<{ categories: { edges: { node: { name: string; articles: { edges: unknown[]; pageInfo: { endCursor: string; hasNextPage: boolean } } } }[] } }>(q, {});
    const refunds = first.categories.edges.find((e) => e.node.name === '退款 Refunds')!.node.articles;
    expect(refunds.pageInfo.hasNextPage).toBe(true);
    const second = await lead.ok<typeof first>(q, { after: refunds.pageInfo.endCursor });
    expect(second.categories.edges.find((e) => e.node.name === '退款 Refunds')!.node.articles.edges).toHaveLength(2);
    expect((await lead.request(q, { after: 'nope' })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await lead.request('{ categories(first: 101) { edges { node { id } } } }')).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
