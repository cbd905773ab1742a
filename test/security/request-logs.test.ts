import { sql } from 'drizzle-orm';
import { setLogLevel, setLogSink } from '../../src/lib/logger';
import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { getQuery, postJson } from '../testkit/http';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * Every log line of a request carries its request id: the caller's X-Request-Id when it is a plain
 * token, else a valid traceparent's trace id, else a new one; the response returns it (header, and
 * masked errors). Credentials and personal data never reach the log. Lines are captured, not printed.
 */
let server: TestServer;
let lines: string[] = [];
beforeAll(async () => {
  server = await createTestServer();
  setLogSink((_level, line) => lines.push(line));
  setLogLevel('debug');
});
afterAll(async () => {
  setLogLevel('error');
  setLogSink();
  await server.stop();
});
beforeEach(() => {
  lines = [];
});

type Line = Record<string, unknown> & { msg: string; requestId?: string };
const parsed = (): Line[] => lines.map((l) => JSON.parse(l) as Line);

/** pino-http writes its line when the response has finished, which may be just after the client has it. */
async function linesOf(requestId: string, msg: string): Promise<Line[]> {
  for (let i = 0; i < 50 && !parsed().some((l) => l.requestId === requestId && l.msg === msg); i++) await new Promise((r) => setTimeout(r, 20));
  return parsed().filter((l) => l.requestId === requestId);
}

const ME = { query: '{ me { sessionId } }' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

it("takes the caller's X-Request-Id, returns it and logs it with the request", async () => {
  const id = `client-${Date.now()}-abc`;
  const r = await postJson(server.url, { query: '{ auditEvents(first: 1) { edges { cursor } } }' }, { 'x-request-id': id });
  expect(r.headers.get('x-request-id')).toBe(id);
  const mine = await linesOf(id, 'request completed');
  // (Lines written while answering, on the request's logger, carry it too: see the masked error below.)
  expect(mine.map((l) => l.msg)).toEqual(['request completed']);
  expect(mine.find((l) => l.msg === 'request completed')).toMatchObject({ level: 'info', req: { method: 'POST', url: '/graphql' }, res: { statusCode: expect.any(Number) } });
});

it('uses the trace id of a valid traceparent, and generates an id for anything else', async () => {
  const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
  expect((await postJson(server.url, ME, { traceparent: `00-${trace}-00f067aa0ba902b7-01` })).headers.get('x-request-id')).toBe(trace);
  // X-Request-Id wins over traceparent.
  expect((await postJson(server.url, ME, { 'x-request-id': 'given-id-123', traceparent: `00-${trace}-00f067aa0ba902b7-01` })).headers.get('x-request-id')).toBe('given-id-123');
  const refused: Record<string, string>[] = [
    { 'x-request-id': 'has spaces in it' },
    { 'x-request-id': 'short' },
    { 'x-request-id': `a${'b'.repeat(200)}` },
    { 'x-request-id': '{"injected":true}' },
    { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` },
    { traceparent: `00-${trace.toUpperCase()}-00f067aa0ba902b7-01` },
    { traceparent: `ff-${trace}-00f067aa0ba902b7-01` },
    { traceparent: `00-${trace}-00f067aa0ba902b7-01-extra` },
    {},
  ];
  const ids = [];
  for (const headers of refused) {
    const id = (await postJson(server.url, ME, headers)).headers.get('x-request-id');
    expect(id).toMatch(UUID);
    ids.push(id);
  }
  expect(new Set(ids).size).toBe(ids.length);
});

it('a masked internal error carries the request id, and its log line too', async () => {
  const id = `masked-${Date.now()}`;
  await server.database.db.execute(sql.raw('revoke select on users from warden_app'));
  try {
    const r = await postJson(server.url, { query: 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', variables: { i: { tenant: 'acme', email: 'lead@acme.test', password: DEMO_PASSWORD } } }, { 'x-request-id': id });
    const ext = r.json.errors[0].extensions;
    expect(ext).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', requestId: id, correlationId: expect.stringMatching(UUID) });
    const internal = (await linesOf(id, 'request completed')).find((l) => l.msg === 'internal error');
    expect(internal).toMatchObject({ level: 'error', correlationId: ext.correlationId, requestId: id });
  } finally {
    await server.database.db.execute(sql.raw('grant select on users to warden_app'));
  }
  // The typed password was never written, even beside a failing login.
  expect(lines.join('\n')).not.toContain(DEMO_PASSWORD);
});

it('passwords, tokens, Authorization and cookies never reach the log', async () => {
  const lead = await server.as('lead');
  const id = `redact-${Date.now()}`;
  await lead.request('{ me { sessionId } }', {}, { 'x-request-id': id, cookie: 'session=cookie-secret-value' });
  const [completed] = (await linesOf(id, 'request completed')).filter((l) => l.msg === 'request completed');
  expect(completed).toMatchObject({ req: { headers: { authorization: '[redacted]', cookie: '[redacted]' } } });
  // GET puts variables in the URL; the URL is logged without its query string.
  const get = `get-${Date.now()}`;
  await getQuery(server.url, { query: 'query($p: String!) { __typename }', variables: JSON.stringify({ p: 'password-in-url-9876' }) }, { 'x-request-id': get });
  const [getLine] = (await linesOf(get, 'request completed')).filter((l) => l.msg === 'request completed');
  expect(getLine).toMatchObject({ req: { method: 'GET', url: '/graphql' } });
  const all = lines.join('\n');
  for (const secret of [lead.token!, lead.refreshToken!, DEMO_PASSWORD, 'cookie-secret-value', 'password-in-url-9876']) expect(all).not.toContain(secret);
  expect(all).toContain('request completed');
});

it('fields named like credentials or personal data are redacted wherever the code logs them', async () => {
  const { logger } = await import('../../src/lib/logger');
  logger.warn('example', { email: 'someone@example.com', input: { password: 'p4ssw0rd-xyz', email: 'x@example.com' }, token: 'tok-abc-123', events: [{ detail: { ip: '203.0.113.9' } }] });
  const text = lines.join('\n');
  for (const v of ['someone@example.com', 'p4ssw0rd-xyz', 'x@example.com', 'tok-abc-123', '203.0.113.9']) expect(text).not.toContain(v);
  expect(JSON.parse(lines[0])).toMatchObject({ level: 'warn', msg: 'example', email: '[redacted]', input: { password: '[redacted]' } });
});
