import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, UnsecuredJWT, exportSPKI, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { createTestServer, type TestServer } from '../testkit/server';
import { startOidcProvider, type TestProvider } from '../testkit/oidc-provider';

const CONFIGURE = 'mutation($i: IdentityProviderInput!) { configureIdentityProvider(input: $i) { issuer algorithms roleMapping } }';
const BEGIN = 'mutation($t: String!, $r: String!) { beginSso(tenant: $t, redirectUri: $r) { authorizationUrl state nonce } }';
const COMPLETE = 'mutation($i: CompleteSsoInput!) { completeSso(input: $i) { accessToken refreshToken expiresIn } }';
const ME = '{ me { user { email displayName } roles { key } mfa { fresh } } }';
type Begin = { beginSso: { authorizationUrl: string; state: string; nonce: string } };
type Me = { me: { user: { email: string; displayName: string }; roles: { key: string }[]; mfa: { fresh: boolean } } };

describe('single sign-on with OpenID Connect, against a real provider started in the test', () => {
  let server: TestServer;
  let idp: TestProvider;
  beforeAll(async () => {
    server = await createTestServer();
    idp = await startOidcProvider();
    idp.accounts.set('u-1001', { sub: 'u-1001', email: 'mei.chen@acme.test', email_verified: true, name: '陈梅', groups: ['support-leads'] });
    idp.accounts.set('u-1002', { sub: 'u-1002', email: 'omar@acme.test', email_verified: true, name: 'Omar', groups: ['agents'] });
  });
  afterAll(async () => {
    await idp.stop();
    await server.stop();
  });

  const settings = () => ({
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    authorizationEndpoint: `${idp.issuer}/auth`,
    tokenEndpoint: `${idp.issuer}/token`,
    jwksUri: `${idp.issuer}/jwks`,
    algorithms: ['RS256'],
    roleMapping: [
      { group: 'support-leads', roles: ['support_lead'] },
      { group: 'agents', roles: ['support_agent'] },
    ],
  });
  const begin = async () => (await server.client().ok<Begin>(BEGIN, { t: 'acme', r: idp.redirectUri })).beginSso;
  const signIn = async (sub: string) => {
    const start = await begin();
    const params = await idp.authorize(start.authorizationUrl, sub);
    expect(params.get('state')).toBe(start.state);
    const r = await server.client().ok<{ completeSso: { accessToken: string } }>(COMPLETE, { i: { tenant: 'acme', state: start.state, code: params.get('code') } });
    return server.client(r.completeSso.accessToken);
  };

  it('refuses provider settings with unsafe algorithms, plain-http endpoints or unknown roles', async () => {
    const admin = await server.as('admin');
    for (const [patch, argument] of [
      [{ algorithms: ['HS256'] }, 'algorithms'],
      [{ algorithms: ['none'] }, 'algorithms'],
      [{ jwksUri: 'http://idp.example.com/jwks' }, 'jwksUri'],
      [{ tokenEndpoint: 'not a url' }, 'tokenEndpoint'],
      [{ roleMapping: [{ group: 'x', roles: ['root'] }] }, 'roleMapping'],
    ] as const) {
      const r = await admin.request(CONFIGURE, { i: { ...settings(), ...patch } });
      expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
    }
    expect((await (await server.as('lead')).request(CONFIGURE, { i: settings() })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await server.client().request(BEGIN, { t: 'acme', r: idp.redirectUri })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const ok = await admin.ok<{ configureIdentityProvider: { issuer: string; roleMapping: string } }>(CONFIGURE, { i: settings() });
    expect(JSON.parse(ok.configureIdentityProvider.roleMapping)).toEqual({ 'support-leads': ['support_lead'], agents: ['support_agent'] });
  });

  it('signs in with the authorization code and PKCE, provisioning the user with roles from their groups', async () => {
    const start = await begin();
    const url = new URL(start.authorizationUrl);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('nonce')).toBe(start.nonce);
    const client = await signIn('u-1001');
    const { me } = await client.ok<Me>(ME);
    expect(me).toEqual({ user: { email: 'mei.chen@acme.test', displayName: '陈梅' }, roles: [{ key: 'support_lead' }], mfa: { fresh: false } });
    const sessions = await client.ok<{ mySessions: { authMethod: string }[] }>('{ mySessions { authMethod } }');
    expect(sessions.mySessions).toEqual([{ authMethod: 'SSO' }]);
  });

  it('makes roles follow groups at each sign-in', async () => {
    idp.accounts.set('u-1001', { ...idp.accounts.get('u-1001')!, groups: ['agents', 'unmapped'] });
    const client = await signIn('u-1001');
    expect((await client.ok<Me>(ME)).me.roles).toEqual([{ key: 'support_agent' }]);
    idp.accounts.set('u-1001', { ...idp.accounts.get('u-1001')!, groups: [] });
    expect((await (await signIn('u-1001')).ok<Me>(ME)).me.roles).toEqual([]);
  });

  it('refuses an offboarded user at the provider\'s door, with a leaver security event', async () => {
    const admin = await server.as('admin');
    const mei = await signIn('u-1001');
    const meiId = (await mei.ok<{ me: { user: { id: string } } }>('{ me { user { id } } }')).me.user.id;
    const leadId = (await (await server.as('lead')).ok<{ me: { user: { id: string } } }>('{ me { user { id } } }')).me.user.id;
    await admin.ok('mutation($i: OffboardUserInput!) { offboardUser(input: $i) { revokedSessions } }', { i: { userId: meiId, transferToUserId: leadId, reason: 'left' } });
    const start = await begin();
    const params = await idp.authorize(start.authorizationUrl, 'u-1001');
    const r = await server.client().request(COMPLETE, { i: { tenant: 'acme', state: start.state, code: params.get('code') } });
    expect(r.errors?.[0]).toMatchObject({ message: 'Sign-in with the identity provider failed', extensions: { code: 'UNAUTHENTICATED' } });
    const report = await admin.ok<{ leaverReport: { attemptsAfter: { detail: string }[] } }>('query($id: ID!) { leaverReport(userId: $id) { attemptsAfter { detail } } }', { id: meiId });
    expect(report.leaverReport.attemptsAfter.map((a) => JSON.parse(a.detail).credential)).toContain('single sign-on');
  });

  it('accepts an ID token the client obtained itself, when it carries the nonce, and each state only once', async () => {
    const start = await begin();
    const url = new URL(`${idp.issuer}/auth`);
    url.search = new URLSearchParams({ response_type: 'id_token', response_mode: 'fragment', client_id: idp.clientId, redirect_uri: idp.redirectUri, scope: 'openid email profile', state: start.state, nonce: start.nonce }).toString();
    const params = await idp.authorize(url.toString(), 'u-1002');
    const idToken = params.get('id_token')!;
    const r = await server.client().ok<{ completeSso: { accessToken: string } }>(COMPLETE, { i: { tenant: 'acme', state: start.state, idToken } });
    expect((await server.client(r.completeSso.accessToken).ok<Me>(ME)).me.user.email).toBe('omar@acme.test');
    const replay = await server.client().request(COMPLETE, { i: { tenant: 'acme', state: start.state, idToken } });
    expect(replay.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  describe('refuses bad ID tokens with UNAUTHENTICATED and fetches nothing their headers point to', () => {
    let jkuHits = 0;
    let jkuServer: http.Server;
    let jkuUrl: string;
    beforeAll(async () => {
      jkuServer = http.createServer((_req, res) => {
        jkuHits++;
        res.end('{"keys":[]}');
      });
      await new Promise<void>((r) => jkuServer.listen(0, '127.0.0.1', r));
      jkuUrl = `http://127.0.0.1:${(jkuServer.address() as AddressInfo).port}/jwks`;
    });
    afterAll(() => new Promise<void>((r) => jkuServer.close(() => r())));

    const claims = (nonce: string, over: Record<string, unknown> = {}) => ({ sub: 'u-1002', email: 'omar@acme.test', email_verified: true, nonce, ...over });
    const sign = async (payload: Record<string, unknown>, opts: { key?: JWK; kid?: string; header?: Record<string, unknown>; iss?: string; aud?: string; exp?: number } = {}) => {
      const key = await importJWK(opts.key ?? idp.privateJwk, 'RS256');
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? idp.privateJwk.kid, ...opts.header })
        .setIssuer(opts.iss ?? idp.issuer)
        .setAudience(opts.aud ?? idp.clientId)
        .setIssuedAt(now - 10)
        .setExpirationTime(opts.exp ?? now + 300)
        .sign(key);
    };

    const cases: [string, (nonce: string) => Promise<string>][] = [
      ['a well-formed token (control: accepted)', (n) => sign(claims(n))],
      ['expired', (n) => sign(claims(n), { exp: Math.floor(Date.now() / 1000) - 3600 })],
      ['unsigned (alg none)', async (n) => new UnsecuredJWT(claims(n)).setIssuer(idp.issuer).setAudience(idp.clientId).setIssuedAt().setExpirationTime('5m').encode()],
      ['signed with another key under the provider\'s kid', async (n) => {
        const { privateKey } = await generateKeyPair('RS256', { extractable: true });
        const { exportJWK } = await import('jose');
        return sign(claims(n), { key: await exportJWK(privateKey) });
      }],
      ['HS256 with the provider\'s RSA public key as the secret', async (n) => {
        const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = idp.privateJwk;
        const pem = await exportSPKI((await importJWK({ ...pub, alg: 'RS256' }, 'RS256')) as CryptoKey);
        const now = Math.floor(Date.now() / 1000);
        return new SignJWT(claims(n)).setProtectedHeader({ alg: 'HS256', kid: idp.privateJwk.kid }).setIssuer(idp.issuer).setAudience(idp.clientId).setIssuedAt(now).setExpirationTime(now + 300).sign(new TextEncoder().encode(pem));
      }],
      ['a wrong issuer', (n) => sign(claims(n), { iss: 'https://evil.example' })],
      ['a wrong audience', (n) => sign(claims(n), { aud: 'someone-else' })],
      ['a wrong nonce', () => sign(claims('not-the-nonce'))],
      ['an unknown kid', (n) => sign(claims(n), { kid: 'no-such-key' })],
      ['jku and x5u headers pointing elsewhere, signed by a key only found there', async (n) => {
        const { privateKey } = await generateKeyPair('RS256', { extractable: true });
        const { exportJWK } = await import('jose');
        return sign(claims(n), { key: await exportJWK(privateKey), kid: 'attacker', header: { jku: jkuUrl, x5u: jkuUrl } });
      }],
    ];

    it.each(cases)('%s', async (name, make) => {
      const start = await begin();
      const token = await make(start.nonce);
      const r = await server.client().request<{ completeSso: { accessToken: string } }>(COMPLETE, { i: { tenant: 'acme', state: start.state, idToken: token } });
      if (name.startsWith('a well-formed')) {
        expect(r.errors).toBeUndefined();
        return;
      }
      expect(r.data).toBeNull();
      expect(r.errors?.[0]).toMatchObject({ message: 'Sign-in with the identity provider failed', extensions: { code: 'UNAUTHENTICATED' } });
      expect(jkuHits).toBe(0);
    });

    it('never fetched anything but the configured JWKS and token endpoints', () => {
      expect(jkuHits).toBe(0);
      const fetched = new Set(idp.hits.filter((h) => !h.startsWith('/auth') && !h.startsWith('/interaction')));
      expect([...fetched].sort()).toEqual(['/jwks', '/token']);
    });
  });
});
