import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, decodeJwt, exportJWK, exportPKCS8, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { loadSigningKeys, type SigningKeys } from '../../src/authn/keys';
import { TokenService } from '../../src/authn/tokens';
import type { Config } from '../../src/config';
import { collect, type GraphQLClient } from '../testkit/client';
import { expectNoStackTrace } from '../testkit/http';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * Every access token that is not exactly one Warden issued, for a live session, is UNAUTHENTICATED
 * (RFC 8725, JWT best current practice; RFC 9068 for `typ: at+jwt`).
 */
const ME = '{ me { user { email } } }';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

let server: TestServer;
let keys: SigningKeys;
let ourSpkiPem: string;
let ourPublicJwk: JWK;
let attacker: { privateKey: CryptoKey; jwk: JWK };
let agent: GraphQLClient;
/** The claims of a real session of the agent: forged tokens reuse them, so only the forgery differs. */
let claims: { sub: string; sid: string; tid: string };

// A JWKS server an attacker controls: a token whose header points here must never make Warden call it.
let jwksRequests = 0;
let jwksServer: http.Server;
let jwksUrl: string;

beforeAll(async () => {
  const ours = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  ourSpkiPem = await exportSPKI(ours.publicKey);
  ourPublicJwk = await exportJWK(ours.publicKey);
  const theirs = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  attacker = { privateKey: theirs.privateKey, jwk: await exportJWK(theirs.publicKey) };

  jwksServer = http.createServer((_req, res) => {
    jwksRequests++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [{ ...attacker.jwk, alg: 'EdDSA', use: 'sig' }] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;

  // The server signs with a key this test knows, so "right key, wrong claims" tokens can be made.
  server = await createTestServer({ env: { WARDEN_JWT_PRIVATE_KEY: await exportPKCS8(ours.privateKey) } });
  keys = await loadSigningKeys(server.services.config);
  agent = await server.as('agent');
  const payload = decodeJwt(agent.token!);
  claims = { sub: payload.sub!, sid: payload.sid as string, tid: payload.tid as string };
});

afterAll(async () => {
  await server?.stop();
  await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
});

async function meWith(authorization: string | undefined) {
  const r = await server.client().request<{ me: { user: { email: string } } | null }>(ME, undefined, authorization === undefined ? {} : { authorization });
  expectNoStackTrace(r);
  return r;
}

async function expectUnauthenticated(authorization: string) {
  const r = await meWith(authorization);
  expect(r.status).toBe(200);
  expect(r.data?.me ?? null).toBeNull();
  expect(r.errors).toHaveLength(1);
  expect(r.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  expect(r.errors?.[0].path).toEqual(['me']);
}

/** A token signed by Warden's own TokenService code, with our key but a different configuration. */
function signedByUs(jwt: Partial<Config['jwt']> = {}) {
  return new TokenService(keys, { ...server.services.config.jwt, ...jwt }).signAccess(claims);
}

type Craft = { header?: Record<string, unknown>; payload?: Record<string, unknown>; key?: CryptoKey };

/** A token built claim by claim; with no overrides it is exactly what Warden would accept. */
function craft({ header = {}, payload = {}, key }: Craft = {}) {
  const { issuer, audience } = server.services.config.jwt;
  const now = Math.floor(Date.now() / 1000);
  const body = { iss: issuer, aud: audience, sub: claims.sub, sid: claims.sid, tid: claims.tid, iat: now, exp: now + 300, jti: randomUUID(), ...payload };
  for (const [k, v] of Object.entries(body)) if (v === undefined) delete (body as Record<string, unknown>)[k];
  const protectedHeader = { alg: 'EdDSA', typ: 'at+jwt', kid: keys.kid, ...header };
  for (const [k, v] of Object.entries(protectedHeader)) if (v === undefined) delete (protectedHeader as Record<string, unknown>)[k];
  return new SignJWT(body).setProtectedHeader(protectedHeader as { alg: string }).sign(key ?? keys.privateKey);
}

/** header.payload.signature, assembled by hand for algorithms jose refuses to produce. */
function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>, signature = '') {
  return `${b64(header)}.${b64(payload)}.${signature}`;
}

function hs256(header: Record<string, unknown>, payload: Record<string, unknown>, secret: Buffer | string) {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const validPayload = () => decodeJwt(agent.token!) as Record<string, unknown>;

describe('controls: the forging helpers make tokens Warden accepts when nothing is wrong', () => {
  it('accepts the token from login', async () => {
    const r = await meWith(`Bearer ${agent.token}`);
    expect(r.data?.me?.user.email).toBe('agent@acme.test');
  });

  it('accepts a token from a TokenService with the server configuration', async () => {
    const r = await meWith(`Bearer ${await signedByUs()}`);
    expect(r.data?.me?.user.email).toBe('agent@acme.test');
  });

  it('accepts a token crafted claim by claim with no override', async () => {
    const r = await meWith(`Bearer ${await craft()}`);
    expect(r.data?.me?.user.email).toBe('agent@acme.test');
  });
});

describe('right key, wrong claims', () => {
  it('refuses an expired token', async () => {
    await expectUnauthenticated(`Bearer ${await signedByUs({ accessTtl: -60 })}`);
  });

  it('refuses a token it accepted before once that token has expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await craft({ payload: { iat: now, exp: now + 2 } });
    expect((await meWith(`Bearer ${token}`)).data?.me?.user.email).toBe('agent@acme.test');
    await new Promise((resolve) => setTimeout(resolve, (now + 2 - Date.now() / 1000) * 1000 + 100));
    await expectUnauthenticated(`Bearer ${token}`);
  });

  it('refuses a token issued longer ago than the access-token lifetime, even with a later exp', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectUnauthenticated(`Bearer ${await craft({ payload: { iat: now - 3600, exp: now + 300 } })}`);
  });

  it('refuses a token that is not valid yet (nbf, iat in the future)', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectUnauthenticated(`Bearer ${await craft({ payload: { nbf: now + 600 } })}`);
    await expectUnauthenticated(`Bearer ${await craft({ payload: { iat: now + 600, exp: now + 900 } })}`);
  });

  it('refuses a token for another audience', async () => {
    await expectUnauthenticated(`Bearer ${await signedByUs({ audience: 'urn:warden:other-api' })}`);
  });

  it('refuses a token from another issuer', async () => {
    await expectUnauthenticated(`Bearer ${await signedByUs({ issuer: 'urn:evil' })}`);
  });

  it('refuses a token whose typ is not at+jwt (plain JWT, none, an ID token)', async () => {
    await expectUnauthenticated(`Bearer ${await craft({ header: { typ: 'JWT' } })}`);
    await expectUnauthenticated(`Bearer ${await craft({ header: { typ: undefined } })}`);
    await expectUnauthenticated(`Bearer ${await craft({ header: { typ: 'id_token+jwt' } })}`);
  });

  it('refuses tokens missing a required claim or with malformed ids', async () => {
    for (const claim of ['sub', 'sid', 'tid', 'exp', 'iat']) {
      await expectUnauthenticated(`Bearer ${await craft({ payload: { [claim]: undefined } })}`);
    }
    await expectUnauthenticated(`Bearer ${await craft({ payload: { sid: "' or 1=1 --" } })}`);
    await expectUnauthenticated(`Bearer ${await craft({ payload: { tid: 'acme' } })}`);
  });

  it('refuses a well-signed token naming a session that does not exist or is not the subject’s', async () => {
    await expectUnauthenticated(`Bearer ${await craft({ payload: { sid: randomUUID() } })}`);
    await expectUnauthenticated(`Bearer ${await craft({ payload: { sub: randomUUID() } })}`);
  });
});

