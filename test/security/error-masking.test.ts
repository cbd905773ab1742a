import { GraphQLError, type GraphQLSchema } from 'graphql';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { applyAuthorizationTransform } from '../../src/authz/transform';
import { buildBaseSchema } from '../../src/schema';
import { startApp, type App } from '../../src/server/app';
import { GraphQLClient, collect } from '../testkit/client';
import { expectNoStackTrace } from '../testkit/http';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * Unexpected errors are masked at the edge: the client gets INTERNAL_SERVER_ERROR and a correlation id,
 * the server log gets the same id beside the real error (docs/architecture.md, guarantee 8).
 */
const SECRET = 'password authentication failed for user "warden" at db-internal.acme.lan:5432';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The real schema, with Viewer fields that fail the ways real code does; no test hook in src/. */
function faultySchema(): GraphQLSchema {
  const failures: Record<string, () => unknown> = {
    clearance: () => {
      throw new Error(SECRET);
    },
    sessionId: () => {
      throw new GraphQLError(SECRET, { extensions: { code: 'DATABASE_ERROR', query: 'select password_hash from users' } });
    },
    roles: () => Promise.reject(`${SECRET} (a bare string)`),
    permissions: () => {
      throw Object.assign(new TypeError(SECRET), { extensions: { code: 'INTERNAL', debug: SECRET } });
    },
  };
  const base = mapSchema(buildBaseSchema(), {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      if (typeName === 'Viewer' && failures[fieldName]) return { ...field, resolve: failures[fieldName] };
      // Rejections with values that are not Errors, on nullable fields: never to be served as the data.
      if (typeName === 'Customer' && fieldName === 'company') return { ...field, resolve: () => Promise.reject(SECRET) };
      if (typeName === 'Customer' && fieldName === 'owner') {
        return { ...field, resolve: () => Promise.reject({ id: 'x', email: SECRET, displayName: SECRET, status: 'ACTIVE' }) };
      }
      return field;
    },
  });
  return applyAuthorizationTransform(base);
}

let server: TestServer;
let faulty: App;
let agent: GraphQLClient;
beforeAll(async () => {
  server = await createTestServer();
  faulty = await startApp(server.services, { port: 0, host: '127.0.0.1', schema: faultySchema() });
  agent = new GraphQLClient(faulty.url, (await server.as('agent')).token);
});
afterAll(async () => {
  await faulty?.stop();
  await server?.stop();
});

// The logger writes error lines to stderr (src/lib/logger.ts): capture them.
let logged: string[] = [];
let stderr: jest.SpyInstance;
beforeEach(() => {
  logged = [];
  stderr = jest.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return true;
  }) as typeof process.stderr.write);
});
afterEach(() => stderr.mockRestore());

/** The log entries (JSON lines) that carry this correlation id. */
function logEntriesFor(correlationId: string) {
  return logged
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: string; correlationId?: string; requestId?: string; err?: unknown })
    .filter((entry) => entry.correlationId === correlationId);
}

type Err = { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> };

function expectMasked(error: Err | undefined, path: (string | number)[]) {
  expect(error).toEqual({
    message: 'Internal server error',
    path,
    // The request id too: the client can quote it, and every log line of the request carries it.
    extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId: expect.stringMatching(UUID), requestId: expect.any(String) },
  });
  const id = error!.extensions!.correlationId as string;
  const entries = logEntriesFor(id);
  expect(entries).toHaveLength(1);
  expect(entries[0].level).toBe('error');
  expect(entries[0].requestId).toBe(error!.extensions!.requestId);
  expect(JSON.stringify(entries[0].err)).toContain('db-internal.acme.lan'); // the real error is in the log
  return id;
}

describe('unexpected errors over HTTP', () => {
  it.each([
    ['an Error thrown by a resolver', 'clearance'],
    ['a GraphQLError with a code the client may not see', 'sessionId'],
    ['a rejection with a bare string', 'roles'],
    ['an error carrying its own extensions', 'permissions'],
  ])('masks %s as INTERNAL_SERVER_ERROR with a correlation id that is in the log', async (_name, field) => {
    const r = await agent.request(`{ me { ${field === 'roles' ? 'roles { key }' : field} } }`);
    expectNoStackTrace(r);
    expect(JSON.stringify(r)).not.toMatch(/db-internal|password|select /);
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ me: null }); // non-null field: the error propagates to the nullable parent
    expect(r.errors).toHaveLength(1);
    expectMasked(r.errors![0] as Err, ['me', field]);
  });

  it.each([
    ['a rejected string as a String', 'company'],
    ['a rejected plain object as the object', 'owner { email displayName }'],
  ])('masks rather than serves %s', async (_name, selection) => {
    const field = selection.split(' ')[0];
    const r = await agent.request<{ customers: { edges: { node: Record<string, unknown> }[] } }>(`{ customers(first: 1) { edges { node { name ${selection} } } } }`);
    expectNoStackTrace(r);
    expect(JSON.stringify(r)).not.toMatch(/db-internal|password/);
    expect(r.data?.customers.edges[0].node).toEqual({ name: expect.any(String), [field]: null });
    expect(r.errors).toHaveLength(1);
    expectMasked(r.errors?.[0] as Err, ['customers', 'edges', 0, 'node', field]);
  });

  it('gives every failure its own correlation id', async () => {
    const a = await agent.request('{ me { clearance } }');
    const b = await agent.request('{ me { clearance } }');
    const ids = [a, b].map((r) => expectMasked(r.errors![0] as Err, ['me', 'clearance']));
    expect(new Set(ids).size).toBe(2);
  });

  it('keeps the rest of the response, and expected errors pass with their own code and no correlation id', async () => {
    const r = await agent.request<{ me: { user: { email: string } } | null }>('{ me { user { email } } }');
    expect(r.data).toEqual({ me: { user: { email: 'agent@acme.test' } } });
    const anonymous = await new GraphQLClient(faulty.url).request('{ me { clearance } }');
    expect(anonymous.errors?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED' });
    expect(logged.join('')).not.toMatch(/internal error/);
  });
});

describe('unexpected errors over WebSocket', () => {
  it('masks them the same way, with the correlation id in the log', async () => {
    const ws = agent.ws();
    try {
      const [result] = await collect<{ me: unknown }>(ws, '{ me { clearance } }', {}, 1).done;
      expectNoStackTrace(result);
      expect(JSON.stringify(result)).not.toMatch(/db-internal|password/);
      expect(result.data).toEqual({ me: null });
      expectMasked(result.errors?.[0] as Err, ['me', 'clearance']);
    } finally {
      await ws.dispose();
    }
  });
});
