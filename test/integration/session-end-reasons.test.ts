import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { decodeJwt, exportPKCS8, generateKeyPair, SignJWT } from 'jose';
import { loadSigningKeys } from '../../src/authn/keys';
import { TokenService } from '../../src/authn/tokens';
import { addUser } from '../../src/db/seed/builders';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { toGlobalId } from '../../src/lib/global-id';
import { collect, GraphQLClient, type GraphQLResponse } from '../testkit/client';
import { createTestServer, type TestServer } from '../testkit/server';

/**
 * A refused token of the caller's own session says why the session ended (extensions.reason) and what
 * to do; anything else (forged, unknown session, another user's session) stays a bare UNAUTHENTICATED.
 */
const ME = '{ me { user { email } } }';
const REFRESH = 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }';
const PASSWORD = 'a long enough password for tests';

describe('session end reasons: a refused session tells its own holder why and what to do', () => {
  let server: TestServer;
  let tokens: TokenService;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    server = await createTestServer({ env: { WARDEN_JWT_PRIVATE_KEY: await exportPKCS8(privateKey) } });
    tokens = new TokenService(await loadSigningKeys(server.services.config), server.services.config.jwt);
    await withTenantTx(server.database.db, server.tenantId, async (tx) => {
      const [agent] = await queryRows<{ id: string }>(tx, sql`select id from roles where key = 'support_agent'`);
      for (const name of ['out', 'pw', 'byadmin', 'leaver', 'reuse', 'alerted', 'expiry']) {
        ids[name] = (await addUser(tx, server.tenantId, { email: `${name}@acme.test`, displayName: name, password: PASSWORD, roleIds: [agent.id] }));
      }
    });
  });
  afterAll(() => server.stop());

  const signIn = (name: string) => server.client().login(`${name}@acme.test`, PASSWORD);
  const refusal = (r: GraphQLResponse): Record<string, unknown> & { message: string } => {
    expect(r.errors).toHaveLength(1);
    return { message: r.errors![0].message, ...r.errors![0].extensions };
  };

  it('LOGGED_OUT: after logout, the access and refresh tokens say sign in again', async () => {
    const c = await signIn('out');
    await c.ok('mutation { logout }');
    expect(refusal(await c.request(ME))).toEqual({ code: 'UNAUTHENTICATED', reason: 'LOGGED_OUT', message: 'This session was signed out. Sign in again.' });
    expect(refusal(await server.client().request(REFRESH, { t: c.refreshToken }))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'LOGGED_OUT' });
  });

  it('PASSWORD_CHANGED: the other sessions of a user who changed the password', async () => {
    const [a, b] = [await signIn('pw'), await signIn('pw')];
    await a.ok('mutation($i: ChangePasswordInput!) { changePassword(input: $i) }', { i: { currentPassword: PASSWORD, newPassword: `${PASSWORD}, changed` } });
    await a.ok(ME);
    const r = refusal(await b.request(ME));
    expect(r).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'PASSWORD_CHANGED' });
    expect(r.message).toMatch(/new password.*contact your administrator/);
  });

  it('REVOKED_BY_ADMIN: an administrator ended the sessions', async () => {
    const c = await signIn('byadmin');
    const admin = await server.as('admin');
    await admin.ok('mutation($id: ID!) { revokeUserSessions(userId: $id) }', { id: toGlobalId('User', ids.byadmin) });
    const r = refusal(await c.request(ME));
    expect(r).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'REVOKED_BY_ADMIN' });
    expect(r.message).toMatch(/administrator/);
    // Resetting the user's second factor ends the sessions the same way.
    const again = await signIn('byadmin');
    await admin.ok('mutation($id: ID!) { resetUserMfa(userId: $id) }', { id: toGlobalId('User', ids.byadmin) });
    expect(refusal(await again.request(ME))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'REVOKED_BY_ADMIN' });
  });

  it('OFFBOARDED: a leaver is told the account is offboarded, over HTTP and refresh', async () => {
    const c = await signIn('leaver');
    const admin = await server.as('admin');
    const input = { userId: toGlobalId('User', ids.leaver), transferToUserId: toGlobalId('User', ids.out), reason: 'contract ended' };
    await admin.ok('mutation($i: OffboardUserInput!) { offboardUser(input: $i) { revokedSessions } }', { i: input });
    const r = refusal(await c.request(ME));
    expect(r).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'OFFBOARDED' });
    expect(r.message).toMatch(/offboarded/);
    expect(refusal(await server.client().request(REFRESH, { t: c.refreshToken }))).toMatchObject({ reason: 'OFFBOARDED' });
  });

  it('TOKEN_REUSE: a rotated refresh token presented again ends the session, and both tokens say so', async () => {
    const c = await signIn('reuse');
    const next = (await server.client().ok<{ refreshSession: { accessToken: string; refreshToken: string } }>(REFRESH, { t: c.refreshToken })).refreshSession;
    expect(refusal(await server.client().request(REFRESH, { t: c.refreshToken }))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REUSE' });
    expect(refusal(await server.client(next.accessToken).request(ME))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REUSE' });
    expect(refusal(await server.client().request(REFRESH, { t: next.refreshToken }))).toMatchObject({ reason: 'TOKEN_REUSE' });
  });

  it("SECURITY_RESPONSE: a detection response names the alert's id, never its rule or threshold", async () => {
    const [victim, other] = [await signIn('alerted'), await signIn('alerted')];
    await server.client().ok(REFRESH, { t: victim.refreshToken });
    await server.client().request(REFRESH, { t: victim.refreshToken });
    // The REFRESH_TOKEN_REUSE rule responds by revoking every session of the user, in the background.
    let r = await other.request(ME);
    for (let i = 0; i < 80 && !r.errors; i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = await other.request(ME);
    }
    const told = refusal(r);
    const analyst = await server.as('analyst');
    const alerts = await analyst.ok<{ securityAlerts: { edges: { node: { id: string; subject: { email: string } | null } }[] } }>(
      '{ securityAlerts(filter: { rule: REFRESH_TOKEN_REUSE }, first: 50) { edges { node { id subject { email } } } } }',
    );
    const alert = alerts.securityAlerts.edges.map((e) => e.node).find((a) => a.subject?.email === 'alerted@acme.test')!;
    expect(told).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'SECURITY_RESPONSE', reference: alert.id });
    expect(told.message).toContain(`quote reference ${alert.id}`);
    expect(told.message).not.toMatch(/REFRESH_TOKEN_REUSE|refresh token|threshold|rule/i);
  });

  it('EXPIRED: an expired access token of ours, and a session past its end', async () => {
    const c = await signIn('expiry');
    const claims = decodeJwt(c.token!);
    const stale = await new TokenService(await loadSigningKeys(server.services.config), { ...server.services.config.jwt, accessTtl: -60 }).signAccess({ sub: claims.sub!, sid: claims.sid as string, tid: claims.tid as string });
    const r = refusal(await server.client(stale).request(ME));
    expect(r).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'EXPIRED' });
    expect(r.message).toMatch(/refreshSession|sign in again/);
    await c.ok(ME);
    await withTenantTx(server.database.db, server.tenantId, (tx) => tx.execute(sql`update sessions set expires_at = now() - interval '1 minute' where id = ${claims.sid as string}`));
    expect(refusal(await c.request(ME))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'EXPIRED' });
    expect(refusal(await server.client().request(REFRESH, { t: c.refreshToken }))).toMatchObject({ reason: 'EXPIRED' });
  });

  it('tells nothing to a forged token, an unknown session, another user\'s session or a stranger\'s refresh token', async () => {
    const c = await signIn('out');
    const claims = decodeJwt(c.token!);
    await c.ok('mutation { logout }');
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await new SignJWT({ sid: claims.sid, tid: claims.tid }).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' }).setSubject(claims.sub!).setIssuer(server.services.config.jwt.issuer).setAudience(server.services.config.jwt.audience).setIssuedAt().setExpirationTime('5m').sign(privateKey);
    const lead = decodeJwt((await server.as('lead')).token!);
    const cases = [
      forged,
      await tokens.signAccess({ sub: claims.sub!, sid: randomUUID(), tid: claims.tid as string }),
      // The lead's identity with the logged-out session of someone else: no session of the lead's.
      await tokens.signAccess({ sub: lead.sub!, sid: claims.sid as string, tid: claims.tid as string }),
    ];
    for (const token of cases) {
      const r = refusal(await server.client(token).request(ME));
      expect(r.code).toBe('UNAUTHENTICATED');
      expect(r).not.toHaveProperty('reason');
      expect(r).not.toHaveProperty('reference');
    }
    // A refresh token of the ended session with a secret that is not its own.
    const [, tid, sid] = c.refreshToken!.split('.');
    const guessed = await server.client().request(REFRESH, { t: `wr1.${tid}.${sid}.${'A'.repeat(43)}` });
    expect(refusal(guessed)).toEqual({ code: 'UNAUTHENTICATED', message: 'Invalid refresh token' });
  });

  it('over WebSocket: the 4401 close carries the code, and a later subscription is refused with it', async () => {
    const analyst = await server.as('analyst');
    const ws = analyst.ws();
    const sub = collect(ws, 'subscription { auditEvents { action } }', {}, 50, 4000);
    await new Promise((r) => setTimeout(r, 300));
    await analyst.ok('mutation { logout }');
    const results = await sub.done;
    await ws.dispose();
    expect(results.at(-1)?.errors?.[0]).toMatchObject({ code: 4401, reason: 'LOGGED_OUT' });

    const again = new GraphQLClient(analyst.url, analyst.token).ws();
    const refused = await collect(again, 'subscription { auditEvents { action } }', {}, 1, 4000).done;
    await again.dispose();
    expect(refused.at(-1)?.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED', reason: 'LOGGED_OUT' } });
  });
});