describe('wrong key or no key', () => {
  it('refuses a token signed by another Ed25519 key, even with our kid', async () => {
    await expectUnauthenticated(`Bearer ${await craft({ key: attacker.privateKey })}`);
  });

  it('refuses a token whose payload was changed after signing', async () => {
    const [header, , signature] = agent.token!.split('.');
    const tampered = b64({ ...validPayload(), exp: Math.floor(Date.now() / 1000) + 86_400 * 365 });
    await expectUnauthenticated(`Bearer ${header}.${tampered}.${signature}`);
  });

  it('refuses alg none, with and without a signature part', async () => {
    const payload = validPayload();
    await expectUnauthenticated(`Bearer ${unsigned({ alg: 'none', typ: 'at+jwt' }, payload)}`);
    await expectUnauthenticated(`Bearer ${unsigned({ alg: 'none', typ: 'at+jwt' }, payload)}AAAA`);
    await expectUnauthenticated(`Bearer ${unsigned({ alg: 'None', typ: 'at+jwt' }, payload)}`);
    await expectUnauthenticated(`Bearer ${unsigned({ alg: 'EdDSA', typ: 'at+jwt', kid: keys.kid }, payload)}`);
  });

  it('refuses HS256 keyed with our public key (algorithm confusion)', async () => {
    const payload = validPayload();
    const header = { alg: 'HS256', typ: 'at+jwt', kid: keys.kid };
    await expectUnauthenticated(`Bearer ${hs256(header, payload, ourSpkiPem)}`);
    await expectUnauthenticated(`Bearer ${hs256(header, payload, Buffer.from(ourPublicJwk.x!, 'base64url'))}`);
    await expectUnauthenticated(`Bearer ${hs256({ ...header, kid: '../../../../dev/null' }, payload, '')}`);
  });

  it('refuses tokens whose header names a key to fetch or embeds one, and never fetches it', async () => {
    await expectUnauthenticated(`Bearer ${await craft({ key: attacker.privateKey, header: { jku: jwksUrl, kid: 'attacker' } })}`);
    await expectUnauthenticated(`Bearer ${await craft({ key: attacker.privateKey, header: { x5u: jwksUrl } })}`);
    await expectUnauthenticated(`Bearer ${await craft({ key: attacker.privateKey, header: { jwk: attacker.jwk } })}`);
    await expectUnauthenticated(`Bearer ${await craft({ key: attacker.privateKey, header: { jku: 'http://127.0.0.1:1/', kid: keys.kid } })}`);
    expect(jwksRequests).toBe(0);
  });
});

