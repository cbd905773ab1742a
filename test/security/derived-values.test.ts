import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/rows';
import { withTenantTx } from '../../src/db/tenant-tx';
import { toGlobalId } from '../../src/lib/global-id';
import type { GraphQLClient } from '../testkit/client';
import { buildWorld, setUpViewer, type ViewerSpec, type World } from '../testkit/policy-world';
import { MODEL_MASKS, type AssignmentM } from '../testkit/policy-model';
import { Rng } from '../testkit/prng';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * Values derived from a record (a search snippet, a contact's phone, a lookup that confirms a number, a
 * draft in a list) get the same decision as the record's own fields. Each case here is one the
 * differential test found, pinned as a named regression.
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('derived values follow the record they come from', () => {
  let server: TestServer;
  let world: World;
  beforeAll(async () => {
    server = await createTestServer();
    world = await buildWorld(server, Rng.of(7, -1));
  }, 120_000);
  afterAll(() => server.stop());

  const later = () => new Date(Date.now() + 3_600_000);
  const viewer = async (assignments: AssignmentM[], grants: ViewerSpec['grants'] = []): Promise<GraphQLClient> =>
    (await setUpViewer(world, { persona: 0, assignments, grants, steppedUp: false })).client;
  const codeAt = (r: { errors?: { path?: (string | number)[]; extensions?: Record<string, unknown> }[] }, path: (string | number)[]) =>
    r.errors?.find((e) => JSON.stringify(e.path) === JSON.stringify(path))?.extensions?.code;
  const gid = (type: string, id: string) => toGlobalId(type, id);
  const raw = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];

  it('search snippet does not bypass step-up: the lead without a fresh factor gets null with MFA_REQUIRED for the CONFIDENTIAL refund dispute', async () => {
    const lead = await server.as('lead');
    const r = await lead.request<Json>('{ searchArticles(query: "退款", first: 20) { edges { snippet node { title classification } } } }');
    expect(r.data?.searchArticles).toBeTruthy();
    const edges: Json[] = r.data!.searchArticles.edges;
    const i = edges.findIndex((e) => e.node.title === '解决方案：重复扣款的退款争议');
    expect(i).toBeGreaterThanOrEqual(0);
    expect(edges[i].node.classification).toBe('CONFIDENTIAL');
    expect(edges[i].snippet).toBeNull();
    expect(codeAt(r, ['searchArticles', 'edges', i, 'snippet'])).toBe('MFA_REQUIRED');
    // Below CONFIDENTIAL the snippet needs no second factor.
    for (const e of edges.filter((x) => x.node.classification === 'PUBLIC' || x.node.classification === 'INTERNAL')) expect(e.snippet).toEqual(expect.any(String));
  });

  const team0 = () => world.teams[0];
  const withContacts = (inTeam0: boolean) => world.customers.filter((c) => c.contacts.length && (c.teamId === team0()) === inTeam0);
  const CONTACTS = '{ customers(first: 50) { edges { node { id contacts { id phone email } } } } }';

  it.each([
    ['masked', true],
    ['refused', false],
  ])("contact PII follows the customer's scope: full only in the team of the full-PII role, other teams' contacts %s", async (_, maskedTenantWide) => {
    expect(withContacts(true).length).toBeGreaterThan(0);
    expect(withContacts(false).length).toBeGreaterThan(0);
    const client = await viewer([
      { permissions: ['CUSTOMER_READ', ...(maskedTenantWide ? (['PII_READ_MASKED'] as const) : [])], clearance: 'PUBLIC', scope: { type: 'TENANT' } },
      { permissions: ['PII_READ_FULL'], clearance: 'PUBLIC', scope: { type: 'TEAM', teamId: team0() } },
    ]);
    const r = await client.request<Json>(CONTACTS);
    const edges: Json[] = r.data!.customers.edges;
    for (const [i, e] of edges.entries()) {
      const c = world.customers.find((x) => x.id === raw(e.node.id))!;
      for (const [j, k] of (e.node.contacts as Json[]).entries()) {
        const m = c.contacts.find((x) => x.id === raw(k.id))!;
        const path = ['customers', 'edges', i, 'node', 'contacts', j, 'phone'];
        if (c.teamId === team0()) expect([k.phone, codeAt(r, path)]).toEqual([m.phone, undefined]);
        else if (maskedTenantWide) expect([k.phone, codeAt(r, path)]).toEqual([MODEL_MASKS.phone(m.phone), undefined]);
        else expect([k.phone, codeAt(r, path)]).toEqual([null, 'FORBIDDEN']);
      }
    }
  });

  it('customerByContact does not confirm a number the viewer sees masked', async () => {
    const outside = world.customers.find((c) => c.teamId !== team0())!;
    const client = await viewer([
      { permissions: ['CUSTOMER_READ', 'PII_READ_MASKED'], clearance: 'PUBLIC', scope: { type: 'TENANT' } },
      { permissions: ['PII_READ_FULL'], clearance: 'PUBLIC', scope: { type: 'TEAM', teamId: team0() } },
    ]);
    const seen = await client.ok<Json>('query($id: ID!) { customer(id: $id) { phone } }', { id: gid('Customer', outside.id) });
    expect(seen.customer.phone).toBe(MODEL_MASKS.phone(outside.phone));
    const r = await client.request<Json>('query($p: String!) { customerByContact(phone: $p) { id } }', { p: outside.phone });
    expect(r.errors).toBeUndefined();
    const found = (r.data!.customerByContact as Json[]).map((x) => raw(x.id)).sort();
    const matches = world.customers.filter((c) => c.phone === outside.phone || c.contacts.some((k) => k.phone === outside.phone));
    expect(found).toEqual(matches.filter((c) => c.teamId === team0()).map((c) => c.id).sort());
    expect(found).not.toContain(outside.id);
  });

  const drafts = () => world.articles.filter((a) => a.status === 'DRAFT' && a.classification !== 'RESTRICTED');
  const listed = async (client: GraphQLClient) => {
    const ids: string[] = [];
    let after: string | undefined;
    do {
      const { articles } = await client.ok<Json>('query($after: String) { articles(first: 50, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }', { after });
      ids.push(...articles.edges.map((e: Json) => raw(e.node.id)));
      after = articles.pageInfo.hasNextPage ? articles.pageInfo.endCursor : undefined;
    } while (after);
    return ids;
  };

  it('shows drafts to a viewer with ARTICLE_READ from one role and ARTICLE_WRITE from another, and a draft with a WRITE grant on it', async () => {
    const twoRoles = await viewer([
      { permissions: ['ARTICLE_READ'], clearance: 'CONFIDENTIAL', scope: { type: 'TENANT' } },
      { permissions: ['ARTICLE_WRITE'], clearance: 'CONFIDENTIAL', scope: { type: 'TENANT' } },
    ]);
    expect(await listed(twoRoles)).toEqual(expect.arrayContaining(drafts().map((a) => a.id)));

    const [draft, other] = drafts();
    const granted = await viewer([{ permissions: ['ARTICLE_READ'], clearance: 'CONFIDENTIAL', scope: { type: 'TENANT' } }], [
      { permission: 'ARTICLE_WRITE', resourceId: draft.id, expiresAt: later() },
    ]);
    const ids = await listed(granted);
    expect(ids).toContain(draft.id);
    expect(ids).not.toContain(other.id);
    expect((await granted.ok<Json>('query($id: ID!) { article(id: $id) { id } }', { id: gid('Article', draft.id) })).article?.id).toBe(gid('Article', draft.id));
  });

  it('does not show a draft to a viewer whose only right on it is an ARTICLE_READ grant', async () => {
    const [draft] = drafts();
    const client = await viewer([{ permissions: ['ARTICLE_READ'], clearance: 'CONFIDENTIAL', scope: { type: 'TENANT' } }], [
      { permission: 'ARTICLE_READ', resourceId: draft.id, expiresAt: later() },
    ]);
    expect(await listed(client)).not.toContain(draft.id);
    const r = await client.request<Json>('query($id: ID!) { article(id: $id) { id } node(id: $id) { id } }', { id: gid('Article', draft.id) });
    expect(r.data).toEqual({ article: null, node: null });
    // The grant is live: the refusal comes from the status rule, not from an expired or missing grant.
    const [grant] = await withTenantTx(server.database.db, world.tenantId, (tx) =>
      queryRows<{ n: number }>(tx, sql`select count(*)::int as n from access_grants where resource_id = ${draft.id} and revoked_at is null and expires_at > now()`),
    );
    expect(Number(grant.n)).toBe(1);
  });
});
