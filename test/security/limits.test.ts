import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/rows';
import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { withTenantTx } from '../../src/db/tenant-tx';
import { collect, type GraphQLClient } from '../testkit/client';
import { expectNoStackTrace, postJson } from '../testkit/http';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * Query limits (src/server/limits.ts, defaults from src/config.ts: depth 10, 15 aliases, 20 directives,
 * 2000 tokens, cost 5000 by the model in COST_MODEL) refuse abusive documents before execution, on HTTP and on WebSocket alike,
 * and the server keeps serving.
 */
let server: TestServer;
let agent: GraphQLClient;
beforeAll(async () => {
  server = await createTestServer();
  agent = await server.as('agent');
});
afterAll(() => server.stop());

const times = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join(' ');

/** Valid documents (every field exists) that differ only in how far they go past a limit. */
const DOCS = {
  deep: (n: number) => `{ me { ${'... on Viewer { '.repeat(n)} clearance ${'} '.repeat(n)} } }`,
  aliases: (n: number) => `{ ${times(n, (i) => `a${i}: __typename`)} }`,
  directivesOnSpreads: (n: number) => `{ ${times(n, () => '...Q @include(if: true)')} } fragment Q on Query { __typename }`,
  directivesInFragment: (n: number) => `{ ${times(n, () => '...Q')} } fragment Q on Query { __typename @include(if: true) }`,
  tokens: (n: number) => `{ ${times(n, () => '__typename')} }`,
  // Each level spreads the one below 40 times: a few hundred tokens, an exponential amount of work.
  // README (Spaces, categories and tags): a realistic screen, two nested lists, within the default limit.
  readmeSpaces: `query { spaces(first: 20) { edges { node { id key name defaultClassification ownerTeam { name }
  categories { id name children { name articles(first: 5) { edges { node { title } } } } } } } } }`,
  // A hundred tickets for each of a hundred customers: the inner first multiplies the outer one.
  nestedPages: '{ customers(first: 100) { edges { node { id name tickets(first: 100) { edges { node { id subject } } } } } } }',
  costly: `query { me { ...F2 } }
    fragment F0 on Viewer { user { id email displayName status } roles { id key name permissions clearance } permissions clearance sessionId }
    fragment F1 on Viewer { ${times(40, () => '...F0')} }
    fragment F2 on Viewer { ${times(40, () => '...F1')} }`,
};

/** DOCS.nestedPages with its page sizes as a variable. */
const VARIABLE_PAGES = `query Pages($n: Int) ${DOCS.nestedPages.replace(/^\s*(query\s*)?/, '').replace(/first: 100/g, 'first: $n')}`;

const REFUSALS: [string, string, RegExp, string][] = [
  ['too deep', DOCS.deep(12), /depth limit of 10/, 'GRAPHQL_VALIDATION_FAILED'],
  ['too many aliases', DOCS.aliases(16), /Aliases limit of 15/, 'GRAPHQL_VALIDATION_FAILED'],
  ['too many directives on fragment spreads', DOCS.directivesOnSpreads(21), /Directives limit of 20/, 'GRAPHQL_VALIDATION_FAILED'],
  ['too many directives inside a fragment spread many times', DOCS.directivesInFragment(21), /Directives limit of 20/, 'GRAPHQL_VALIDATION_FAILED'],
  ['too many tokens', DOCS.tokens(2001), /2000 tokens/, 'GRAPHQL_PARSE_FAILED'],
  ['too costly', DOCS.costly, /^Query is too complex: cost limit of 5000 exceeded, found \d+\./, 'QUERY_TOO_COMPLEX'],
];

const loginAttempts = () =>
  withTenantTx(server.database.db, server.tenantId, (tx) =>
    queryRows<{ n: number }>(tx, sql`select count(*)::int as n from audit_events where action = 'auth.login'`),
  ).then((rows) => rows[0].n);

