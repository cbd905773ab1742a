import { collect, type GraphQLClient } from '../testkit/client';
import { expectNoStackTrace, postJson, rawRequest, type RawResponse } from '../testkit/http';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * Malformed documents, variables and request bodies are refused with a 4xx and a code the client can act
 * on, never a 500 and never a stack trace (docs/architecture.md, guarantee 8).
 */
let server: TestServer;
let agent: GraphQLClient;
beforeAll(async () => {
  server = await createTestServer();
  agent = await server.as('agent');
});
afterAll(() => server.stop());

const auth = () => ({ authorization: `Bearer ${agent.token}` });

async function post(body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const r = await postJson(server.url, body, { ...auth(), ...headers });
  expectNoStackTrace(r.text);
  return r;
}

const codes = (r: RawResponse) => (r.json?.errors ?? []).map((e: { extensions?: { code?: string } }) => e.extensions?.code);

function expectRefused(r: RawResponse, status: number, code: string) {
  expect(r.status).toBe(status);
  expect(r.contentType).toMatch(/^application\/(graphql-response\+)?json/);
  expect(r.json).toBeDefined();
  expect(r.json.data).toBeUndefined(); // a request error: execution never started
  expect(codes(r).length).toBeGreaterThan(0);
  expect(new Set(codes(r))).toEqual(new Set([code]));
}

describe('GraphQL documents over HTTP', () => {
  it('answers a syntax error with 400 GRAPHQL_PARSE_FAILED', async () => {
    for (const query of ['{ me { user { email }', '{ me { user { email } } } }', 'query {', 'SELECT * FROM users', '{ me(id: ) { sessionId } }', '"unterminated']) {
      expectRefused(await post({ query }), 400, 'GRAPHQL_PARSE_FAILED');
    }
  });

  it('answers an unknown field, argument or type with 400 GRAPHQL_VALIDATION_FAILED and no suggestion', async () => {
    for (const query of [
      '{ me { user { emial } } }',
      '{ mee { sessionId } }',
      '{ customers(frist: 1) { pageInfo { hasNextPage } } }',
      'query($x: NoSuchType) { __typename }',
      '{ me { ... on Customr { name } } }',
    ]) {
      const r = await post({ query });
      expectRefused(r, 400, 'GRAPHQL_VALIDATION_FAILED');
      expect(r.text).not.toMatch(/Did you mean/);
    }
  });

  it('answers variables of the wrong type with 400 BAD_USER_INPUT', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['query($n: Int) { customers(first: $n) { pageInfo { hasNextPage } } }', { n: 'abc' }],
      ['query($n: Int) { customers(first: $n) { pageInfo { hasNextPage } } }', { n: 1.5 }],
      ['query($n: Int) { customers(first: $n) { pageInfo { hasNextPage } } }', { n: 2 ** 40 }],
      ['query($id: ID!) { customer(id: $id) { name } }', {}],
      ['query($id: ID!) { customer(id: $id) { name } }', { id: null }],
      ['query($id: ID!) { customer(id: $id) { name } }', { id: { $ne: null } }],
      ['mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }', { i: { name: ['a'] } }],
      ['mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }', { i: { name: 'a', isAdmin: true } }],
      ['mutation($c: Classification!) { createArticle(input: { title: "t", body: "b", classification: $c }) { id } }', { c: 'CONFIDENTAL' }],
    ];
    for (const [query, variables] of cases) {
      const r = await post({ query, variables });
      expectRefused(r, 400, 'BAD_USER_INPUT');
      expect(r.text).not.toMatch(/Did you mean/);
    }
  });

  it('answers an argument the resolver refuses with BAD_USER_INPUT on the field, not a 500', async () => {
    for (const query of [
      '{ customer(id: "not-an-id") { name } }',
      '{ customers(first: 0) { pageInfo { hasNextPage } } }',
      '{ customers(after: "eyJub3QiOiJhIGN1cnNvciJ9") { pageInfo { hasNextPage } } }',
    ]) {
      const r = await post({ query });
      expect(r.status).toBe(200);
      expect(Object.values(r.json.data ?? {}).every((v) => v === null)).toBe(true);
      expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('answers an operation that cannot be chosen with 400', async () => {
    expectRefused(await post({ query: 'query A { __typename } query B { __typename }' }), 400, 'OPERATION_RESOLUTION_FAILURE');
    expectRefused(await post({ query: 'query A { __typename }', operationName: 'B' }), 400, 'OPERATION_RESOLUTION_FAILURE');
  });
});

describe('request bodies over HTTP', () => {
  it('answers invalid JSON with 400, as JSON, without a stack trace', async () => {
    for (const body of ['{"query": ', '{query: "{ __typename }"}', "{'query': 1}", '\u0000', 'null x']) {
      expectRefused(await post(body), 400, 'BAD_REQUEST');
    }
  });

  it('answers a body that is not a GraphQL request with 400 BAD_REQUEST', async () => {
    for (const body of [{}, { query: 42 }, { query: '' }, { query: ['{ __typename }'] }, { query: '{ __typename }', variables: '{"a":1}' }, 'null', '"{ __typename }"', '42']) {
      expectRefused(await post(body), 400, 'BAD_REQUEST');
    }
  });

  it('answers a body over the size limit with 413, as JSON, without a stack trace', async () => {
    expectRefused(await post({ query: '{ __typename }', variables: { pad: 'x'.repeat(200 * 1024) } }), 413, 'BAD_REQUEST');
  });

  it('answers an unsupported charset or encoding with 415, as JSON, without a stack trace', async () => {
    expectRefused(await post({ query: '{ __typename }' }, { 'content-type': 'application/json; charset=latin1' }), 415, 'BAD_REQUEST');
    expectRefused(await post({ query: '{ __typename }' }, { 'content-encoding': 'x-unknown' }), 415, 'BAD_REQUEST');
  });

  it('still serves well-formed requests afterwards', async () => {
    const r = await rawRequest(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...auth() }, body: JSON.stringify({ query: '{ me { user { email } } }' }) });
    expect(r.status).toBe(200);
    expect(r.json.data).toEqual({ me: { user: { email: 'agent@acme.test' } } });
  });
});

describe('GraphQL documents over WebSocket', () => {
  async function overWs(query: string, variables: Record<string, unknown> = {}) {
    const ws = agent.ws();
    try {
      const results = await collect<Record<string, unknown>>(ws, query, variables, 1).done;
      expectNoStackTrace(results);
      return results[0] as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
    } finally {
      await ws.dispose();
    }
  }

  it('answers a syntax error with GRAPHQL_PARSE_FAILED, not a masked internal error', async () => {
    const r = await overWs('{ me { user { email }');
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_PARSE_FAILED']);
  });

  it('answers an unknown field with GRAPHQL_VALIDATION_FAILED and no suggestion', async () => {
    const r = await overWs('{ me { usr { email } } }');
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(JSON.stringify(r)).not.toMatch(/Did you mean/);
  });

  it('answers variables of the wrong type without a suggestion', async () => {
    const r = await overWs('mutation($c: Classification!) { createArticle(input: { title: "t", body: "b", classification: $c }) { id } }', { c: 'CONFIDENTAL' });
    expect(r.data ?? null).toBeNull();
    expect(r.errors?.map((e) => (e as { extensions?: { code?: string } }).extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(JSON.stringify(r)).not.toMatch(/Did you mean|CONFIDENTIAL/);
  });
});
