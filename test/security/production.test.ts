import { exportPKCS8, generateKeyPair } from 'jose';
import { collect, type GraphQLClient, type GraphQLResponse } from '../testkit/client';
import { expectNoStackTrace } from '../testkit/http';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * With NODE_ENV=production the schema is not discoverable: no introspection, no "Did you mean" hints
 * naming fields, types or enum values, on HTTP and WebSocket.
 */
let server: TestServer;
let agent: GraphQLClient;
beforeAll(async () => {
  // loadConfig requires a signing key in production.
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  server = await createTestServer({ env: { NODE_ENV: 'production', WARDEN_JWT_PRIVATE_KEY: await exportPKCS8(privateKey) } });
  agent = await server.as('agent');
});
afterAll(() => server.stop());

const INTROSPECTION = [
  '{ __schema { types { name } } }',
  '{ __type(name: "Customer") { fields { name } } }',
  'query { __schema { queryType { name } } }',
  '{ me { ... on Viewer { __schema: __typename } } __schema { directives { name } } }',
];

/** Mistakes graphql-js would answer with a hint at the right name; [query, variables, the hidden name]. */
const NEAR_MISSES: [string, Record<string, unknown>, RegExp][] = [
  ['{ me { usr { email } } }', {}, /"user"/],
  ['{ customers(frist: 1) { edges { cursor } } }', {}, /"first"/],
  ['{ node(id: "x") { name } }', {}, /"Customer"|"User"|inline fragment/],
  ['mutation { createArticle(input: { title: "t", body: "b", classification: CONFIDENTAL }) { id } }', {}, /CONFIDENTIAL/],
  ['mutation($c: Classification!) { createArticle(input: { title: "t", body: "b", classification: $c }) { id } }', { c: 'CONFIDENTAL' }, /CONFIDENTIAL/],
  ['mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }', { i: { nmae: 'x', name: 'y' } }, /Did you mean/],
];

const codes = (r: { errors?: { extensions?: Record<string, unknown> }[] }) => (r.errors ?? []).map((e) => e.extensions?.code);

function expectNoHints(r: unknown, hidden: RegExp) {
  const text = JSON.stringify(r);
  expect(text).not.toMatch(/Did you mean/i);
  expect(text).not.toMatch(/\[Suggestion hidden\]/); // not even a trace of where a hint was
  expect(text).not.toMatch(hidden);
}

describe('production over HTTP', () => {
  it('serves ordinary operations (control) without the test-only counters', async () => {
    const r = await agent.request(ME);
    expect(r.data).toEqual({ me: { user: { email: 'agent@acme.test' } } });
    expect(r.extensions?.counters).toBeUndefined();
    expect((await agent.request('{ __typename }')).data).toEqual({ __typename: 'Query' });
  });

  it.each(INTROSPECTION)('refuses introspection: %s', async (query) => {
    const r = await agent.request(query);
    expectNoStackTrace(r);
    expect(r.status).toBe(400);
    expect(r.data).toBeUndefined();
    expect(new Set(codes(r))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
  });

  it.each(NEAR_MISSES)('gives no hint at the schema for %s', async (query, variables, hidden) => {
    const r: GraphQLResponse = await agent.request(query, variables);
    expectNoStackTrace(r);
    expect(r.status).toBe(400);
    expect(r.errors?.length).toBeGreaterThan(0);
    expectNoHints(r, hidden);
  });
});

describe('production over WebSocket', () => {
  async function overWs(query: string, variables: Record<string, unknown> = {}) {
    const ws = agent.ws();
    try {
      const [result] = await collect<Record<string, unknown>>(ws, query, variables, 1).done;
      expectNoStackTrace(result);
      return result as { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] };
    } finally {
      await ws.dispose();
    }
  }

  it('serves ordinary operations (control)', async () => {
    expect(await overWs(ME)).toEqual({ data: { me: { user: { email: 'agent@acme.test' } } } });
  });

  it.each(INTROSPECTION)('refuses introspection: %s', async (query) => {
    const r = await overWs(query);
    expect(r.data ?? null).toBeNull();
    expect(new Set(codes(r))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
  });

  it.each(NEAR_MISSES)('gives no hint at the schema for %s', async (query, variables, hidden) => {
    const r = await overWs(query, variables);
    expect(r.errors?.length).toBeGreaterThan(0);
    expectNoHints(r, hidden);
  });
});

describe('production in a browser', () => {
  const origin = () => new URL(server.url).origin;
  it('answers GET /graphql with a short page about the endpoint: no GraphiQL, no script, nothing from elsewhere', async () => {
    const res = await fetch(server.url, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await res.text();
    expect(html).toContain('WARDEN_GRAPHIQL=true');
    expect(html).toMatch(/POST/);
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\//i);
    expect((await fetch(`${origin()}/graphiql/ruru.js`)).status).toBe(404);
  });
});

const ME = '{ me { user { email } } }';
