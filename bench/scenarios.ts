import { sql } from 'drizzle-orm';
import type { Db } from '../src/db/client';
import { queryRows } from '../src/db/rows';
import { withTenantTx } from '../src/db/tenant-tx';
import { toGlobalId } from '../src/lib/global-id';
import type { ArmServer } from './servers';

/** One side of a comparison: which server, as whom, sending which requests (the i-th request's body). */
export type ArmSpec = { label: string; server: ArmServer; user: string; body: (i: number) => string };

export type BenchContext = { db: Db; tenantId: string; slug: string };

export type Scenario = {
  id: string;
  title: string;
  /** Prepare data and return the two arms, measured A B A B. */
  arms(ctx: BenchContext): Promise<[ArmSpec, ArmSpec]>;
  /** Checks after the measured rounds (S4: audit rows against committed mutations). */
  after?(ctx: BenchContext, since: Date): Promise<Record<string, unknown>>;
};

const gql = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });
const rows = <T>(ctx: BenchContext, q: ReturnType<typeof sql>) => withTenantTx(ctx.db, ctx.tenantId, (tx) => queryRows<T>(tx, q));
const userId = async (ctx: BenchContext, local: string) =>
  (await rows<{ id: string }>(ctx, sql`select id::text as id from users where email = ${`${local}@${ctx.slug}.test`}`))[0].id;

const S1_QUERY = '{ articles(first: 50) { edges { node { id title kind classification status author { displayName } } } } }';

const S2_QUERY = `{ customers(first: 100) { edges { node {
  id name company tier phone email idNumber address team { name } } } } }`;

const s3Query = (n: number) => `{ categories(first: 3) { edges { node { name articles(first: ${n}) { edges { node {
  title author { displayName } tags { name } latestVersion { version change } } } } } } } }`;

const SEARCH = 'query($q: String!) { searchArticles(query: $q, first: 20) { totalCount edges { snippet node { id title } } } }';
const SEARCH_TERMS = ['退款', 'refund', '发票', 'invoice', '登录', 'login', '物流 延迟', 'shipping delays'];

/** Ensure `local` holds exactly `n` live ARTICLE_READ grants on articles above their PUBLIC clearance. */
async function grantArticles(ctx: BenchContext, local: string, n: number) {
  const [viewer, admin] = [await userId(ctx, local), await userId(ctx, 'admin')];
  await rows(ctx, sql`update access_grants set revoked_at = now(), revoked_by = ${admin}, revoke_reason = 'benchmark reset'
    where user_id = ${viewer} and revoked_at is null`);
  await rows(ctx, sql`
    insert into access_grants (tenant_id, user_id, resource_type, resource_id, permission, reason, granted_by, expires_at)
    select tenant_id, ${viewer}::uuid, 'Article', id, 'ARTICLE_READ', 'benchmark S5', ${admin}::uuid, now() + interval '1 day'
    from articles where classification = 'INTERNAL' and status = 'PUBLISHED' order by id limit ${n}`);
}

export const SCENARIOS: Scenario[] = [
  {
    id: 'S1',
    title: 'articles(first: 50), five fields and author, as agent',
    arms: async () => [
      { label: 'authorized', server: 'authorized', user: 'agent', body: () => gql(S1_QUERY) },
      { label: 'unrestricted', server: 'unrestricted', user: 'agent', body: () => gql(S1_QUERY) },
    ],
  },
  {
    id: 'S2',
    title: 'customers(first: 100) with four sensitive fields and team (Customer has no tickets field; owner left out to stay under the default cost limit)',
    arms: async () => [
      { label: 'lead (full PII)', server: 'authorized', user: 'lead', body: () => gql(S2_QUERY) },
      { label: 'agent (masked PII)', server: 'authorized', user: 'agent', body: () => gql(S2_QUERY) },
    ],
  },
  {
    id: 'S3',
    title: 'categories(first: 3) → articles(first: N vs 2N) → author, tags, latestVersion, as lead (N doubled inside the default cost limit)',
    arms: async () => [
      { label: 'articles(first: 4)', server: 'authorized', user: 'lead', body: () => gql(s3Query(4)) },
      { label: 'articles(first: 8)', server: 'authorized', user: 'lead', body: () => gql(s3Query(8)) },
    ],
  },
  {
    id: 'S4',
    title: 'updateArticle (audited mutation), as lead, rotating over the team’s INTERNAL drafts',
    arms: async (ctx) => {
      const ids = (await rows<{ id: string }>(ctx, sql`
        select a.id::text as id from articles a join teams t on t.id = a.owner_team_id
        where t.name = 'Support East' and a.classification = 'INTERNAL' and a.status = 'DRAFT' order by a.id limit 500`)).map((r) => toGlobalId('Article', r.id));
      if (ids.length === 0) throw new Error('S4: the dataset has no INTERNAL articles of Support East');
      const update = 'mutation($i: UpdateArticleInput!) { updateArticle(input: $i) { id version } }';
      // A title never sent before (one counter over every run), so each committed update writes a version.
      let edit = 0;
      const body = (offset: number) => (i: number) => gql(update, { i: { id: ids[(i + offset) % ids.length], title: `基准测试编辑 benchmark edit ${process.pid}-${++edit}` } });
      // Each arm rotates through the articles from its own offset, so concurrent edits rarely meet.
      return [
        { label: 'authorized', server: 'authorized', user: 'lead', body: body(0) },
        { label: 'unrestricted', server: 'unrestricted', user: 'lead', body: body(Math.floor(ids.length / 2)) },
      ];
    },
    async after(ctx, since) {
      const [r] = await rows<{ audit: number; versions: number }>(ctx, sql`
        select (select count(*)::int from audit_events where action = 'article.update' and outcome = 'ALLOWED' and occurred_at >= ${since.toISOString()}::timestamptz) as audit,
               (select count(*)::int from article_versions where change = 'UPDATED' and created_at >= ${since.toISOString()}::timestamptz) as versions`);
      return { allowedAuditRows: Number(r.audit), versionsWritten: Number(r.versions), auditMatchesVersions: Number(r.audit) === Number(r.versions) };
    },
  },
  {
    id: 'S5',
    title: 'S1 as a new hire (PUBLIC clearance) holding 500 grants vs 1 grant',
    arms: async (ctx) => {
      await grantArticles(ctx, 'viewer', 500);
      await grantArticles(ctx, 'viewer2', 1);
      return [
        { label: '500 grants', server: 'authorized', user: 'viewer', body: () => gql(S1_QUERY) },
        { label: '1 grant', server: 'authorized', user: 'viewer2', body: () => gql(S1_QUERY) },
      ];
    },
  },
  {
    id: 'S7',
    title: 'searchArticles, Chinese and English terms in turn, first: 20',
    arms: async () => [
      { label: 'agent', server: 'authorized', user: 'agent', body: (i) => gql(SEARCH, { q: SEARCH_TERMS[i % SEARCH_TERMS.length] }) },
      { label: 'lead', server: 'authorized', user: 'lead', body: (i) => gql(SEARCH, { q: SEARCH_TERMS[i % SEARCH_TERMS.length] }) },
    ],
  },
];
