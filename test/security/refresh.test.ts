import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/rows';
import { withTenantTx } from '../../src/db/tenant-tx';
import { GraphQLClient } from '../testkit/client';
import { expectNoStackTrace } from '../testkit/http';
import { createTestServer, type TestServer } from '../testkit/server';

/** Refresh-token rotation with reuse detection (OAuth 2.0 Security BCP, RFC 9700 section 4.14.2). */
const ME = '{ me { user { email } } }';
const REFRESH = 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }';

type Tokens = { accessToken: string; refreshToken: string };

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
  // Alerts only: the rule's default response revokes every session of the user whose token was reused,
  // and, run by detection a moment later (later still on a loaded machine), it ended the next test's
  // fresh session between two of its steps. The response itself is tested in detection.test.ts.
  const admin = await server.as('admin');
  await admin.ok('mutation { configureDetectionRule(input: { kind: REFRESH_TOKEN_REUSE, responses: [] }) { kind } }');
});
afterAll(() => server.stop());

async function refresh(token: string) {
  const r = await server.client().request<{ refreshSession: Tokens }>(REFRESH, { t: token });
  expectNoStackTrace(r);
  return r;
}

/** Refused; a token of the session itself is told why the session ended, any other gets no reason. */
async function expectRefused(token: string, reason?: string) {
  const r = await refresh(token);
  expect(r.data).toBeNull();
  expect(r.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  expect(r.errors?.[0].extensions?.reason).toBe(reason);
  if (!reason) expect(r.errors?.[0].message).toBe('Invalid refresh token');
}

async function meCode(accessToken: string) {
  const r = await new GraphQLClient(server.url, accessToken).request<{ me: { user: { email: string } } | null }>(ME);
  expectNoStackTrace(r);
  return r.data?.me ? 'OK' : r.errors?.[0].extensions?.code;
}

const sessionRow = (sessionId: string) =>
  withTenantTx(server.database.db, server.tenantId, (tx) =>
    queryRows<{ revoked_at: Date | null; revoked_reason: string | null }>(tx, sql`select revoked_at, revoked_reason from sessions where id = ${sessionId}`),
  ).then((rows) => rows[0]);

const sessionOf = (refreshToken: string) => refreshToken.split('.')[2];

describe('refreshSession', () => {
  it('rotates: the new tokens work and the presented refresh token is refused afterwards', async () => {
    const agent = await server.as('agent');
    const first = await refresh(agent.refreshToken!);
    expect(first.errors).toBeUndefined();
    const next = first.data!.refreshSession;
    expect(next.refreshToken).not.toBe(agent.refreshToken);
    expect(sessionOf(next.refreshToken)).toBe(sessionOf(agent.refreshToken!));
    expect(await meCode(next.accessToken)).toBe('OK');

    // The replaced token is refused (its reuse ends the session), and the chain goes on with the new one only.
    await expectRefused(agent.refreshToken!, 'TOKEN_REUSE');
  });

  it('treats reuse of a rotated refresh token as theft: the whole session is revoked', async () => {
    const agent = await server.as('agent');
    const rotated = (await refresh(agent.refreshToken!)).data!.refreshSession;
    expect(await meCode(rotated.accessToken)).toBe('OK');

    await expectRefused(agent.refreshToken!, 'TOKEN_REUSE'); // reuse

    expect(await meCode(rotated.accessToken)).toBe('UNAUTHENTICATED');
    expect(await meCode(agent.token!)).toBe('UNAUTHENTICATED');
    await expectRefused(rotated.refreshToken, 'TOKEN_REUSE');
    const row = await sessionRow(sessionOf(rotated.refreshToken));
    expect(row.revoked_at).not.toBeNull();
    expect(row.revoked_reason).toBe('TOKEN_REUSE');

    const audit = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ outcome: string; detail: { reason?: string } }>(
        tx,
        sql`select outcome, detail from audit_events where action = 'auth.refresh' and ${sessionOf(rotated.refreshToken)} = any(resource_ids) order by seq`,
      ),
    );
    expect(audit.map((a) => a.outcome)).toEqual(['ALLOWED', 'DENIED', 'DENIED']);
    expect(audit[1].detail.reason).toMatch(/reuse/);
  });

  it('refuses the refresh token of a session that logged out', async () => {
    const agent = await server.as('agent');
    expect((await agent.request<{ logout: boolean }>('mutation { logout }')).data?.logout).toBe(true);
    await expectRefused(agent.refreshToken!, 'LOGGED_OUT');
  });

  it('refuses garbage and guessed refresh tokens with the same error', async () => {
    const agent = await server.as('agent');
    const [, tenant, session] = agent.refreshToken!.split('.');
    const secret = () => randomBytes(32).toString('base64url');
    for (const token of [
      '',
      'garbage',
      agent.token!, // an access token is not a refresh token
      'wr1.x.y.z',
      `wr1.${tenant}.${session}`,
      `wr1.${tenant}.${session}.${secret()}.extra`,
      `wr2.${tenant}.${session}.${secret()}`,
      `wr1.${randomUUID()}.${randomUUID()}.${secret()}`, // unknown tenant and session
      `wr1.${tenant}.${randomUUID()}.${secret()}`, // unknown session
      `wr1.${tenant}.${session}.${secret()}`, // right session, guessed secret
      `wr1.${tenant}.${session}.${'A'.repeat(400)}`,
      `wr1.${tenant}.${session}.${"' or '1'='1"}`,
    ]) {
      await expectRefused(token);
    }
  });
});