describe('over HTTP', () => {
  it('accepts documents at the limits (controls)', async () => {
    for (const query of [DOCS.deep(8), DOCS.aliases(15), DOCS.directivesOnSpreads(20), DOCS.directivesInFragment(20), DOCS.tokens(400)]) {
      const r = await agent.request(query);
      expect(r.errors).toBeUndefined();
      expect(r.status).toBe(200);
    }
  });

  it.each(REFUSALS)('refuses a document %s with 400 before execution', async (_name, query, message, code) => {
    const r = await agent.request(query);
    expectNoStackTrace(r);
    expect(r.status).toBe(400);
    expect(r.data).toBeUndefined();
    expect(r.errors?.map((e) => e.extensions?.code)).toContain(code);
    expect(r.errors?.map((e) => e.message).join('\n')).toMatch(message);
    expect(r.extensions?.counters?.statements ?? 0).toBe(0);
  });

  it('runs the README\'s nested spaces example within the default cost limit', async () => {
    const admin = await server.as('admin');
    const r = await admin.request<{ spaces: { edges: { node: { categories: unknown[] } }[] } }>(DOCS.readmeSpaces);
    expect(r.errors).toBeUndefined();
    expect(r.status).toBe(200);
    expect(r.data?.spaces.edges.length).toBeGreaterThan(0);
  });

  it('says QUERY_TOO_COMPLEX with the cost found and the limit allowed', async () => {
    const r = await agent.request(DOCS.nestedPages);
    expect(r.status).toBe(400);
    expect(r.data).toBeUndefined();
    expect(r.errors).toHaveLength(1);
    // 100 × (2 + 1.2 × (2 + 1.2 × (2 + 1.2 + 1.2 + 1.2 × 100 × (2 + 1.2 × (2 + 1.2 × (2 + 1.2 + 1.2)))))), rounded
    expect(r.errors?.[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', cost: 186592, maxCost: 5000 });
    expect(r.errors?.[0].message).toBe('Query is too complex: cost limit of 5000 exceeded, found 186592. Ask for fewer items (first) or fewer nested lists.');
    expect(r.extensions?.counters?.statements ?? 0).toBe(0);
  });

  it('counts page sizes given by variables (and by their defaults) as the values they have', async () => {
    // Counted as one item per level before: the same document with literal sizes is 186592.
    const r = await agent.request(VARIABLE_PAGES, { n: 100 });
    expect(r.status).toBe(400);
    expect(r.data).toBeUndefined();
    expect(r.errors?.map((e) => e.extensions)).toEqual([{ code: 'QUERY_TOO_COMPLEX', cost: 186592, maxCost: 5000 }]);
    expect(r.extensions?.counters?.statements ?? 0).toBe(0);
    const byDefault = await agent.request(VARIABLE_PAGES.replace('$n: Int', '$n: Int = 100'));
    expect(byDefault.errors?.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
    // The same text with small pages runs (Apollo's validation of the text is kept; the cost is per request).
    const small = await agent.request<{ customers: { edges: unknown[] } }>(VARIABLE_PAGES, { n: 2 });
    expect(small.errors).toBeUndefined();
    expect(small.data?.customers.edges.length).toBe(2);
  });

  it('refuses aliased login attempts before any runs (no brute force by aliases)', async () => {
    const before = await loginAttempts();
    const input = (i: number) => `{ tenant: "acme", email: "agent@acme.test", password: "guess-${i}" }`;
    const r = await server.client().request(`mutation { ${times(16, (i) => `a${i}: login(input: ${input(i)}) { accessToken }`)} }`);
    expect(r.status).toBe(400);
    expect(r.data).toBeUndefined();
    expect(await loginAttempts()).toBe(before);
  });

  it('refuses a batched request (JSON array body) without running any of it', async () => {
    const before = await loginAttempts();
    const login = (password: string) => ({
      query: 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }',
      variables: { i: { tenant: 'acme', email: 'agent@acme.test', password } },
    });
    const r = await postJson(server.url, [login('guess-1'), login('guess-2'), login(DEMO_PASSWORD)]);
    expectNoStackTrace(r.text);
    expect(r.status).toBe(400);
    expect(Array.isArray(r.json)).toBe(false);
    expect(r.json.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(r.json.errors[0].message).toMatch(/batching/i);
    expect(await loginAttempts()).toBe(before);
  });

  it('keeps serving after the refusals', async () => {
    expect((await agent.request('{ me { user { email } } }')).data).toEqual({ me: { user: { email: 'agent@acme.test' } } });
  });
});

describe('over WebSocket', () => {
  async function overWs(query: string, variables: Record<string, unknown> = {}) {
    const ws = agent.ws();
    try {
      const results = await collect<Record<string, unknown>>(ws, query, variables, 1).done;
      expectNoStackTrace(results);
      return results[0] as { data?: unknown; errors?: { message?: string; extensions?: { code?: string }; code?: number }[] };
    } finally {
      await ws.dispose();
    }
  }

  it('accepts a query within the limits (control)', async () => {
    expect(await overWs(DOCS.aliases(15))).toEqual({ data: expect.objectContaining({ a14: 'Query' }) });
  });

  it.each(REFUSALS)('refuses a document %s, as on HTTP', async (_name, query, message, code) => {
    const r = await overWs(query);
    expect(r.data ?? null).toBeNull();
    expect(r.errors?.map((e) => e.extensions?.code)).toContain(code);
    expect(r.errors?.map((e) => e.message).join('\n')).toMatch(message);
  });

  it('says QUERY_TOO_COMPLEX with the cost found and allowed, as on HTTP', async () => {
    const r = await overWs(DOCS.nestedPages);
    expect(r.data ?? null).toBeNull();
    expect(r.errors?.map((e) => e.extensions)).toEqual([{ code: 'QUERY_TOO_COMPLEX', cost: 186592, maxCost: 5000 }]);
  });

  it('counts page sizes given by variables, as on HTTP', async () => {
    const r = await overWs(VARIABLE_PAGES, { n: 100 });
    expect(r.data ?? null).toBeNull();
    expect(r.errors?.map((e) => e.extensions)).toEqual([{ code: 'QUERY_TOO_COMPLEX', cost: 186592, maxCost: 5000 }]);
    expect((await overWs(VARIABLE_PAGES, { n: 2 })).errors).toBeUndefined();
  });

  it('runs the README\'s nested spaces example within the limit, as on HTTP', async () => {
    const r = (await overWs(DOCS.readmeSpaces)) as { data?: { spaces?: { edges: unknown[] } }; errors?: unknown };
    expect(r.errors).toBeUndefined();
    expect(r.data?.spaces?.edges).toEqual(expect.any(Array));
  });

  it('closes the socket on a message larger than the HTTP body limit, and keeps serving', async () => {
    // graphql-ws reports the socket error on the server console; that is expected here.
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const r = await overWs('query($pad: String) { __typename }', { pad: 'x'.repeat(200 * 1024) });
      expect(r.data).toBeUndefined();
      expect(r.errors?.[0].code).toBe(1009); // WebSocket close code: Message Too Big (RFC 6455, 7.4.1)
    } finally {
      consoleError.mockRestore();
    }
    expect(await overWs('{ me { user { email } } }')).toEqual({ data: { me: { user: { email: 'agent@acme.test' } } } });
  });
});
