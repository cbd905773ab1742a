import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { createTestServer, type TestServer } from '../testkit/server';
import { totpCode } from '../testkit/totp';

const login = (alias: string, email: string, password: string) =>
  `${alias}: login(input: { tenant: "acme", email: "${email}", password: "${password}" }) { accessToken }`;

describe('abuse resistance: throttling per account and client address, lockout, no account enumeration', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ env: { WARDEN_LOCKOUT_THRESHOLD: '3', WARDEN_IP_LOCKOUT_THRESHOLD: '25' } });
  });
  afterAll(() => server.stop());

  const codes = (r: { errors?: { extensions?: Record<string, unknown> }[] }) => (r.errors ?? []).map((e) => e.extensions?.code);

  it('counts aliased login attempts one by one and locks the account, even for the right password', async () => {
    // Mutation fields run one after another, each through the throttle; the first refusal (a non-null
    // field) ends the operation, so aliases never buy more guesses than separate requests.
    const batch = `mutation { ${[1, 2, 3, 4].map((i) => login(`a${i}`, 'agent@acme.test', 'wrong')).join(' ')} }`;
    expect(codes(await server.client().request(batch))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await server.client().request(`mutation { ${login('ok', 'agent@acme.test', DEMO_PASSWORD)} ${login('bad', 'agent@acme.test', 'wrong')} }`))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await server.client().request(batch))).toEqual(['UNAUTHENTICATED']);
    // A success forgets the account's failures: 1 (bad), 2, 3 = the threshold, locked from the next attempt.
    expect(codes(await server.client().request(batch))).toEqual(['UNAUTHENTICATED']);
    const locked = await server.client().request(batch);
    expect(codes(locked)).toEqual(['RATE_LIMITED']);
    expect(locked.errors?.[0].extensions?.retryAfterSeconds).toBeGreaterThan(0);
    const right = await server.client().request(`mutation { ${login('x', 'agent@acme.test', DEMO_PASSWORD)} }`);
    expect(codes(right)).toEqual(['RATE_LIMITED']);
    // Every failure, the lockout and the refusals while locked are audited.
    const rows = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ action: string; outcome: string }>(tx, sql`select action, outcome from audit_events where action in ('auth.login', 'security.lockout') order by seq`),
    );
    expect(rows.filter((e) => e.action === 'auth.login' && e.outcome === 'DENIED')).toHaveLength(6); // 4 failures, 2 refusals while locked
    expect(rows.filter((e) => e.action === 'security.lockout')).toHaveLength(1);
    // Other accounts from the same address still sign in.
    await server.as('lead');
  });

  it('answers an unknown account exactly like a real one, lockout included', async () => {
    const attempts = async (email: string, tenant = 'acme') => {
      const out = [];
      for (let i = 0; i < 4; i++) {
        const r = await server.client().request(`mutation { ${login('a', email, 'wrong').replace('"acme"', `"${tenant}"`)} }`);
        out.push(r.errors?.map((e) => ({ message: e.message, code: e.extensions?.code })));
      }
      return out;
    };
    const real = await attempts('analyst@acme.test');
    expect(real.map((r) => r?.[0].code)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'RATE_LIMITED']);
    expect(await attempts('nobody@acme.test')).toEqual(real);
    expect(await attempts('x@y.test', 'no-such-tenant')).toEqual(real);
  });

  it('throttles TOTP and recovery-code attempts per user, counting aliased attempts', async () => {
    const lead = await server.as('lead');
    const { enrollTotp } = await lead.ok<{ enrollTotp: { secret: string } }>('mutation { enrollTotp { secret } }');
    await lead.ok('mutation($c: String!) { confirmTotp(code: $c) { recoveryCodes } }', { c: await totpCode(enrollTotp.secret) });
    for (const code of ['000001', 'zzzzz-zzzzz', '000002']) {
      const r = await lead.request(`mutation { a: verifyMfa(code: "${code}") { method } b: verifyMfa(code: "${code}") { method } }`);
      expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    }
    // Locked: even the right code is refused now.
    const right = await lead.request('mutation($c: String!) { verifyMfa(code: $c) { method } }', { c: await totpCode(enrollTotp.secret, 30) });
    expect(codes(right)).toEqual(['RATE_LIMITED']);
  });

  it('locks a client address that fails across many accounts', async () => {
    // Password spraying: one guess per account, many accounts. The address's counter (25 in this file)
    // also holds the failures of the earlier tests.
    let last: unknown[] = [];
    for (let i = 0; i < 25 && !last.includes('RATE_LIMITED'); i++) {
      last = codes(await server.client().request(`mutation { ${login('a', `spray${i}@acme.test`, 'Winter2026!')} }`));
    }
    expect(last).toEqual(['RATE_LIMITED']);
    const fromHere = await server.client().request(`mutation { ${login('x', 'admin@acme.test', DEMO_PASSWORD)} }`);
    expect(codes(fromHere)).toEqual(['RATE_LIMITED']);
  });
});