describe('malformed input', () => {
  it('refuses malformed Authorization headers', async () => {
    for (const header of ['Bearer', 'Bearer ', `Bearer  ${agent.token}`, `Bearer ${agent.token} x`, `Token ${agent.token}`, agent.token!, 'Basic YWdlbnRAYWNtZS50ZXN0OndhcmRlbi1kZW1v']) {
      await expectUnauthenticated(header);
    }
  });

  it('refuses garbage tokens', async () => {
    for (const token of ['garbage', 'a.b.c', '...', 'eyJ.eyJ.', `${'A'.repeat(6000)}.${'B'.repeat(100)}.C`, agent.token!.split('.').slice(0, 2).join('.')]) {
      await expectUnauthenticated(`Bearer ${token}`);
    }
  });

  it('refuses forged tokens on the WebSocket path too', async () => {
    for (const token of [await craft({ key: attacker.privateKey }), unsigned({ alg: 'none', typ: 'at+jwt' }, validPayload())]) {
      const ws = server.client(token).ws();
      try {
        const [result] = await collect<{ me: unknown }>(ws, ME, {}, 1).done;
        expect(result.data?.me ?? null).toBeNull();
        expect((result.errors?.[0] as { extensions?: { code?: string } }).extensions?.code).toBe('UNAUTHENTICATED');
      } finally {
        await ws.dispose();
      }
    }
  });
});

describe('ended sessions', () => {
  it('refuses the access token of a session that logged out', async () => {
    const user = await server.as('agent');
    expect((await user.request(ME)).data).toEqual({ me: { user: { email: 'agent@acme.test' } } });
    const out = await user.request<{ logout: boolean }>('mutation { logout }');
    expect(out.data?.logout).toBe(true);
    await expectUnauthenticated(`Bearer ${user.token}`);
    // The other session of the same user is untouched.
    expect((await meWith(`Bearer ${agent.token}`)).data?.me?.user.email).toBe('agent@acme.test');
  });
});
