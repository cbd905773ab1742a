import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { registerTracing } from '../../src/tracing/tracer';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * Spans over real HTTP against a running server, exported in memory: the request's span continues the
 * caller's `traceparent`, parse/validate/execute are its children, the statements are children of the
 * phase that sent them, the tenant is on each, and no variable or SQL parameter appears anywhere.
 */
const memory = new InMemorySpanExporter();
let tracing: { shutdown(): Promise<void> };
let server: TestServer;

beforeAll(async () => {
  // Before the server and its database: their instrumentation is installed only when tracing is on.
  tracing = registerTracing([new SimpleSpanProcessor(memory)]);
  server = await createTestServer();
});
afterAll(async () => {
  await server.stop();
  await tracing.shutdown();
});

/** The HTTP span ends when the response has been handed to the socket, just after the client reads it. */
async function traceOf(traceId: string | undefined, match: (s: ReadableSpan) => boolean): Promise<ReadableSpan[]> {
  for (let i = 0; i < 200; i++) {
    const spans = memory.getFinishedSpans();
    const root = spans.find(match);
    if (root) return spans.filter((s) => s.spanContext().traceId === (traceId ?? root.spanContext().traceId));
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the request span never ended');
}
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const attributeValues = (spans: ReadableSpan[]) => spans.flatMap((s) => Object.values(s.attributes).map(String));

it('continues the caller trace: request, parse, validate, execute and statements, with the tenant', async () => {
  const lead = await server.as('lead');
  memory.reset();
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const callerSpan = '00f067aa0ba902b7';
  const r = await lead.request('query TracedCustomers($n: Int) { customers(first: $n) { edges { node { name } } } }', { n: 3 }, { traceparent: `00-${traceId}-${callerSpan}-01` });
  expect(r.errors).toBeUndefined();
  const spans = await traceOf(traceId, (s) => s.name === 'POST /graphql' && s.spanContext().traceId === traceId);
  const http = spans.find((s) => s.name === 'POST /graphql')!;
  expect(parentOf(http)).toBe(callerSpan);
  expect(http.attributes['http.response.status_code']).toBe(200);
  expect(http.attributes['warden.tenant_id']).toBe(server.tenantId);
  expect(http.attributes['graphql.operation.name']).toBe('TracedCustomers');
  const phases = ['graphql.parse', 'graphql.validate', 'graphql.execute'].map((name) => spans.find((s) => s.name === name));
  for (const phase of phases) {
    expect(phase).toBeDefined();
    expect(parentOf(phase!)).toBe(http.spanContext().spanId);
    expect(phase!.attributes['warden.tenant_id']).toBe(server.tenantId);
  }
  const execute = phases[2]!;
  expect(execute.attributes['graphql.operation.type']).toBe('query');
  const statements = spans.filter((s) => s.attributes['db.system.name'] === 'postgresql');
  const underExecute = statements.filter((s) => parentOf(s) === execute.spanContext().spanId);
  expect(underExecute.length).toBeGreaterThan(0);
  expect(underExecute.some((s) => /\bcustomers\b/.test(String(s.attributes['db.query.text'])))).toBe(true);
  for (const s of statements) {
    expect(s.attributes['warden.tenant_id']).toBe(server.tenantId);
    // Inside the request's span, in its trace.
    expect(s.startTime[0] * 1e9 + s.startTime[1]).toBeGreaterThanOrEqual(http.startTime[0] * 1e9 + http.startTime[1]);
  }
  // The tenant goes to the database as a bind parameter, never into a span.
  expect(statements.some((s) => String(s.attributes['db.query.text']).includes('set_config'))).toBe(true);
  expect(statements.every((s) => !String(s.attributes['db.query.text']).includes(server.tenantId))).toBe(true);
});

it('records neither variables nor SQL parameters: a sign-in leaves no e-mail or password in its spans', async () => {
  memory.reset();
  await server.client().login('lead@acme.test');
  const spans = await traceOf(undefined, (s) => s.name === 'POST /graphql');
  expect(spans.filter((s) => s.attributes['db.system.name'] === 'postgresql').length).toBeGreaterThan(0);
  const values = attributeValues(spans).join('\n');
  expect(values).not.toContain(DEMO_PASSWORD);
  expect(values).not.toContain('lead@acme.test');
  // A new trace: the caller sent no traceparent.
  expect(parentOf(spans.find((s) => s.name === 'POST /graphql')!)).toBeUndefined();
});

it('names other routes without the ids in their paths (SCIM)', async () => {
  memory.reset();
  const id = '3f1e6f0a-7d3c-4a55-9a51-8a4c3b2f1e00';
  await fetch(server.url.replace(/\/graphql$/, `/scim/v2/Users/${id}`));
  const http = (await traceOf(undefined, (s) => s.name === 'GET /scim/v2/*')).find((s) => s.name === 'GET /scim/v2/*')!;
  expect(http.attributes['http.route']).toBe('/scim/v2/*');
  expect(http.attributes['http.response.status_code']).toBe(401);
  expect(attributeValues([http]).join(' ')).not.toContain(id);
});

it('ignores a malformed traceparent and starts a new trace', async () => {
  memory.reset();
  const r = await server.client().request('{ __typename }', undefined, { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' });
  expect(r.data).toEqual({ __typename: 'Query' });
  const http = (await traceOf(undefined, (s) => s.name === 'POST /graphql')).find((s) => s.name === 'POST /graphql')!;
  expect(parentOf(http)).toBeUndefined();
  expect(http.spanContext().traceId).not.toMatch(/^0+$/);
});
