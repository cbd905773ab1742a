import { sql } from 'drizzle-orm';
import { setLogSink } from '../../src/lib/logger';
import type { GraphQLClient } from '../testkit/client';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * The server log of an internal database error names the statement (its SQL text, placeholders only),
 * the SQLSTATE and the error's name, never the values the statement ran with: drizzle's "Failed query:
 * ... params: ..." message and PostgreSQL's detail carry e-mail addresses, names and tenant ids.
 * Each fault is a real one in the test database (a constraint, a revoked privilege), not a mock.
 */
let server: TestServer;
let lead: GraphQLClient;
let lines: string[] = [];
beforeAll(async () => {
  server = await createTestServer();
  lead = await server.as('lead');
  // The lines these faults log are expected: read here, kept out of the test output.
  setLogSink((_level, line) => lines.push(line));
});
afterAll(async () => {
  setLogSink();
  await server.stop();
});
beforeEach(() => {
  lines = [];
});

const internal = (r: { errors?: { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions;

/** The logged record of the internal error the client was told about (by its correlation id). */
function logged(correlationId: unknown): { text: string; record: Record<string, unknown> } {
  const text = lines.find((l) => l.includes(String(correlationId)));
  expect(text).toBeDefined();
  return { text: text!, record: JSON.parse(text!) as Record<string, unknown> };
}

it('a constraint violation on insert: SQLSTATE, constraint and statement, no title, no tenant id', async () => {
  const canary = `Canary title ${Date.now()}`;
  await server.database.db.execute(sql.raw(`alter table articles add constraint test_no_canary check (title not like 'Canary title %') not valid`));
  try {
    const r = await lead.request('mutation($i: CreateArticleInput!) { createArticle(input: $i) { id } }', { i: { title: canary, body: 'Body of the canary' } });
    expect(internal(r)?.code).toBe('INTERNAL_SERVER_ERROR');
    const { text, record } = logged(internal(r)?.correlationId);
    expect(text).toContain('23514'); // check_violation
    expect(text).toContain('test_no_canary');
    expect(text).toMatch(/insert into \\"articles\\"/);
    expect(text).not.toContain(canary);
    expect(text).not.toContain('Body of the canary');
    expect(text).not.toContain(server.tenantId);
    expect(text).not.toMatch(/params:|Failing row/);
    expect(record).toMatchObject({ level: 'error', err: { name: 'DrizzleQueryError', message: 'Failed query', cause: { code: '23514', constraint: 'test_no_canary' } } });
  } finally {
    await server.database.db.execute(sql.raw('alter table articles drop constraint test_no_canary'));
  }
});

it('a refused privilege during login: SQLSTATE and statement, not the typed e-mail address', async () => {
  const email = `canary.${Date.now()}@acme.test`;
  await server.database.db.execute(sql.raw('revoke select on users from warden_app'));
  try {
    const r = await server.client().request('mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { tenant: 'acme', email, password: 'whatever-password' } });
    expect(internal(r)?.code).toBe('INTERNAL_SERVER_ERROR');
    const { text } = logged(internal(r)?.correlationId);
    expect(text).toContain('42501'); // insufficient_privilege
    expect(text).toMatch(/from \\"users\\"/);
    expect(text).not.toContain(email);
    expect(text).not.toContain(server.tenantId);
  } finally {
    await server.database.db.execute(sql.raw('grant select on users to warden_app'));
  }
  expect((await server.client().request('mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { tenant: 'acme', email, password: 'x' } })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
});

it('a value PostgreSQL quotes in its message is not logged either', async () => {
  // A uuid the database cannot parse, sent past the application: 22P02 says 'invalid input syntax for type uuid: "..."'.
  const value = `not-a-uuid-${Date.now()}`;
  const err = await server.database.db.execute(sql`select ${value}::uuid`).then(
    () => undefined,
    (e: unknown) => e,
  );
  const { logger } = await import('../../src/lib/logger');
  logger.error('internal error', { err });
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain('22P02');
  expect(lines[0]).not.toContain(value);
});
