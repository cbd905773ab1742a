import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { idOf } from '../../src/lib/global-id';
import { createTestServer, type TestServer } from '../testkit/server';

type Page = { articles: { edges: { node: { id: string; title: string; classification: string; internalNotes: string | null; author: { displayName: string } | null } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
const PAGE = 'query($first: Int, $after: String) { articles(first: $first, after: $after) { edges { node { id title classification author { displayName } } } pageInfo { hasNextPage endCursor } } }';

describe('articles: clearance filtering in SQL, audited mutations, statement counts', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
  });
  afterAll(() => server.stop());

  const audit = (action: string) =>
    withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ outcome: string; detail: Record<string, unknown>; ids: string[] }>(tx, sql`select outcome, detail, resource_ids::text[] as ids from audit_events where action = ${action} order by seq`),
    );

  it.each([
    ['sales', ['PUBLIC']],
    ['agent', ['INTERNAL', 'PUBLIC']],
    ['lead', ['CONFIDENTIAL', 'INTERNAL', 'PUBLIC']],
  ])('lists only the classifications %s is cleared for (never RESTRICTED without a grant)', async (user, allowed) => {
    const client = await server.as(user);
    const { articles } = await client.ok<Page>(PAGE, { first: 100 });
    expect([...new Set(articles.edges.map((e) => e.node.classification))].sort()).toEqual(allowed);
  });

  it('pages with opaque cursors without gaps or repeats', async () => {
    const lead = await server.as('lead');
    const all = (await lead.ok<Page>(PAGE, { first: 100 })).articles.edges.map((e) => e.node.id);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Page = await lead.ok<Page>(PAGE, { first: 2, after });
      seen.push(...page.articles.edges.map((e) => e.node.id));
      if (!page.articles.pageInfo.hasNextPage) break;
      after = page.articles.pageInfo.endCursor;
    }
    expect(seen).toEqual(all);
  });

  it('refuses a page size above the maximum and a malformed cursor with BAD_USER_INPUT', async () => {
    const lead = await server.as('lead');
    expect((await lead.request(PAGE, { first: 101 })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await lead.request(PAGE, { after: 'bm90LWEtY3Vyc29y' })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('gives a list the same texts as the article read alone (a list loads bodies only when asked, for the whole page at once)', async () => {
    type Texts = { id: string; body: string | null; internalNotes: string | null };
    const TEXTS = 'query($first: Int) { articles(first: $first) { edges { node { id body internalNotes } } } }';
    const ONE = 'query($id: ID!) { article(id: $id) { id body internalNotes } }';
    const DB = 'select id::text as id, body, internal_notes as "internalNotes" from articles';
    const stored = new Map((await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<Texts>(tx, sql.raw(DB)))).map((r) => [r.id, r]));
    let notesShown = 0;
    for (const user of ['agent', 'lead']) {
      const client = await server.as(user);
      const listed = await client.request<{ articles: { edges: { node: Texts }[] } }>(TEXTS, { first: 100 });
      const nodes = listed.data!.articles.edges.map((e) => e.node);
      expect(nodes.length).toBeGreaterThan(3);
      for (const node of nodes) {
        const alone = await client.request<{ article: Texts }>(ONE, { id: node.id });
        expect(node).toEqual(alone.data!.article);
        // What is shown is what is stored: a list's row without the texts never shows as an empty or missing text.
        const row = stored.get(idOf(node.id, 'Article'))!;
        if (node.body !== null) expect(node.body).toBe(row.body);
        if (node.internalNotes !== null) expect(node.internalNotes).toBe(row.internalNotes);
        if (node.internalNotes !== null) notesShown++;
      }
      expect(nodes.some((n) => n.body !== null && n.body.length > 0)).toBe(true);
      const BODIES = 'query($first: Int) { articles(first: $first) { edges { node { id body } } } }';
      const withTexts = (await client.request(BODIES, { first: 3 })).extensions?.counters?.statements as number;
      const doubled = (await client.request(BODIES, { first: 6 })).extensions?.counters?.statements as number;
      const without = (await client.request('query($first: Int) { articles(first: $first) { edges { node { id title } } } }', { first: 3 })).extensions?.counters?.statements as number;
      expect(withTexts).toBeGreaterThan(without);
      // The page's bodies come in one statement whatever the page size (no statement per row). For the
      // agent only: a lead's larger page may hold a CONFIDENTIAL article, whose body is refused without a
      // fresh second factor, and the refusal is audited (one more statement, by design). Which articles
      // lead the list depends on the seeded timestamps, so that happened in some runs and not others.
      if (user === 'agent') expect(doubled).toBe(withTexts);
    }
    expect(notesShown).toBeGreaterThan(0);
  });

  it('keeps SQL statements per request constant when the page size doubles', async () => {
    const lead = await server.as('lead');
    const small = await lead.request(PAGE, { first: 3 });
    const large = await lead.request(PAGE, { first: 6 });
    expect(small.extensions?.counters?.statements).toBeGreaterThan(0);
    expect(large.extensions?.counters?.statements).toBe(small.extensions?.counters?.statements);
    // Decisions that depend only on the viewer are made once per operation, not once per row.
    expect(large.extensions?.counters?.ruleEvaluations).toBe(small.extensions?.counters?.ruleEvaluations);
  });

  it('hides internal notes from viewers without the permission, and records the refusal', async () => {
    const agent = await server.as('agent');
    const r = await agent.request<Page>('{ articles(first: 50) { edges { node { title internalNotes } } } }');
    expect(r.data?.articles.edges.length).toBeGreaterThan(0);
    expect(r.data?.articles.edges.every((e) => e.node.internalNotes === null)).toBe(true);
    expect(r.errors?.every((e) => e.extensions?.code === 'FORBIDDEN' && e.path?.at(-1) === 'internalNotes')).toBe(true);
    const lead = await server.as('lead');
    // Notes of CONFIDENTIAL articles also need a fresh second factor (step-up; test/integration/mfa.test.ts).
    const notes = await lead.request<Page>('{ articles(first: 50) { edges { node { title classification internalNotes } } } }');
    expect(notes.data?.articles.edges.some((e) => e.node.classification === 'INTERNAL' && e.node.internalNotes)).toBe(true);
    const edges = notes.data!.articles.edges;
    expect(notes.errors?.length).toBeGreaterThan(0);
    for (const e of notes.errors!) {
      expect(e.extensions?.code).toBe('MFA_REQUIRED');
      expect(edges[e.path![2] as number].node.classification).toBe('CONFIDENTIAL');
    }
  });

  it('creates and updates an article, each with its audit event', async () => {
    const lead = await server.as('lead');
    const created = await lead.ok<{ createArticle: { id: string; title: string; classification: string } }>(
      'mutation($i: CreateArticleInput!) { createArticle(input: $i) { id title classification } }',
      { i: { title: '  退款到账时间说明  ', body: '原路退回，1-7个工作日。', classification: 'INTERNAL' } },
    );
    expect(created.createArticle).toMatchObject({ title: '退款到账时间说明', classification: 'INTERNAL' });
    const updated = await lead.ok<{ updateArticle: { title: string } }>('mutation($i: UpdateArticleInput!) { updateArticle(input: $i) { title } }', {
      i: { id: created.createArticle.id, title: '退款到账时间（更新）' },
    });
    expect(updated.updateArticle.title).toBe('退款到账时间（更新）');
    expect(await audit('article.create')).toEqual([expect.objectContaining({ outcome: 'ALLOWED', detail: { classification: 'INTERNAL', version: 1 } })]);
    expect(await audit('article.update')).toEqual([expect.objectContaining({ outcome: 'ALLOWED', detail: { fields: ['title'] } })]);
  });

  it('refuses what the viewer may not do, writes nothing, and audits the attempt', async () => {
    const count = async () =>
      Number((await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from articles`)))[0].n);
    const before = await count();
    const agent = await server.as('agent');
    const create = await agent.request('mutation { createArticle(input: { title: "x", body: "y" }) { id } }');
    expect(create.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const lead = await server.as('lead');
    const tooHigh = await lead.request('mutation { createArticle(input: { title: "x", body: "y", classification: RESTRICTED }) { id } }');
    expect(tooHigh.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const empty = await lead.request('mutation { createArticle(input: { title: "   ", body: "y" }) { id } }');
    expect(empty.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'title' });

    const { articles } = await lead.ok<Page>(PAGE, { first: 100 });
    const sales = await server.as('sales');
    const confidential = articles.edges.find((e) => e.node.classification === 'CONFIDENTIAL')!.node.id;
    const hidden = await sales.request('mutation($i: UpdateArticleInput!) { updateArticle(input: $i) { id } }', { i: { id: confidential, title: 'pwned' } });
    expect(hidden.errors?.[0].extensions?.code).toBe('FORBIDDEN'); // sales lacks ARTICLE_WRITE altogether
    const unseen = await lead.request('mutation($i: UpdateArticleInput!) { updateArticle(input: $i) { id } }', {
      i: { id: 'QXJ0aWNsZTowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA', title: 'x' },
    });
    expect(unseen.errors?.[0].extensions?.code).toBe('NOT_FOUND');

    expect(await count()).toBe(before);
    const failures = (await audit('article.create')).filter((e) => e.outcome !== 'ALLOWED');
    expect(failures.map((f) => f.detail.code).sort()).toEqual(['BAD_USER_INPUT', 'FORBIDDEN']);
    expect((await audit('article.update')).filter((e) => e.outcome === 'DENIED')).toHaveLength(1);
  });
});
