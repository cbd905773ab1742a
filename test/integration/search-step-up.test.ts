import { createTestServer, type TestServer } from '../testkit/server';
import type { GraphQLClient } from '../testkit/client';
import { totpCode } from '../testkit/totp';

/**
 * A search snippet is derived from the article's body and gets the body's decision, step-up included:
 * before a fresh second factor a CONFIDENTIAL hit has no snippet (MFA_REQUIRED, like its body), and it
 * matches, ranks and counts on its title and tags only, so a query cannot probe the body's words.
 */
const SEARCH = `query($q: String!) { searchArticles(query: $q, first: 20) {
  totalCount edges { snippet node { title classification body } }
  facets { classifications { classification count } } } }`;

type Result = { totalCount: number; edges: { snippet: string | null; node: { title: string; classification: string; body: string | null } }[]; facets: { classifications: { classification: string; count: number }[] } };

describe('search snippets and matches follow the body\'s step-up', () => {
  let server: TestServer;
  let lead: GraphQLClient;
  let agent: GraphQLClient;
  beforeAll(async () => {
    server = await createTestServer();
    [lead, agent] = await Promise.all([server.as('lead'), server.as('agent')]);
  });
  afterAll(() => server.stop());

  const search = (client: GraphQLClient, q: string) => client.request<{ searchArticles: Result }>(SEARCH, { q });

  it('gives the CONFIDENTIAL refund-dispute hit no snippet before step-up: MFA_REQUIRED on snippet and body alike', async () => {
    const r = await search(lead, '退款');
    const edges = r.data!.searchArticles.edges;
    const i = edges.findIndex((e) => e.node.title === '解决方案：重复扣款的退款争议');
    expect(i).toBeGreaterThanOrEqual(0);
    expect(edges[i]).toEqual({ snippet: null, node: { title: '解决方案：重复扣款的退款争议', classification: 'CONFIDENTIAL', body: null } });
    const codes = (r.errors ?? []).filter((e) => e.path?.[2] === i).map((e) => [e.path?.slice(3).join('.'), e.extensions?.code]).sort();
    expect(codes).toEqual([['node.body', 'MFA_REQUIRED'], ['snippet', 'MFA_REQUIRED']]);
    // Lower tiers keep their snippets.
    expect(edges.find((e) => e.node.title === '退款到账时间说明')!.snippet).toContain('<mark>退款</mark>');
  });

  it('does not match a CONFIDENTIAL article on words only its body has, in hits, totalCount or facets', async () => {
    // "discount" is only in the body of the CONFIDENTIAL "Pricing floor for renewals".
    const before = (await search(lead, 'discount')).data!.searchArticles;
    expect(before.totalCount).toBe(0);
    expect(before.edges).toEqual([]);
    expect(before.facets.classifications).toEqual([]);
    // Its title still finds it, without a snippet.
    const byTitle = await search(lead, 'pricing floor');
    expect(byTitle.data!.searchArticles.edges.map((e) => [e.node.title, e.snippet])).toEqual([['Pricing floor for renewals', null]]);
    expect(byTitle.data!.searchArticles.totalCount).toBe(1);
  });

  it('after a second factor, matches the body and shows the snippet', async () => {
    const { enrollTotp } = await lead.ok<{ enrollTotp: { secret: string } }>('mutation { enrollTotp { secret } }');
    await lead.ok('mutation($c: String!) { confirmTotp(code: $c) { recoveryCodes } }', { c: await totpCode(enrollTotp.secret) });
    const after = await search(lead, 'discount');
    expect(after.errors).toBeUndefined();
    expect(after.data!.searchArticles.totalCount).toBe(1);
    expect(after.data!.searchArticles.edges[0].snippet).toContain('<mark>discount</mark>');
    const refunds = await search(lead, '退款');
    expect(refunds.errors).toBeUndefined();
    expect(refunds.data!.searchArticles.edges.find((e) => e.node.title === '解决方案：重复扣款的退款争议')!.snippet).toContain('<mark>退款</mark>');
  });

  it('changes nothing for viewers who never see CONFIDENTIAL articles', async () => {
    const r = await search(agent, '退款');
    expect(r.errors).toBeUndefined();
    expect(r.data!.searchArticles.edges.every((e) => e.snippet !== null)).toBe(true);
  });
});
