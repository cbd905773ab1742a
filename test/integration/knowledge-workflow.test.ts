import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { addUser } from '../../src/db/seed/builders';
import { createTestServer, type TestServer } from '../testkit/server';
import type { GraphQLClient } from '../testkit/client';

type Article = { id: string; title: string; status: string; classification: string; version: number; publishedAt: string | null };
const FIELDS = 'id title status classification version publishedAt';

describe('knowledge workflow and versions: DRAFT → IN_REVIEW → PUBLISHED → ARCHIVED, history and restore', () => {
  let server: TestServer;
  let agent: GraphQLClient;
  let lead: GraphQLClient;
  let admin: GraphQLClient;
  let editor: GraphQLClient;
  let refunds: string;
  beforeAll(async () => {
    server = await createTestServer();
    // A knowledge editor (write and publish) cleared for INTERNAL only.
    await withTenantTx(server.database.db, server.tenantId, async (tx) => {
      const [role] = await queryRows<{ id: string }>(tx, sql`select id from roles where key = 'knowledge_editor'`);
      await addUser(tx, server.tenantId, { email: 'editor@acme.test', displayName: 'Eddie Editor', password: DEMO_PASSWORD, roleIds: [role.id] });
    });
    [agent, lead, admin, editor] = await Promise.all([server.as('agent'), server.as('lead'), server.as('admin'), server.as('editor')]);
    const { categories } = await lead.ok<{ categories: { edges: { node: { id: string; name: string } }[] } }>('{ categories(first: 50) { edges { node { id name } } } }');
    refunds = categories.edges.find((e) => e.node.name === '退款 Refunds')!.node.id;
  });
  afterAll(() => server.stop());

  const versionCount = (articleId: string) =>
    withTenantTx(server.database.db, server.tenantId, async (tx) =>
      Number((await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from article_versions where article_id = ${Buffer.from(articleId, 'base64url').toString().split(':')[1]}`))[0].n),
    );
  const step = (client: GraphQLClient, mutation: string, id: string) => client.request<Record<string, Article>>(`mutation($id: ID!) { ${mutation}(id: $id) { ${FIELDS} } }`, { id });
  const read = async (client: GraphQLClient, id: string) => (await client.ok<{ article: Article | null }>(`query($id: ID!) { article(id: $id) { ${FIELDS} } }`, { id })).article;
  const hits = async (client: GraphQLClient, q: string) => (await client.ok<{ searchArticles: { totalCount: number } }>('query($q: String!) { searchArticles(query: $q) { totalCount } }', { q })).searchArticles.totalCount;

  it('walks an article through the workflow with separate write and publish rights', async () => {
    const { createArticle: created } = await lead.ok<{ createArticle: Article & { kind: string; category: { name: string }; space: { key: string }; tags: { name: string }[] } }>(
      `mutation($i: CreateArticleInput!) { createArticle(input: $i) { ${FIELDS} kind category { name } space { key } tags { name } } }`,
      { i: { title: '退款凭证补开说明', body: '客户需要退款凭证时，在财务系统补开电子凭证 voucherzeta。', kind: 'HOW_TO', categoryId: refunds, tags: ['退款', '凭证'] } },
    );
    expect(created).toMatchObject({ status: 'DRAFT', classification: 'INTERNAL', version: 1, kind: 'HOW_TO', category: { name: '退款 Refunds' }, space: { key: 'SUPPORT' } });
    expect(created.tags.map((t) => t.name).sort()).toEqual(['凭证', '退款']);
    // Drafts are for writers: the agent neither reads nor finds it.
    expect(await read(agent, created.id)).toBeNull();
    expect(await hits(agent, 'voucherzeta')).toBe(0);
    expect(await hits(lead, 'voucherzeta')).toBe(1);

    expect((await step(lead, 'submitArticleForReview', created.id)).data?.submitArticleForReview).toMatchObject({ status: 'IN_REVIEW', version: 2 });
    const leadPublish = await step(lead, 'publishArticle', created.id);
    expect(leadPublish.errors?.[0].extensions?.code).toBe('FORBIDDEN'); // ARTICLE_WRITE is not ARTICLE_PUBLISH
    const published = (await step(admin, 'publishArticle', created.id)).data!.publishArticle;
    expect(published).toMatchObject({ status: 'PUBLISHED', version: 3 });
    expect(published.publishedAt).not.toBeNull();
    expect(await read(agent, created.id)).toMatchObject({ title: '退款凭证补开说明' });
    expect(await hits(agent, 'voucherzeta')).toBe(1);

    // A step that is not allowed from the current status: a clear error, nothing changed.
    const before = await versionCount(created.id);
    for (const [client, mutation] of [[admin, 'publishArticle'], [lead, 'submitArticleForReview'], [lead, 'returnArticleToDraft']] as const) {
      const r = await step(client, mutation, created.id);
      expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_TRANSITION', from: 'PUBLISHED' });
    }
    expect(await versionCount(created.id)).toBe(before);
    expect(await read(lead, created.id)).toMatchObject({ status: 'PUBLISHED', version: 3 });

    // What readers see changes only with the publish right.
    const edit = (client: GraphQLClient, title: string) =>
      client.request<{ updateArticle: Article }>(`mutation($i: UpdateArticleInput!) { updateArticle(input: $i) { ${FIELDS} } }`, { i: { id: created.id, title } });
    expect((await edit(lead, '改标题')).errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'PUBLISH_REQUIRED' });
    expect((await edit(admin, '退款凭证补开说明（新）')).data?.updateArticle).toMatchObject({ status: 'PUBLISHED', version: 4 });

    expect((await step(lead, 'archiveArticle', created.id)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await step(admin, 'archiveArticle', created.id)).data?.archiveArticle.status).toBe('ARCHIVED');
    expect(await read(agent, created.id)).toBeNull();
    expect((await edit(admin, 'x')).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'ARTICLE_ARCHIVED' });
    expect((await step(lead, 'returnArticleToDraft', created.id)).data?.returnArticleToDraft).toMatchObject({ status: 'DRAFT', version: 6 });

    const { article } = await lead.ok<{ article: { versions: { edges: { node: { version: number; change: string; changedFields: string[]; status: string; editedBy: { displayName: string } } }[] } } }>(
      'query($id: ID!) { article(id: $id) { versions(first: 10) { edges { node { version change changedFields status editedBy { displayName } } } } } }',
      { id: created.id },
    );
    expect(article.versions.edges.map((e) => [e.node.version, e.node.change, e.node.status])).toEqual([
      [6, 'RETURNED_TO_DRAFT', 'DRAFT'],
      [5, 'ARCHIVED', 'ARCHIVED'],
      [4, 'UPDATED', 'PUBLISHED'],
      [3, 'PUBLISHED', 'PUBLISHED'],
      [2, 'SUBMITTED', 'IN_REVIEW'],
      [1, 'CREATED', 'DRAFT'],
    ]);
    expect(article.versions.edges[2].node.changedFields).toEqual(['title']);
    expect(article.versions.edges[5].node.changedFields).toEqual(expect.arrayContaining(['title', 'body', 'kind', 'spaceId', 'categoryId', 'tags']));
  });

  it('refuses workflow steps on articles the viewer cannot see, and unknown or malformed ids', async () => {
    const { articles } = await lead.ok<{ articles: { edges: { node: { id: string; classification: string; status: string } }[] } }>(
      '{ articles(first: 100) { edges { node { id classification status } } } }',
    );
    const confidential = articles.edges.find((e) => e.node.classification === 'CONFIDENTIAL' && e.node.status === 'PUBLISHED')!.node.id;
    expect((await step(editor, 'archiveArticle', confidential)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await step(admin, 'archiveArticle', Buffer.from('Article:00000000-0000-4000-8000-000000000000').toString('base64url'))).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await step(admin, 'archiveArticle', 'bad')).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await step(agent, 'submitArticleForReview', confidential)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('restores a version as a new version, and the search index follows', async () => {
    const { createArticle: a } = await lead.ok<{ createArticle: Article }>(`mutation { createArticle(input: { title: "Chargeback handling alphaword", body: "Original body." }) { ${FIELDS} } }`);
    await lead.ok(`mutation($i: UpdateArticleInput!) { updateArticle(input: $i) { id } }`, { i: { id: a.id, title: 'Chargeback handling betaword', body: 'Second body.', tags: ['chargeback'] } });
    expect(await hits(lead, 'alphaword')).toBe(0);
    const { article } = await lead.ok<{ article: { versions: { edges: { node: { id: string; version: number; title: string } }[] } } }>(
      'query($id: ID!) { article(id: $id) { versions { edges { node { id version title } } } } }',
      { id: a.id },
    );
    const v1 = article.versions.edges.find((e) => e.node.version === 1)!.node;
    const { restoreArticleVersion: restored } = await lead.ok<{ restoreArticleVersion: Article & { body: string; tags: { name: string }[]; latestVersion: { change: string; restoredFrom: number; changedFields: string[] } } }>(
      `mutation($id: ID!) { restoreArticleVersion(id: $id) { ${FIELDS} body tags { name } latestVersion { change restoredFrom changedFields } } }`,
      { id: v1.id },
    );
    expect(restored).toMatchObject({ title: 'Chargeback handling alphaword', body: 'Original body.', version: 3, tags: [], latestVersion: { change: 'RESTORED', restoredFrom: 1 } });
    expect(restored.latestVersion.changedFields.sort()).toEqual(['body', 'tags', 'title']);
    expect(await hits(lead, 'alphaword')).toBe(1);
    expect(await hits(lead, 'betaword')).toBe(0);
    // Versions are for writers; a reader gets FORBIDDEN on the field and null from node().
    expect((await agent.request('query($id: ID!) { node(id: $id) { id } }', { id: v1.id })).data).toEqual({ node: null });
    expect((await agent.request('{ articles(first: 1) { edges { node { versions { edges { node { id } } } } } } }')).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await lead.request('mutation { restoreArticleVersion(id: "bad") { id } }')).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('hides versions above the viewer\'s clearance even when the article is now below it', async () => {
    const { createArticle: a } = await lead.ok<{ createArticle: Article }>(
      `mutation { createArticle(input: { title: "Declassified runbook", body: "Secret first draft.", classification: CONFIDENTIAL }) { ${FIELDS} } }`,
    );
    await lead.ok(`mutation($i: UpdateArticleInput!) { updateArticle(input: $i) { id } }`, { i: { id: a.id, classification: 'INTERNAL', body: 'Cleaned body.' } });
    // body is left out: a CONFIDENTIAL version's body needs a fresh second factor like the article's.
    const q = 'query($id: ID!) { article(id: $id) { classification versions { edges { node { id version classification } } } } }';
    const seen = (await editor.ok<{ article: { versions: { edges: { node: { id: string; version: number } }[] } } }>(q, { id: a.id })).article;
    expect(seen.versions.edges.map((e) => e.node.version)).toEqual([2]);
    const all = (await lead.ok<{ article: { versions: { edges: { node: { id: string; version: number } }[] } } }>(q, { id: a.id })).article;
    expect(all.versions.edges.map((e) => e.node.version)).toEqual([2, 1]);
    const v1 = all.versions.edges[1].node.id;
    expect((await editor.request('mutation($id: ID!) { restoreArticleVersion(id: $id) { id } }', { id: v1 })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await editor.request('query($id: ID!) { node(id: $id) { id } }', { id: v1 })).data).toEqual({ node: null });
  });

  it('audits each step, refusals included, and writes versions only for steps that happened', async () => {
    const rows = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ action: string; outcome: string; detail: Record<string, unknown> }>(tx, sql`select action, outcome, detail from audit_events where action like 'article.%' order by seq`),
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'article.publish', outcome: 'ALLOWED', detail: { from: 'IN_REVIEW', to: 'PUBLISHED', version: 3 } }),
        expect.objectContaining({ action: 'article.publish', outcome: 'FAILED', detail: { code: 'BAD_USER_INPUT' } }),
        expect.objectContaining({ action: 'article.restore', outcome: 'ALLOWED' }),
      ]),
    );
  });
});
