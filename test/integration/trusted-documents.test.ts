import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import type { Client } from 'graphql-ws';
import { trustedDocuments } from '../../src/db/schema';
import { withTenantTx } from '../../src/db/tenant-tx';
import { setLogLevel, setLogSink } from '../../src/lib/logger';
import { registry } from '../../src/metrics/registry';
import { documentHash } from '../../src/modules/trusted-documents/manifest';
import { registerManifest } from '../../src/modules/trusted-documents/trusted-documents.service';
import { TrustedDocumentStore, UNKNOWN_TTL_MS } from '../../src/modules/trusted-documents/trusted-documents.store';
import type { GraphQLClient } from '../testkit/client';
import { getQuery, postJson } from '../testkit/http';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * Trusted documents over HTTP and WebSocket: under `require` only registered documents run (by text,
 * by Apollo's sha256Hash or by documentId), others are refused with TRUSTED_DOCUMENT_REQUIRED (403)
 * unless the signed-in viewer holds an ad-hoc permission; under `allow` they run, logged and counted.
 */
// The front end's sign-in document, exactly as the test client sends it: registered like any other.
const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }';
const ME = 'query Me { me { user { email } } }';
const UNREGISTERED = 'query Ad { me { user { email } roles { key } } }';
const manifest = (...docs: string[]) => JSON.stringify(Object.fromEntries(docs.map((d) => [documentHash(d), d])));

async function untrustedCount(outcome: string, transport: string): Promise<number> {
  const metric = await registry.getSingleMetric('warden_untrusted_documents_total')!.get();
  return metric.values.find((v) => v.labels.outcome === outcome && v.labels.transport === transport)?.value ?? 0;
}

type WsResult = { data?: Record<string, unknown>; errors?: { message: string; extensions?: Record<string, unknown> }[] };
/** The first result (or the errors) of one operation over graphql-ws, with any payload fields. */
function overWs(client: GraphQLClient, payload: Record<string, unknown>): Promise<WsResult> {
  const ws: Client = client.ws();
  return new Promise<WsResult>((resolve) => {
    const stop = ws.subscribe(payload as { query: string }, {
      next: (r) => {
        resolve(r as WsResult);
        stop();
      },
      error: (e) => resolve({ errors: Array.isArray(e) ? e : [{ message: String((e as Error)?.message ?? e) }] }),
      complete: () => resolve({}),
    });
  }).finally(() => void ws.dispose());
}

describe('WARDEN_TRUSTED_DOCUMENTS=require', () => {
  let server: TestServer;
  let lead: GraphQLClient;
  let analyst: GraphQLClient;
  beforeAll(async () => {
    server = await createTestServer({ env: { WARDEN_TRUSTED_DOCUMENTS: 'require', WARDEN_TRUSTED_DOCUMENTS_ADHOC_PERMISSIONS: 'AUDIT_READ' } });
    expect(await registerManifest(server.database.db, manifest(LOGIN, ME), 'test-front-end')).toEqual({ entries: 2, added: 2 });
    // Signing in works because the front end's login document is registered.
    lead = await server.as('lead');
    analyst = await server.as('analyst');
  });
  afterAll(() => server.stop());

  it('runs a registered document sent as text, as sha256Hash or as documentId', async () => {
    const hash = documentHash(ME);
    expect((await lead.request(ME)).data).toEqual({ me: { user: { email: 'lead@acme.test' } } });
    const auth = { authorization: `Bearer ${lead.token}` };
    const byHash = await postJson(server.url, { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }, auth);
    expect(byHash.status).toBe(200);
    expect(byHash.json.data).toEqual({ me: { user: { email: 'lead@acme.test' } } });
    const byId = await postJson(server.url, { documentId: `sha256:${hash}` }, auth);
    expect(byId.json.data).toEqual({ me: { user: { email: 'lead@acme.test' } } });
    // GET, as Apollo Client's persisted-query link sends queries (a preflight header for CSRF prevention).
    const byGet = await getQuery(server.url, { extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }) }, { ...auth, 'apollo-require-preflight': 'true' });
    expect(byGet.json.data).toEqual({ me: { user: { email: 'lead@acme.test' } } });
  });

  it('refuses an unregistered document with TRUSTED_DOCUMENT_REQUIRED (403), signed in or not', async () => {
    const before = await untrustedCount('refused', 'http');
    for (const client of [lead, server.client()]) {
      const r = await client.request(UNREGISTERED);
      expect(r.status).toBe(403);
      expect(r.data).toBeUndefined();
      expect(r.errors?.[0].extensions?.code).toBe('TRUSTED_DOCUMENT_REQUIRED');
    }
    // A sign-in document the front end did not register is refused like any other.
    const login = await server.client().request('mutation Other($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { tenant: 'acme', email: 'lead@acme.test', password: DEMO_PASSWORD } });
    expect(login.errors?.[0].extensions?.code).toBe('TRUSTED_DOCUMENT_REQUIRED');
    expect(await untrustedCount('refused', 'http')).toBe(before + 3);
  });

  it('lets a viewer holding an ad-hoc permission send any document, only once the session is checked', async () => {
    const before = await untrustedCount('adhoc', 'http');
    expect((await analyst.request(UNREGISTERED)).data).toEqual({ me: { user: { email: 'analyst@acme.test' }, roles: [{ key: 'security_analyst' }] } });
    expect(await untrustedCount('adhoc', 'http')).toBe(before + 1);
    // The same token after its session ended does not qualify.
    const ended = await server.as('analyst');
    await ended.ok('mutation { logout }');
    expect((await ended.request(UNREGISTERED)).errors?.[0].extensions?.code).toBe('TRUSTED_DOCUMENT_REQUIRED');
  });

  it('never registers a document a client sends with its hash (no automatic persisted queries)', async () => {
    const hash = documentHash(UNREGISTERED);
    const withText = await postJson(server.url, { query: UNREGISTERED, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }, { authorization: `Bearer ${lead.token}` });
    expect(withText.json.errors[0].extensions.code).toBe('TRUSTED_DOCUMENT_REQUIRED');
    const byHash = await postJson(server.url, { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }, { authorization: `Bearer ${analyst.token}` });
    expect(byHash.status).toBe(200);
    expect(byHash.json.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const mismatch = await postJson(server.url, { query: ME, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect((await postJson(server.url, { documentId: 'md5:abc' })).json.errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('applies the same rules over WebSocket', async () => {
    const hash = documentHash(ME);
    expect(await overWs(lead, { query: ME })).toEqual({ data: { me: { user: { email: 'lead@acme.test' } } } });
    expect(await overWs(lead, { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: hash } } })).toEqual({ data: { me: { user: { email: 'lead@acme.test' } } } });
    expect(await overWs(lead, { query: '', documentId: `sha256:${hash}` })).toEqual({ data: { me: { user: { email: 'lead@acme.test' } } } });
    const before = await untrustedCount('refused', 'ws');
    const refused = await overWs(lead, { query: UNREGISTERED });
    expect(refused.errors?.[0].extensions?.code).toBe('TRUSTED_DOCUMENT_REQUIRED');
    expect(await untrustedCount('refused', 'ws')).toBe(before + 1);
    const unknown = await overWs(lead, { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: documentHash('{ nothing }') } } });
    expect(unknown.errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await overWs(analyst, { query: UNREGISTERED })).data).toEqual({ me: { user: { email: 'analyst@acme.test' }, roles: [{ key: 'security_analyst' }] } });
  });
});

