import { sql } from 'drizzle-orm';
import type { Db } from '../src/db/client';
import { queryRows } from '../src/db/rows';
import { withTenantTx } from '../src/db/tenant-tx';
import { toGlobalId } from '../src/lib/global-id';
import type { ArmServer } from './arms';

/** One side of a comparison: which server, as whom, sending which requests (the i-th request's body). */
export type ArmSpec = { label: string; server: ArmServer; user: string; body: (i: number) => string };

export type BenchContext = { db: Db; tenantId: string; slug: string };

/** An extra request measured once (not under load): its statements and rule evaluations. */
export type ProbeSpec = { label: string; server: ArmServer; user: string; body: string };

export type Scenario = {
  id: string;
  title: string;
  /** Prepare data and return the two arms, measured A B A B. */
  arms(ctx: BenchContext): Promise<[ArmSpec, ArmSpec]>;
  /**
   * The budget on arm A ÷ arm B: req/s at least `minThroughput`, p99 at most `maxP99`, CPU per request
   * (server + PostgreSQL) at most `maxCpuRatio`; per request of either arm at most `maxStatements`
   * statements and `maxRoundTrips` round trips at the wire; `sameStatements`: both counts equal in A and B.
   */
  budget?: { minThroughput?: number; maxP99?: number; maxCpuRatio?: number; maxStatements?: number; maxRoundTrips?: number; sameStatements?: boolean };
  /** Requests probed once each (statement and rule-evaluation counts reported). */
  probes?: ProbeSpec[];
  /** EXPLAIN ANALYZE the statements of one request of arm A (index into its bodies). */
  explain?: boolean;
  /** Checks after the measured rounds (S4: audit rows against committed mutations). */
  after?(ctx: BenchContext, since: Date): Promise<Record<string, unknown>>;
};

const gql = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });
const rows = <T>(ctx: BenchContext, q: ReturnType<typeof sql>) => withTenantTx(ctx.db, ctx.tenantId, (tx) => queryRows<T>(tx, q));
const userId = async (ctx: BenchContext, local: string) =>
  (await rows<{ id: string }>(ctx, sql`select id::text as id from users where email = ${`${local}@${ctx.slug}.test`}`))[0].id;

const S1_QUERY = '{ articles(first: 50) { edges { node { id title kind classification status author { displayName } } } } }';

const s2Query = (first: number) => `{ customers(first: ${first}) { edges { node {
  id name company tier phone email idNumber address team { name } tickets(first: 3) { edges { node { id subject status priority } } } } } } }`;

