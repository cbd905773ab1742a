import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { createTestServer, type TestServer } from '../testkit/server';

const ME = '{ me { user { email } } }';
const SESSIONS = '{ mySessions { id current authMethod userAgent createdAt lastSeenAt expiresAt mfaVerifiedAt } }';
const REFRESH = 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }';
type Sessions = { mySessions: { id: string; current: boolean; authMethod: string }[] };

describe('sessions: list and revoke, refresh rotation with reuse detection, password change', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
  });
  afterAll(() => server.stop());

  const events = (action: string) =>
    withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ outcome: string; detail: Record<string, unknown> }>(tx, sql`select outcome, detail from audit_events where action = ${action} order by seq`));

  it('lists my sessions and devices, and revokes one or all', async () => {
    const a = await server.as('agent');
    const b = await server.as('agent');
    const c = await server.as('agent');
    const { mySessions } = await a.ok<Sessions>(SESSIONS);
    expect(mySessions).toHaveLength(3);
    expect(mySessions.filter((s) => s.current)).toHaveLength(1);
    expect(mySessions.every((s) => s.authMethod === 'PASSWORD')).toBe(true);

    const bId = (await b.ok<Sessions>(SESSIONS)).mySessions.find((s) => s.current)!.id;
    expect(await a.ok('mutation($id: ID!) { revokeSession(id: $id) }', { id: bId })).toEqual({ revokeSession: true });
    expect((await b.request(ME)).errors?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'LOGGED_OUT' });
    // Someone else's session is not found, never forbidden.
    const lead = await server.as('lead');
    const leadSession = (await lead.ok<Sessions>(SESSIONS)).mySessions[0].id;
    expect((await a.request('mutation($id: ID!) { revokeSession(id: $id) }', { id: leadSession })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    await lead.ok(ME);

    expect(await a.ok('mutation { revokeMySessions }')).toEqual({ revokeMySessions: 1 });
    expect((await c.request(ME)).errors?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'LOGGED_OUT' });
    await a.ok(ME);
    expect(await a.ok('mutation { revokeMySessions(includeCurrent: true) }')).toEqual({ revokeMySessions: 1 });
    expect((await a.request(ME)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('lets an administrator revoke every session of a user', async () => {
    const agent = await server.as('agent');
    const admin = await server.as('admin');
    const id = (await agent.ok<{ me: { user: { id: string } } }>('{ me { user { id } } }')).me.user.id;
    const r = await admin.ok<{ revokeUserSessions: number }>('mutation($id: ID!) { revokeUserSessions(userId: $id) }', { id });
    expect(r.revokeUserSessions).toBeGreaterThanOrEqual(1);
    expect((await agent.request(ME)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await agent.request('mutation($id: ID!) { revokeUserSessions(userId: $id) }', { id })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const lead = await server.as('lead');
    expect((await lead.request('mutation($id: ID!) { revokeUserSessions(userId: $id) }', { id })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('rotates refresh tokens, and the reuse of any earlier one revokes the whole family with a security event', async () => {
    const client = await server.as('agent');
    const t0 = client.refreshToken!;
    const r1 = (await server.client().ok<{ refreshSession: { accessToken: string; refreshToken: string } }>(REFRESH, { t: t0 })).refreshSession;
    const r2 = (await server.client().ok<{ refreshSession: { accessToken: string; refreshToken: string } }>(REFRESH, { t: r1.refreshToken })).refreshSession;
    await server.client(r2.accessToken).ok(ME);
    // The first token, two rotations old, comes back (stolen earlier): refused, and the family ends.
    const reuse = await server.client().request(REFRESH, { t: t0 });
    expect(reuse.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await server.client(r2.accessToken).request(ME)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await server.client().request(REFRESH, { t: r2.refreshToken })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await events('security.refresh_token_reuse')).toHaveLength(1);
    // Malformed tokens are refused without touching anything.
    expect((await server.client().request(REFRESH, { t: 'wr1.nope' })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('issues access tokens that live at most 15 minutes', async () => {
    const client = await server.as('agent');
    const [, payload] = client.token!.split('.');
    const { exp, iat } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { exp: number; iat: number };
    expect(exp - iat).toBeLessThanOrEqual(900);
  });

  it('changes a password: policy enforced, other sessions revoked, old password refused', async () => {
    const a = await server.as('lead');
    const b = await server.as('lead');
    const CHANGE = 'mutation($i: ChangePasswordInput!) { changePassword(input: $i) }';
    const wrong = await a.request(CHANGE, { i: { currentPassword: 'nope', newPassword: 'a perfectly long passphrase' } });
    expect(wrong.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'currentPassword' });
    for (const bad of ['short', 'password2024!', 'qwertyuiop123', 'lead-password-1', 'aaaaaaaaaaaaaaaa']) {
      const r = await a.request(CHANGE, { i: { currentPassword: DEMO_PASSWORD, newPassword: bad } });
      expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'newPassword' });
    }
    await b.ok(ME);
    const changed = await a.ok<{ changePassword: number }>(CHANGE, { i: { currentPassword: DEMO_PASSWORD, newPassword: 'correct horse battery staple' } });
    expect(changed.changePassword).toBeGreaterThanOrEqual(1); // b, and the lead's sessions from earlier tests
    await a.ok(ME);
    expect((await b.request(ME)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    await expect(server.as('lead')).rejects.toThrow(/UNAUTHENTICATED/);
    await server.client().login('lead@acme.test', 'correct horse battery staple');
    const hash = await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ h: string }>(tx, sql`select password_hash as h from users where email = 'lead@acme.test'`));
    expect(hash[0].h).toMatch(/^\$argon2id\$/);
    // The demo password meets the same policy, so it can be set back.
    const back = await server.client().login('lead@acme.test', 'correct horse battery staple');
    await back.ok(CHANGE, { i: { currentPassword: 'correct horse battery staple', newPassword: DEMO_PASSWORD } });
    await server.client().login('lead@acme.test', DEMO_PASSWORD);
  });
});