describe('the registry', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ seed: false });
  });
  afterAll(() => server.stop());

  it('cannot be written by the application role: no request can add a trusted document', async () => {
    const doc = '{ __typename }';
    const insert = withTenantTx(server.database.db, null, (tx) => tx.insert(trustedDocuments).values({ hash: documentHash(doc), document: doc }));
    // drizzle wraps the driver's error: insufficient_privilege (42501) is its cause.
    await expect(insert).rejects.toMatchObject({ cause: expect.objectContaining({ code: '42501' }) });
    await expect(registerManifest(server.database.db, manifest(doc), 'operator')).resolves.toEqual({ entries: 1, added: 1 });
  });

  it('sees a document registered after it was asked for once the unknown answer expires', async () => {
    let clock = 1_000_000;
    const store = new TrustedDocumentStore(server.database, () => clock);
    const doc = 'query Later { __typename }';
    expect(await store.get(documentHash(doc))).toBeUndefined();
    await registerManifest(server.database.db, manifest(doc), null);
    clock += UNKNOWN_TTL_MS - 1;
    expect(await store.get(documentHash(doc))).toBeUndefined();
    clock += 2;
    expect(await store.get(documentHash(doc))).toBe(doc);
  });
});

describe('WARDEN_TRUSTED_DOCUMENTS=allow', () => {
  let server: TestServer;
  let lead: GraphQLClient;
  const lines: string[] = [];
  beforeAll(async () => {
    server = await createTestServer({ env: { WARDEN_TRUSTED_DOCUMENTS: 'allow' } });
    await registerManifest(server.database.db, manifest(ME), null);
    lead = await server.as('lead');
    setLogLevel('warn');
    setLogSink((_level, line) => lines.push(line));
  });
  afterAll(async () => {
    setLogSink();
    await server.stop();
  });
  const logged = (hash: string) => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'unregistered GraphQL document executed' && l.documentHash === hash);

  it('runs unregistered documents over HTTP, logging each once (hash and name, not the text) and counting every one', async () => {
    const before = await untrustedCount('allowed', 'http');
    const doc = 'query AllowedHttp { me { user { email } } }';
    for (let i = 0; i < 2; i++) expect((await lead.request(doc)).data).toEqual({ me: { user: { email: 'lead@acme.test' } } });
    expect((await lead.request(ME)).data).toEqual({ me: { user: { email: 'lead@acme.test' } } });
    expect(await untrustedCount('allowed', 'http')).toBe(before + 2);
    const [line, ...more] = logged(documentHash(doc));
    expect(more).toEqual([]);
    expect(line).toMatchObject({ operationName: 'AllowedHttp', transport: 'http' });
    expect(JSON.stringify(line)).not.toContain('user { email }');
    expect(logged(documentHash(ME))).toEqual([]);
  });

  it('runs unregistered documents over WebSocket, logged and counted', async () => {
    const before = await untrustedCount('allowed', 'ws');
    const doc = 'query AllowedWs { me { user { email } } }';
    expect(await overWs(lead, { query: doc })).toEqual({ data: { me: { user: { email: 'lead@acme.test' } } } });
    expect(await untrustedCount('allowed', 'ws')).toBe(before + 1);
    expect(logged(documentHash(doc))).toHaveLength(1);
  });
});
