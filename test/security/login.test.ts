import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/rows';
import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { withTenantTx } from '../../src/db/tenant-tx';
import { expectNoStackTrace } from '../testkit/http';
import { createTestServer, type TestServer } from '../testkit/server';

/** Sign-in failures are indistinguishable: the answer tells nothing about which tenants or accounts exist. */
const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }';

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});
afterAll(() => server.stop());

async function login(tenant: string, email: string, password: string) {
  const r = await server.client().request(LOGIN, { i: { tenant, email, password } });
  expectNoStackTrace(r);
  // Only what the client sees; the server's debugging counters differ by design (they count statements).
  return { status: r.status, contentType: r.contentType, data: r.data, errors: r.errors };
}

describe('login failures', () => {
  it('signs in with the right password (control)', async () => {
    const ok = await login('acme', 'agent@acme.test', DEMO_PASSWORD);
    expect(ok.errors).toBeUndefined();
    expect(ok.data).toEqual({ login: { accessToken: expect.any(String), refreshToken: expect.any(String) } });
  });

  it('answers wrong password, unknown user and unknown tenant identically, as UNAUTHENTICATED', async () => {
    const wrongPassword = await login('acme', 'agent@acme.test', 'not-the-password');
    const unknownUser = await login('acme', 'nobody@acme.test', 'not-the-password');
    const unknownTenant = await login('no-such-tenant', 'agent@acme.test', 'not-the-password');
    const tooLongPassword = await login('acme', 'agent@acme.test', 'x'.repeat(2000));

    expect(wrongPassword.data).toBeNull();
    expect(wrongPassword.errors).toHaveLength(1);
    expect(wrongPassword.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(unknownUser).toEqual(wrongPassword);
    expect(unknownTenant).toEqual(wrongPassword);
    expect(tooLongPassword).toEqual(wrongPassword);
  });

  it('records the refused attempts in the tenant that was named, without telling the client', async () => {
    const rows = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ outcome: string; detail: { reason?: string } }>(tx, sql`select outcome, detail from audit_events where action = 'auth.login' order by seq`),
    );
    expect(rows.filter((r) => r.outcome === 'DENIED').map((r) => r.detail.reason)).toEqual(
      expect.arrayContaining(['wrong password', 'unknown account']),
    );
  });
});
