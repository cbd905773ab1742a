import type { GraphQLClient } from '../testkit/client';
import { expectNoStackTrace, getQuery, postJson, rawRequest, type RawResponse } from '../testkit/http';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/) as Apollo Server 5 implements
 * it, with its CSRF prevention: methods, media types, status codes.
 */
const ME = '{ me { user { email } } }';
const GRAPHQL_RESPONSE = 'application/graphql-response+json';

let server: TestServer;
let agent: GraphQLClient;
beforeAll(async () => {
  server = await createTestServer();
  agent = await server.as('agent');
});
afterAll(() => server.stop());

const auth = () => ({ authorization: `Bearer ${agent.token}` });
const code = (r: RawResponse) => r.json?.errors?.[0]?.extensions?.code;

function checked(r: RawResponse): RawResponse {
  expectNoStackTrace(r.text);
  expect(r.headers.get('x-powered-by')).toBeNull();
  return r;
}

/** The agent's session is still live: a refused request did not run its mutation. */
async function expectStillSignedIn() {
  expect((await agent.request(ME)).data).toEqual({ me: { user: { email: 'agent@acme.test' } } });
}

describe('GET', () => {
  it('runs a query from the query string when a CSRF-safe header is present', async () => {
    const safeHeaders: Record<string, string>[] = [{ 'apollo-require-preflight': 'true' }, { 'x-apollo-operation-name': 'Me' }];
    for (const header of safeHeaders) {
      const r = checked(await getQuery(server.url, { query: 'query Me { me { user { email } } }' }, { ...header, ...auth() }));
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ data: { me: { user: { email: 'agent@acme.test' } } } });
    }
  });

  it('passes variables and operationName from the query string', async () => {
    const r = checked(
      await getQuery(
        server.url,
        { query: 'query A($n: Int) { customers(first: $n) { edges { cursor } } } query B { __typename }', variables: JSON.stringify({ n: 2 }), operationName: 'A' },
        { 'apollo-require-preflight': 'true', ...auth() },
      ),
    );
    expect(r.status).toBe(200);
    expect(r.json.data.customers.edges).toHaveLength(2);
  });

  it('refuses a GET without a CSRF-safe header (a cross-site link or <img> cannot run operations)', async () => {
    const r = checked(await getQuery(server.url, { query: ME }, auth()));
    expect(r.status).toBe(400);
    expect(code(r)).toBe('BAD_REQUEST');
    expect(r.json.errors[0].message).toMatch(/Cross-Site Request Forgery/);
    expect(r.json.data).toBeUndefined();
  });

  it('refuses a mutation over GET with 405 and Allow: POST, without running it', async () => {
    const r = checked(await getQuery(server.url, { query: 'mutation { logout }' }, { 'apollo-require-preflight': 'true', ...auth() }));
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
    expect(code(r)).toBe('BAD_REQUEST');
    expect(r.json.data).toBeUndefined();
    await expectStillSignedIn();
  });
});

describe('POST', () => {
  it.each([
    ['text/plain', JSON.stringify({ query: 'mutation { logout }' })],
    ['application/x-www-form-urlencoded', 'query=mutation%20%7B%20logout%20%7D'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\nmutation { logout }\r\n--x--\r\n'],
  ])('refuses a %s body without a CSRF-safe header (what an HTML form can send), without running it', async (contentType, body) => {
    const r = checked(await rawRequest(server.url, { method: 'POST', headers: { 'content-type': contentType, ...auth() }, body }));
    expect(r.status).toBe(400);
    expect(code(r)).toBe('BAD_REQUEST');
    expect(r.json.errors[0].message).toMatch(/Cross-Site Request Forgery/);
    await expectStillSignedIn();
  });

  it('refuses other methods with 405', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const r = checked(await rawRequest(server.url, { method, headers: { 'content-type': 'application/json', ...auth() }, body: JSON.stringify({ query: ME }) }));
      expect(r.status).toBe(405);
      expect(code(r)).toBe('BAD_REQUEST');
    }
  });
});

describe('media types', () => {
  it('answers with application/graphql-response+json when the client accepts it', async () => {
    for (const accept of [GRAPHQL_RESPONSE, `${GRAPHQL_RESPONSE}, application/json;q=0.9`]) {
      const r = checked(await postJson(server.url, { query: ME }, { accept, ...auth() }));
      expect(r.status).toBe(200);
      expect(r.contentType).toMatch(/^application\/graphql-response\+json; charset=utf-8$/);
    }
  });

  it('answers with application/json to clients that accept only it, or say nothing', async () => {
    const variants: Record<string, string>[] = [{ accept: 'application/json' }, {}];
    for (const headers of variants) {
      const r = checked(await postJson(server.url, { query: ME }, { ...headers, ...auth() }));
      expect(r.status).toBe(200);
      expect(r.contentType).toMatch(/^application\/json; charset=utf-8$/);
    }
  });

  it('refuses a client that accepts neither with 406', async () => {
    const r = checked(await postJson(server.url, { query: ME }, { accept: 'text/html', ...auth() }));
    expect(r.status).toBe(406);
    expect(code(r)).toBe('BAD_REQUEST');
  });
});

describe('status codes', () => {
  it.each([GRAPHQL_RESPONSE, 'application/json'])('is 200 with data and errors for a field error (%s)', async (accept) => {
    const r = checked(await postJson(server.url, { query: ME }, { accept })); // no token: me is refused
    expect(r.status).toBe(200);
    expect(r.contentType?.startsWith(accept)).toBe(true);
    expect(r.json.data).toEqual({ me: null });
    expect(code(r)).toBe('UNAUTHENTICATED');
  });

  // The spec lets application/json answer request errors with 200; Apollo Server 5 uses 400 for both media types.
  it.each([GRAPHQL_RESPONSE, 'application/json'])('is 400 without data for a request error (%s)', async (accept) => {
    const cases: [unknown, string][] = [
      [{ query: '{ me {' }, 'GRAPHQL_PARSE_FAILED'],
      [{ query: '{ nope }' }, 'GRAPHQL_VALIDATION_FAILED'],
      [{ query: 'query($n: Int) { customers(first: $n) { edges { cursor } } }', variables: { n: 'x' } }, 'BAD_USER_INPUT'],
      [{ variables: {} }, 'BAD_REQUEST'],
    ];
    for (const [body, expected] of cases) {
      const r = checked(await postJson(server.url, body, { accept, ...auth() }));
      expect(r.status).toBe(400);
      expect(r.contentType?.startsWith(accept)).toBe(true);
      expect(r.json.data).toBeUndefined();
      expect(code(r)).toBe(expected);
    }
  });
});
