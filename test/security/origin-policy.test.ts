import { exportPKCS8, generateKeyPair } from 'jose';
import WebSocket from 'ws';
import type { GraphQLClient } from '../testkit/client';
import { postJson, rawRequest, type RawResponse } from '../testkit/http';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * Which browser pages may call /graphql: the server's own host, WARDEN_ALLOWED_ORIGINS, and (outside
 * production, by default) loopback origins. Others get 403 FORBIDDEN_ORIGIN over HTTP and a 403 on the
 * WebSocket upgrade; requests without Origin (curl, servers) are not affected.
 */
const ME = '{ me { user { email } } }';
const EVIL = 'https://evil.example';

let dev: TestServer;
let listed: TestServer;
let production: TestServer;
let agent: GraphQLClient;
beforeAll(async () => {
  dev = await createTestServer();
  agent = await dev.as('agent');
  listed = await createTestServer({ env: { WARDEN_ALLOWED_ORIGINS: 'https://app.example, https://admin.example:8443' } });
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  production = await createTestServer({ env: { NODE_ENV: 'production', WARDEN_JWT_PRIVATE_KEY: await exportPKCS8(privateKey) } });
});
afterAll(async () => {
  await dev?.stop();
  await listed?.stop();
  await production?.stop();
});

const ownOrigin = (s: TestServer) => new URL(s.url).origin;
const post = (s: TestServer, origin: string | undefined, query = '{ __typename }', token?: string) =>
  postJson(s.url, { query }, { ...(origin && { origin }), ...(token && { authorization: `Bearer ${token}` }) });
const code = (r: RawResponse) => r.json?.errors?.[0]?.extensions?.code;

function expectRefused(r: RawResponse) {
  expect(r.status).toBe(403);
  expect(code(r)).toBe('FORBIDDEN_ORIGIN');
  expect(r.json.data).toBeUndefined();
  expect(r.headers.get('access-control-allow-origin')).toBeNull();
}

function expectServed(r: RawResponse, origin: string | undefined) {
  expect(r.status).toBe(200);
  expect(r.json.data).toEqual({ __typename: 'Query' });
  expect(r.headers.get('access-control-allow-origin')).toBe(origin ?? null);
}

/** The WebSocket upgrade: the HTTP status of a refused handshake, or the graphql-ws message after connection_init. */
function upgrade(s: TestServer, origin?: string): Promise<{ status: number } | { message: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(s.url.replace(/^http/, 'ws'), 'graphql-transport-ws', origin ? { origin } : {});
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.destroy();
    });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: {} })));
    ws.on('message', (data) => {
      resolve({ message: (JSON.parse(String(data)) as { type: string }).type });
      ws.close();
    });
    ws.on('error', reject);
  });
}

describe('HTTP', () => {
  it('refuses a page at another origin with 403 FORBIDDEN_ORIGIN, without running its mutation', async () => {
    expectRefused(await post(dev, EVIL));
    expectRefused(await post(dev, EVIL, 'mutation { logout }', agent.token));
    expect((await agent.request(ME)).data).toEqual({ me: { user: { email: 'agent@acme.test' } } });
  });

  it('refuses Origin: null and non-http origins', async () => {
    expectRefused(await post(dev, 'null'));
    expectRefused(await post(dev, 'chrome-extension://abcdef'));
  });

  it('answers a preflight from another origin without Access-Control-Allow-Origin', async () => {
    const r = await rawRequest(dev.url, { method: 'OPTIONS', headers: { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(r.status).toBe(403);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a preflight from an allowed origin with CORS headers', async () => {
    const origin = 'http://localhost:5173';
    const r = await rawRequest(dev.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe(origin);
  });

  it('outside production allows loopback origins on any port', async () => {
    for (const origin of ['http://localhost:5173', 'http://localhost', 'http://127.0.0.1:8080', 'http://[::1]:3000', 'https://localhost:8443']) {
      expectServed(await post(dev, origin), origin);
    }
  });

  it('serves requests without Origin (curl, server-to-server) and from the server itself', async () => {
    for (const s of [dev, listed, production]) {
      expectServed(await post(s, undefined), undefined);
      expectServed(await post(s, ownOrigin(s)), ownOrigin(s));
    }
  });

  it('with WARDEN_ALLOWED_ORIGINS allows exactly those (and the server itself), loopback no longer', async () => {
    expectServed(await post(listed, 'https://app.example'), 'https://app.example');
    expectServed(await post(listed, 'https://admin.example:8443'), 'https://admin.example:8443');
    for (const origin of ['http://localhost:5173', 'http://app.example', 'https://admin.example', 'https://app.example.evil.example', EVIL]) {
      expectRefused(await post(listed, origin));
    }
  });

  it('in production allows no other origin by default, loopback included', async () => {
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:8080', EVIL]) expectRefused(await post(production, origin));
  });
});

describe('WebSocket upgrade', () => {
  it('refuses another origin with HTTP 403 before graphql-ws acknowledges anything', async () => {
    expect(await upgrade(dev, EVIL)).toEqual({ status: 403 });
    expect(await upgrade(listed, 'http://localhost:5173')).toEqual({ status: 403 });
    expect(await upgrade(production, 'http://localhost:5173')).toEqual({ status: 403 });
  });

  it('accepts allowed origins, the server itself and clients without Origin', async () => {
    expect(await upgrade(dev, 'http://localhost:5173')).toEqual({ message: 'connection_ack' });
    expect(await upgrade(listed, 'https://app.example')).toEqual({ message: 'connection_ack' });
    for (const s of [dev, production]) {
      expect(await upgrade(s, ownOrigin(s))).toEqual({ message: 'connection_ack' });
      expect(await upgrade(s)).toEqual({ message: 'connection_ack' });
    }
  });
});
