import { sql } from 'drizzle-orm';
import { collect, type GraphQLClient } from '../testkit/client';
import { rawRequest } from '../testkit/http';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * /metrics in Prometheus's text format, after real GraphQL traffic: on the main port behind
 * WARDEN_METRICS_TOKEN, or on a port of its own (WARDEN_METRICS_PORT). Counters are compared before and
 * after, never timed.
 */
const TOKEN = 'metrics-test-token-0123456789';
// PGlite: one embedded connection (not instrumented), and no table statistics worth reading.
const pgOnly = process.env.TEST_DATABASE_URL ? it : it.skip;

type Samples = Map<string, number>;

/** `name{a="x",b="y"} 12` lines into a map keyed by name and sorted labels. */
function parse(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}=${v}`).sort();
    out.set(`${m[1]}{${labels.join(',')}}`, Number(m[3]));
  }
  return out;
}
const value = (s: Samples, name: string, labels: Record<string, string> = {}) =>
  s.get(`${name}{${Object.entries(labels).map(([k, v]) => `${k}=${v}`).sort().join(',')}}`) ?? 0;
const sum = (s: Samples, prefix: string) => [...s].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);

describe('on the main port, behind a token', () => {
  let server: TestServer;
  let lead: GraphQLClient;
  const scrape = async () => {
    const r = await rawRequest(server.app.metricsUrl!, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    return parse(r.text);
  };
  beforeAll(async () => {
    server = await createTestServer({ env: { WARDEN_METRICS_TOKEN: TOKEN } });
    lead = await server.as('lead');
  });
  afterAll(() => server.stop());

  it('is served at /metrics of the main port', () => {
    expect(server.app.metricsUrl).toBe(server.url.replace(/\/graphql$/, '/metrics'));
  });

  it('refuses a scrape without the token, or with another one (401)', async () => {
    const refused: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }];
    for (const headers of refused) {
      const r = await rawRequest(server.app.metricsUrl!, { headers });
      expect(r.status).toBe(401);
      expect(r.text).not.toContain('warden_');
    }
  });

  it('counts operations by name and type, errors by code, denials by coordinate and sensitive reads', async () => {
    const agent = await server.as('agent');
    const before = await scrape();
    for (let i = 0; i < 3; i++) await lead.ok('query Whoami { me { sessionId } }');
    await lead.ok('mutation Hello { __typename }');
    expect((await lead.request('{ nope }')).errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await agent.request('query Audit { auditEvents(first: 1) { edges { cursor } } }')).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    await lead.ok('{ customers(first: 5) { edges { node { email } } } }');
    const after = await scrape();
    const delta = (name: string, labels?: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
    expect(delta('warden_graphql_request_duration_seconds_count', { operation: 'Whoami', type: 'query' })).toBe(3);
    expect(delta('warden_graphql_request_duration_seconds_count', { operation: 'Hello', type: 'mutation' })).toBe(1);
    expect(delta('warden_graphql_request_duration_seconds_count', { operation: 'unresolved', type: 'unknown' })).toBe(1);
    expect(delta('warden_graphql_request_duration_seconds_bucket', { operation: 'Whoami', type: 'query', le: '+Inf' })).toBe(3);
    expect(delta('warden_graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(delta('warden_graphql_errors_total', { code: 'FORBIDDEN' })).toBe(1);
    expect(delta('warden_authz_denials_total', { coordinate: 'Query.auditEvents' })).toBe(1);
    expect(sum(after, 'warden_sensitive_reads_total{level=PII') - sum(before, 'warden_sensitive_reads_total{level=PII')).toBeGreaterThan(0);
    // The default process metrics, and the audit outbox read on scrape (events leave it at commit).
    expect(after.has('process_cpu_user_seconds_total{}')).toBe(true);
    expect(after.has('nodejs_eventloop_lag_seconds{}')).toBe(true);
    expect(value(after, 'warden_audit_outbox_depth')).toBe(0);
  });

  it('caps client-chosen operation names: later names count as "other"', async () => {
    for (let i = 0; i < 210; i++) await lead.ok(`query Op${i} { __typename }`);
    const s = await scrape();
    const names = new Set([...s.keys()].filter((k) => k.startsWith('warden_graphql_request_duration_seconds_count{')).map((k) => /operation=([^,}]*)/.exec(k)![1]));
    expect(names.size).toBeLessThanOrEqual(200 + 3); // the cap, and anonymous / other / unresolved
    expect(names.has('other')).toBe(true);
    expect(names.has('Op0')).toBe(true);
    expect(names.has('Op209')).toBe(false);
  });

  it('counts open WebSockets and active subscriptions', async () => {
    const analyst = await server.as('analyst');
    const ws = analyst.ws();
    try {
      const sub = collect<{ auditEvents: { seq: number } }>(ws, 'subscription($f: AuditEventFilter) { auditEvents(filter: $f) { seq } }', { f: { action: 'sensitive.read' } }, 1, 10_000);
      let s = await scrape();
      for (let i = 0; i < 50 && value(s, 'warden_subscriptions_active') < 1; i++) {
        await new Promise((r) => setTimeout(r, 20));
        s = await scrape();
      }
      expect(value(s, 'warden_websocket_connections')).toBe(1);
      expect(value(s, 'warden_subscriptions_active')).toBe(1);
      // Something to stream: a read of personal data.
      await lead.ok('{ customers(first: 1) { edges { node { email } } } }');
      expect((await sub.done).map((r) => r.errors)).toEqual([undefined]);
    } finally {
      await ws.dispose();
    }
    let s = await scrape();
    for (let i = 0; i < 50 && value(s, 'warden_websocket_connections') > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      s = await scrape();
    }
    expect(value(s, 'warden_websocket_connections')).toBe(0);
    expect(value(s, 'warden_subscriptions_active')).toBe(0);
    expect(value(s, 'warden_audit_stream_lag_seconds_count')).toBeGreaterThan(0);
  });

  it('counts alerts raised by rule, and the detection lag', async () => {
    const analyst = await server.as('analyst');
    await analyst.ok('mutation($i: DetectionRuleInput!) { configureDetectionRule(input: $i) { kind } }', { i: { kind: 'REPEATED_DENIALS', threshold: 3 } });
    const before = await scrape();
    const agent = await server.as('agent');
    for (let i = 0; i < 4; i++) expect((await agent.request('{ auditEvents(first: 1) { edges { cursor } } }')).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const raised = (s: Samples) => value(s, 'warden_alerts_raised_total', { rule: 'REPEATED_DENIALS' }) - value(before, 'warden_alerts_raised_total', { rule: 'REPEATED_DENIALS' });
    // Detection runs after the commit, off the request: wait for it (bounded), then count.
    let s = await scrape();
    for (let i = 0; i < 100 && raised(s) < 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
      s = await scrape();
    }
    expect(raised(s)).toBeGreaterThanOrEqual(1);
    expect(value(s, 'warden_detection_lag_seconds_count')).toBeGreaterThan(value(before, 'warden_detection_lag_seconds_count'));
  });

  pgOnly('reports rows stuck in the audit outbox when its flush trigger is off', async () => {
    expect(value(await scrape(), 'warden_audit_outbox_depth')).toBe(0);
    await server.database.db.execute(sql.raw('alter table audit_outbox disable trigger audit_outbox_flush'));
    try {
      await lead.ok('{ customers(first: 2) { edges { node { email } } } }');
      // PostgreSQL publishes table statistics within about a second: wait for them (bounded).
      let s = await scrape();
      for (let i = 0; i < 60 && value(s, 'warden_audit_outbox_depth') < 1; i++) {
        await new Promise((r) => setTimeout(r, 100));
        s = await scrape();
      }
      expect(value(s, 'warden_audit_outbox_depth')).toBeGreaterThanOrEqual(1);
    } finally {
      await server.database.db.execute(sql.raw('alter table audit_outbox enable trigger audit_outbox_flush'));
      await server.database.db.execute(sql.raw('delete from audit_outbox'));
    }
  });

  pgOnly('reports the pool and statements', async () => {
    const s = await scrape();
    expect(value(s, 'warden_db_pool_max')).toBeGreaterThan(0);
    expect(value(s, 'warden_db_query_duration_seconds_count')).toBeGreaterThan(0);
    // Background jobs (detection, the audit bus) may hold one at any moment; never more than the pool.
    expect(s.has('warden_db_transactions_in_flight{}')).toBe(true);
    expect(s.has('warden_db_queries_in_flight{}')).toBe(true);
  });
});

describe('on a port of its own', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ env: { WARDEN_METRICS_PORT: '0' } });
  });
  afterAll(() => server.stop());

  it('serves /metrics there without a token, and not on the main port', async () => {
    const url = server.app.metricsUrl!;
    expect(new URL(url).port).not.toBe(new URL(server.url).port);
    await (await server.as('lead')).ok('query Whoami { me { sessionId } }');
    const r = await rawRequest(url);
    expect(r.status).toBe(200);
    expect(value(parse(r.text), 'warden_graphql_request_duration_seconds_count', { operation: 'Whoami', type: 'query' })).toBeGreaterThan(0);
    expect((await rawRequest(server.url.replace(/\/graphql$/, '/metrics'))).status).toBe(404);
    expect((await rawRequest(url.replace(/\/metrics$/, '/graphql'))).status).toBe(404);
  });
});
