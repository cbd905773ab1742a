import { collect, type GraphQLClient, type GraphQLResponse } from '../testkit/client';
import { expectNoStackTrace, rawRequest } from '../testkit/http';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * Text PostgreSQL cannot store (U+0000, unpaired surrogates) and bodies that are not valid UTF-8 are
 * the client's error: 400 BAD_USER_INPUT / BAD_REQUEST on GraphQL, 400 with a scimType on SCIM; never
 * an internal error from a failed statement, never U+FFFD stored in place of the bytes sent.
 */
const NUL = '\u0000';
const LONE_SURROGATE = '\ud800';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let server: TestServer;
let lead: GraphQLClient;
let sales: GraphQLClient;
let agent: GraphQLClient;
let customerId: string;
let scimBase: string;
let scimToken: string;
beforeAll(async () => {
  server = await createTestServer();
  [lead, sales, agent] = await Promise.all([server.as('lead'), server.as('sales'), server.as('agent')]);
  customerId = (await agent.ok<{ customers: { edges: { node: { id: string } }[] } }>('{ customers(first: 1) { edges { node { id } } } }')).customers.edges[0].node.id;
  scimBase = server.url.replace(/\/graphql$/, '/scim/v2');
  const admin = await server.as('admin');
  scimToken = (await admin.ok<{ rotateScimToken: { token: string } }>('mutation { rotateScimToken { token } }')).rotateScimToken.token;
});
afterAll(() => server.stop());

const codes = (r: { errors?: { extensions?: Record<string, unknown> }[] }) => (r.errors ?? []).map((e) => e.extensions?.code);

function expectBadInput(r: GraphQLResponse) {
  expectNoStackTrace(r);
  expect(codes(r)).toEqual(['BAD_USER_INPUT']);
  expect(r.status).toBe(400);
  expect(r.data ?? null).toBeNull();
}

const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }';
const ARTICLE = 'mutation($i: CreateArticleInput!) { createArticle(input: $i) { id } }';
const CUSTOMER = 'mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }';
const TICKET = 'mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }';
const login = (tenant: string, email: string) => ({ i: { tenant, email, password: 'whatever-password' } });

describe('GraphQL over HTTP', () => {
  it.each([
    ['login tenant', () => server.client().request(LOGIN, login(`ac${NUL}me`, 'agent@acme.test'))],
    ['login e-mail', () => server.client().request(LOGIN, login('acme', `agent${NUL}@acme.test`))],
    ['login e-mail, unpaired surrogate', () => server.client().request(LOGIN, login('acme', `agent${LONE_SURROGATE}@acme.test`))],
    ['beginSso tenant', () => server.client().request('mutation($t: String!) { beginSso(tenant: $t, redirectUri: "http://localhost/cb") { authorizationUrl } }', { t: `acme${NUL}` })],
    ['createArticle title', () => lead.request(ARTICLE, { i: { title: `Refund${NUL}`, body: 'b' } })],
    ['createArticle body', () => lead.request(ARTICLE, { i: { title: 'Refund', body: `b${NUL}b` } })],
    ['createCustomer name', () => sales.request(CUSTOMER, { i: { name: `Li${NUL}Na` } })],
    ['createCustomer e-mail (sealed)', () => sales.request(CUSTOMER, { i: { name: 'Li Na', email: `li${NUL}@example.com` } })],
    ['createTicket subject', () => agent.request(TICKET, { i: { subject: `Broken${NUL}`, customerId } })],
  ])('refuses U+0000 in a variable: %s', async (_name, send) => {
    const r = await send();
    expectBadInput(r);
    expect(r.errors![0].message).toMatch(/U\+0000/);
  });

  it.each([
    ['login e-mail', (c: () => GraphQLClient) => c().request('mutation { login(input: { tenant: "acme", email: "agent\\u0000@acme.test", password: "x" }) { accessToken } }')],
    ['beginSso tenant', (c: () => GraphQLClient) => c().request('mutation { beginSso(tenant: "ac\\u0000me", redirectUri: "http://localhost/cb") { authorizationUrl } }')],
    ['createArticle title', () => lead.request('mutation { createArticle(input: { title: "Refund\\u0000", body: "b" }) { id } }')],
    ['createArticle title, a raw NUL in the document', () => lead.request(`mutation { createArticle(input: { title: "Refund${NUL}", body: "b" }) { id } }`)],
    ['createCustomer name', () => sales.request('mutation { createCustomer(input: { name: "Li\\u0000Na" }) { id } }')],
    ['a query argument', () => agent.request('{ searchArticles(query: "refund\\u0000") { totalCount } }')],
  ])('refuses U+0000 in an inline literal: %s', async (_name, send) => {
    const r = await send(() => server.client());
    expectBadInput(r);
    expect(r.errors![0].message).toMatch(/U\+0000/);
  });

  it('still takes ordinary text, CJK and emoji included (control)', async () => {
    const r = await sales.request(CUSTOMER, { i: { name: '张伟 😀' } });
    expect(r.errors).toBeUndefined();
    expect(r.status).toBe(200);
  });
});