const s3Query = (categories: number, articles: number) => `{ categories(first: ${categories}) { edges { node { name articles(first: ${articles}) { edges { node {
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

/** Title markers of S4's two arms (neither contains the other). */
const S4_AUDITED = 'arm-A-audited';
const S4_UNAUDITED = 'arm-B-no-audit';

const s1 = (label: string, server: ArmServer, user = 'agent'): ArmSpec => ({ label, server, user, body: () => gql(S1_QUERY) });
const s3 = (label: string, server: ArmServer, c = 3, a = 4): ArmSpec => ({ label, server, user: 'lead', body: () => gql(s3Query(c, a)) });

export const SCENARIOS: Scenario[] = [
  {
    id: 'S1',
    title: 'articles(first: 50), five fields and author, as agent: served schema vs without the authorization transform',
    arms: async () => [s1('authorized', 'authorized'), s1('unrestricted', 'unrestricted')],
    budget: { minThroughput: 0.9, maxP99: 1.15, maxCpuRatio: 1.1, maxRoundTrips: 4 },
  },
  {
    id: 'S2',
    title: 'customers(first: 100), four PII fields in full, team and tickets(first: 3), as lead: served vs unrestricted',
    arms: async () => [
      { label: 'authorized (full PII)', server: 'authorized', user: 'lead', body: () => gql(s2Query(100)) },
      { label: 'unrestricted', server: 'unrestricted', user: 'lead', body: () => gql(s2Query(100)) },
    ],
    budget: { minThroughput: 0.85, maxCpuRatio: 1.15 },
    probes: [
      { label: 'customers(first: 50)', server: 'authorized', user: 'lead', body: gql(s2Query(50)) },
      { label: 'customers(first: 100)', server: 'authorized', user: 'lead', body: gql(s2Query(100)) },
    ],
  },
  {
    id: 'S2a',
    title: 'S2 served with audit vs served with audit off: how much of the S2 gap is the audit write (and detection reading it)',
    arms: async () => [
      { label: 'authorized (audited)', server: 'authorized', user: 'lead', body: () => gql(s2Query(100)) },
      { label: 'audit off', server: 'no-audit', user: 'lead', body: () => gql(s2Query(100)) },
    ],
  },
  {
    id: 'S2m',
    title: 'S2 as agent: the four PII fields masked, served vs unrestricted (which returns them unmasked)',
    arms: async () => [
      { label: 'authorized (masked PII)', server: 'authorized', user: 'agent', body: () => gql(s2Query(100)) },
      { label: 'unrestricted', server: 'unrestricted', user: 'agent', body: () => gql(s2Query(100)) },
    ],
    budget: { minThroughput: 0.85 },
    probes: [
      { label: 'customers(first: 50)', server: 'authorized', user: 'agent', body: gql(s2Query(50)) },
      { label: 'customers(first: 100)', server: 'authorized', user: 'agent', body: gql(s2Query(100)) },
    ],
  },
  {
    id: 'S3',
    title: 'categories(first: N) → articles(first: M) → author, tags, latestVersion, as lead: N, M = 3, 4 vs every first doubled',
    arms: async () => [s3('categories 3 × articles 4', 'authorized'), s3('categories 6 × articles 8', 'authorized', 6, 8)],
    budget: { maxStatements: 6, maxRoundTrips: 6, sameStatements: true },
  },
  {
    id: 'S4',
    title: 'updateArticle (audited mutation), as lead, rotating over the team’s INTERNAL drafts: served vs audit off',
    arms: async (ctx) => {
      const ids = (await rows<{ id: string }>(ctx, sql`
        select a.id::text as id from articles a join teams t on t.id = a.owner_team_id
        where t.name = 'Support East' and a.classification = 'INTERNAL' and a.status = 'DRAFT' order by a.id limit 500`)).map((r) => toGlobalId('Article', r.id));
      if (ids.length === 0) throw new Error('S4: the dataset has no INTERNAL articles of Support East');
      const update = 'mutation($i: UpdateArticleInput!) { updateArticle(input: $i) { id version } }';
      // A title never sent before (one counter over every run), so each committed update writes a
      // version; the marker tells the audited arm's versions from the other's.
      let edit = 0;
      const body = (offset: number, marker: string) => (i: number) =>
        gql(update, { i: { id: ids[(i + offset) % ids.length], title: `基准测试编辑 benchmark edit ${marker} ${process.pid}-${++edit}` } });
      // Each arm rotates through the articles from its own offset, so concurrent edits rarely meet.
      return [
        { label: 'authorized (audited)', server: 'authorized', user: 'lead', body: body(0, S4_AUDITED) },
        { label: 'audit off', server: 'no-audit', user: 'lead', body: body(Math.floor(ids.length / 2), S4_UNAUDITED) },
      ];
    },
    budget: { minThroughput: 0.85 },
    async after(ctx, since) {
      const at = since.toISOString();
      const [r] = await rows<{ audit: number; versions: number; unaudited: number }>(ctx, sql`
        select (select count(*)::int from audit_events where action = 'article.update' and outcome = 'ALLOWED' and occurred_at >= ${at}::timestamptz) as audit,
               (select count(*)::int from article_versions where change = 'UPDATED' and created_at >= ${at}::timestamptz and title like ${`%${S4_AUDITED}%`}) as versions,
               (select count(*)::int from article_versions where change = 'UPDATED' and created_at >= ${at}::timestamptz and title like ${`%${S4_UNAUDITED}%`}) as unaudited`);
      return { auditRows: Number(r.audit), auditedVersions: Number(r.versions), versionsWithAuditOff: Number(r.unaudited), oneAuditRowPerMutation: Number(r.audit) === Number(r.versions) };
    },
  },
  {
    id: 'S5',
    title: 'S1 as a new hire (PUBLIC clearance) holding 500 grants vs 1 grant',
    arms: async (ctx) => {
      await grantArticles(ctx, 'viewer', 500);
      await grantArticles(ctx, 'viewer2', 1);
      return [s1('500 grants', 'authorized', 'viewer'), s1('1 grant', 'authorized', 'viewer2')];
    },
    budget: { minThroughput: 0.9 },
  },
  {
    id: 'S6a',
    title: 'S1 with row-level security on vs off (a copy of the database without policies)',
    arms: async () => [s1('RLS on', 'authorized'), s1('RLS off', 'no-rls')],
    budget: { minThroughput: 0.85 },
    explain: true,
  },
  {
    id: 'S6b',
    title: 'S3 with row-level security on vs off',
    arms: async () => [s3('RLS on', 'authorized'), s3('RLS off', 'no-rls')],
    budget: { minThroughput: 0.85 },
    explain: true,
  },
  {
    id: 'S7',
    title: 'searchArticles, Chinese and English terms in turn, first: 20: agent vs lead',
    arms: async () => [
      { label: 'agent', server: 'authorized', user: 'agent', body: (i) => gql(SEARCH, { q: SEARCH_TERMS[i % SEARCH_TERMS.length] }) },
      { label: 'lead', server: 'authorized', user: 'lead', body: (i) => gql(SEARCH, { q: SEARCH_TERMS[i % SEARCH_TERMS.length] }) },
    ],
    explain: true,
  },
];

