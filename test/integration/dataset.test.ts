import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { DATASET_PASSWORD, generateDataset } from '../../src/db/seed/dataset/generate';
import { SIZES } from '../../src/db/seed/dataset/sizes';
import { isValidIdNumber } from '../../src/lib/id-number';
import { createTestServer, testMasterKeys, type TestServer } from '../testkit/server';

/** Start-up hashes passwords with argon2: generous on a busy machine. */
const SETUP_TIMEOUT = 180_000;
const XS = SIZES.XS;

describe('dataset generator (npm run seed): counts, determinism, data the API can use', () => {
  let server: TestServer;
  const tenants: Record<string, string> = {};
  beforeAll(async () => {
    server = await createTestServer();
    for (const [slug, seed] of [['gen-a', 7], ['gen-b', 7], ['gen-c', 8]] as const) {
      tenants[slug] = (await generateDataset(server.database.db, testMasterKeys(), { size: 'XS', seed, slug })).tenantId;
    }
  }, SETUP_TIMEOUT);
  afterAll(() => server.stop());

  const rows = <T>(slug: string, query: ReturnType<typeof sql>) => withTenantTx(server.database.db, tenants[slug], (tx) => queryRows<T>(tx, query));
  const count = async (slug: string, table: string) => Number((await rows<{ n: number }>(slug, sql`select count(*)::int as n from ${sql.identifier(table)}`))[0].n);
  const titles = async (slug: string) => (await rows<{ title: string }>(slug, sql`select title from articles order by title`)).map((r) => r.title);

  it('writes the counts of its size, every article searchable with version 1 and tags', async () => {
    expect(await count('gen-a', 'users')).toBe(XS.users);
    expect(await count('gen-a', 'teams')).toBe(XS.teams);
    expect(await count('gen-a', 'spaces')).toBe(XS.spaces);
    expect(await count('gen-a', 'categories')).toBe(XS.spaces * XS.categoriesPerSpace);
    expect(await count('gen-a', 'articles')).toBe(XS.articles);
    expect(await count('gen-a', 'customers')).toBe(XS.customers);
    expect(await count('gen-a', 'tickets')).toBe(XS.tickets);
    expect(await count('gen-a', 'article_versions')).toBe(XS.articles);
    const [a] = await rows<{ vectors: number; tagged: number; plain: number }>('gen-a', sql`
      select count(*) filter (where search_vector is not null and search_body is not null)::int as vectors,
             count(*) filter (where exists (select 1 from article_tags t where t.article_id = articles.id))::int as tagged,
             (select count(*)::int from customers where phone is not null or email is not null) as plain
      from articles`);
    expect(a).toEqual({ vectors: XS.articles, tagged: XS.articles, plain: 0 });
  });

  it('is deterministic: the same seed gives the same titles, customer names and ticket subjects; another seed does not', async () => {
    expect(await titles('gen-b')).toEqual(await titles('gen-a'));
    const names = (slug: string) => rows<{ name: string }>(slug, sql`select name from customers order by name`);
    expect(await names('gen-b')).toEqual(await names('gen-a'));
    const subjects = (slug: string) => rows<{ s: string }>(slug, sql`select subject || status || priority as s from tickets order by 1`);
    expect(await subjects('gen-b')).toEqual(await subjects('gen-a'));
    expect(await titles('gen-c')).not.toEqual(await titles('gen-a'));
  });

  it('gives users who can log in, search in Chinese and read sealed customer data through the API', async () => {
    const lead = await server.client().login('lead@gen-a.test', DATASET_PASSWORD, 'gen-a');
    const hits = await lead.ok<{ searchArticles: { totalCount: number } }>('{ searchArticles(query: "退款") { totalCount } }');
    const [mention] = await rows<{ n: number }>('gen-a', sql`
      select count(*)::int as n from articles a where a.title like '%退款%' or a.body like '%退款%'
        or exists (select 1 from article_tags x join tags t on t.id = x.tag_id where x.article_id = a.id and t.name = '退款')`);
    expect(hits.searchArticles.totalCount).toBeGreaterThan(0);
    expect(hits.searchArticles.totalCount).toBeLessThanOrEqual(Number(mention.n));
    // The lead reads personal data in full: mobiles and ID numbers decrypt and are in valid formats.
    const page = await lead.ok<{ customers: { edges: { node: { phone: string; idNumber: string | null } }[] } }>('{ customers(first: 40) { edges { node { phone idNumber } } } }');
    const nodes = page.customers.edges.map((e) => e.node);
    expect(nodes.length).toBeGreaterThan(0);
    for (const node of nodes) expect(node.phone).toMatch(/^1[3-9]\d{9}$/);
    const ids = nodes.map((n) => n.idNumber).filter((v): v is string => v !== null);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(isValidIdNumber(id)).toBe(true);
  });

  it('refuses an unknown size', async () => {
    await expect(generateDataset(server.database.db, testMasterKeys(), { size: 'XXL' as never, slug: 'gen-bad' })).rejects.toThrow('Unknown dataset size "XXL"');
    const tenants = await withTenantTx(server.database.db, null, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from tenants where slug = 'gen-bad'`));
    expect(Number(tenants[0].n)).toBe(0);
  });
});