describe('GraphQL over WebSocket', () => {
  it('refuses U+0000 in a variable and in a literal with BAD_USER_INPUT', async () => {
    const ws = lead.ws();
    try {
      for (const [query, variables] of [
        [ARTICLE, { i: { title: `Refund${NUL}`, body: 'b' } }],
        ['mutation { createArticle(input: { title: "Refund\\u0000", body: "b" }) { id } }', {}],
      ] as const) {
        const [result] = await collect<Record<string, unknown>>(ws, query, variables, 1).done;
        expect(codes(result as GraphQLResponse)).toEqual(['BAD_USER_INPUT']);
        expect(result.data ?? null).toBeNull();
      }
    } finally {
      await ws.dispose();
    }
  });
});

/** A JSON body with raw bytes spliced into a string: 0xC3 0x28 is a UTF-8 lead byte followed by a non-continuation. */
const invalidUtf8 = (before: string, after: string) => Buffer.concat([Buffer.from(before), Buffer.from([0xc3, 0x28]), Buffer.from(after)]);

describe('bodies that are not valid UTF-8', () => {
  it('are refused on /graphql with 400 BAD_REQUEST, the mutation not run', async () => {
    const body = invalidUtf8(JSON.stringify({ query: CUSTOMER, variables: { i: { name: 'Li' } } }).slice(0, -4), '"}}}');
    const r = await rawRequest(server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${sales.token}` }, body });
    expectNoStackTrace(r.text);
    expect(r.status).toBe(400);
    expect(r.json.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['BAD_REQUEST']);
    expect(r.json.errors[0].message).toMatch(/UTF-8/);
    const list = await sales.ok<{ customers: { edges: { node: { name: string } }[] } }>('{ customers(first: 100) { edges { node { name } } } }');
    expect(list.customers.edges.map((e) => e.node.name).filter((n) => n.includes('\ufffd'))).toEqual([]);
  });

  it('valid UTF-8 in a declared charset=utf-8 passes (control)', async () => {
    const r = await rawRequest(server.url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: Buffer.from(JSON.stringify({ query: '{ __typename } # 张伟' })) });
    expect(r.status).toBe(200);
  });
});

describe('SCIM', () => {
  const scim = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${scimBase}${path}`, {
      method,
      headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
      body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    const text = await res.text();
    expectNoStackTrace(text);
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  };
  let userId: string;
  beforeAll(async () => {
    userId = ((await scim('POST', '/Users', { schemas: [USER], userName: 'text.check@acme.test' })).body as { id: string }).id;
  });

  it.each([
    ['a filter value', () => scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "agent${NUL}@acme.test"`)}`)],
    ['a filter value, externalId', () => scim('GET', `/Users?filter=${encodeURIComponent(`externalId eq "okta${NUL}"`)}`)],
    ['POST userName', () => scim('POST', '/Users', { schemas: [USER], userName: `nul${NUL}@acme.test` })],
    ['POST displayName', () => scim('POST', '/Users', { schemas: [USER], userName: 'nul.name@acme.test', displayName: `Nul${NUL}Name` })],
    ['POST externalId', () => scim('POST', '/Users', { schemas: [USER], userName: 'nul.ext@acme.test', externalId: `ext${NUL}` })],
    ['PATCH displayName', () => scim('PATCH', `/Users/${userId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: `A${NUL}B` }] })],
    ['POST displayName, unpaired surrogate', () => scim('POST', '/Users', { schemas: [USER], userName: 'sur.name@acme.test', displayName: `Sur${LONE_SURROGATE}` })],
  ])('refuses U+0000 in %s with 400 invalidValue', async (_name, send) => {
    const r = await send();
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
  });

  it('refuses a body that is not valid UTF-8 with 400, creating nobody', async () => {
    const r = await scim('POST', '/Users', invalidUtf8(`{"schemas":["${USER}"],"userName":"bytes@acme.test","displayName":"B`, '"}'));
    expect(r).toMatchObject({ status: 400, body: { status: '400', scimType: 'invalidSyntax' } });
    expect((await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "bytes@acme.test"')}`)).body).toMatchObject({ totalResults: 0 });
  });
});
