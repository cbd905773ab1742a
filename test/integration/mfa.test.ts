import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import type { GraphQLClient } from '../testkit/client';
import { createTestServer, type TestServer } from '../testkit/server';
import { totpCode } from '../testkit/totp';

type Articles = { articles: { edges: { node: { id: string; title: string; classification: string; body: string | null } }[] } };
const ARTICLES = '{ articles(first: 50) { edges { node { id title classification body } } } }';
const VERIFY = 'mutation($c: String!) { verifyMfa(code: $c) { verifiedAt method recoveryCodesLeft } }';

describe('two-factor: TOTP enrolment, step-up for CONFIDENTIAL fields, single-use codes, tenant policy', () => {
  let server: TestServer;
  let secret: string;
  let recoveryCodes: string[];
  beforeAll(async () => {
    server = await createTestServer();
  });
  afterAll(() => server.stop());

  const audit = (action: string) =>
    withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ outcome: string; detail: Record<string, unknown> }>(tx, sql`select outcome, detail from audit_events where action = ${action} order by seq`),
    );
  const confidentialErrors = (r: { errors?: { path?: (string | number)[]; extensions?: Record<string, unknown> }[] }) =>
    (r.errors ?? []).filter((e) => e.path?.at(-1) === 'body');

  it('gives a lead without a second factor MFA_REQUIRED on CONFIDENTIAL bodies only, with how to step up', async () => {
    const lead = await server.as('lead');
    const r = await lead.request<Articles>(ARTICLES);
    const edges = r.data!.articles.edges;
    expect(edges.some((e) => e.node.classification === 'CONFIDENTIAL')).toBe(true);
    for (const e of edges) {
      if (e.node.classification === 'CONFIDENTIAL') expect(e.node.body).toBeNull();
      else expect(e.node.body).toEqual(expect.any(String));
    }
    const errors = confidentialErrors(r);
    expect(errors).toHaveLength(edges.filter((e) => e.node.classification === 'CONFIDENTIAL').length);
    expect(errors[0].extensions).toEqual({ code: 'MFA_REQUIRED', stepUp: 'enrollTotp', enrolled: false, maxAgeSeconds: 900, reason: 'STEP_UP' });
    // Titles of CONFIDENTIAL articles stay readable: step-up guards the content.
    expect(edges.every((e) => e.node.title)).toBe(true);
  });

  it('enrols TOTP with an otpauth:// URI, refuses a wrong confirmation code, and returns recovery codes once', async () => {
    const lead = await server.as('lead');
    const { enrollTotp } = await lead.ok<{ enrollTotp: { secret: string; otpauthUri: string } }>('mutation { enrollTotp { secret otpauthUri } }');
    expect(enrollTotp.otpauthUri).toMatch(/^otpauth:\/\/totp\/Warden:lead%40acme\.test\?/);
    expect(new URL(enrollTotp.otpauthUri).searchParams.get('secret')).toBe(enrollTotp.secret);
    secret = enrollTotp.secret;
    const wrong = await lead.request('mutation($c: String!) { confirmTotp(code: $c) { recoveryCodes } }', { c: '000000' === (await totpCode(secret)) ? '111111' : '000000' });
    expect(wrong.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'code' });
    const ok = await lead.ok<{ confirmTotp: { recoveryCodes: string[] } }>('mutation($c: String!) { confirmTotp(code: $c) { recoveryCodes } }', { c: await totpCode(secret) });
    recoveryCodes = ok.confirmTotp.recoveryCodes;
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    // Only hashes are stored.
    const stored = await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ code_hash: string }>(tx, sql`select code_hash from recovery_codes`));
    expect(stored).toHaveLength(10);
    expect(stored.map((s) => s.code_hash)).not.toEqual(expect.arrayContaining([recoveryCodes[0]]));
    const again = await lead.request('mutation { enrollTotp { secret } }');
    expect(again.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  let lead: GraphQLClient;
  let usedCode: string;
  it('answers MFA_REQUIRED on a CONFIDENTIAL field for a new session, and the value after verifyMfa', async () => {
    lead = await server.as('lead');
    const before = await lead.request<Articles>(ARTICLES);
    expect(confidentialErrors(before)[0].extensions).toMatchObject({ code: 'MFA_REQUIRED', stepUp: 'verifyMfa', enrolled: true, maxAgeSeconds: 900 });
    // The confirmation used the current step; the next step's code is inside the one-step window.
    usedCode = await totpCode(secret, 30);
    const v = await lead.ok<{ verifyMfa: { method: string; recoveryCodesLeft: number } }>(VERIFY, { c: usedCode });
    expect(v.verifyMfa).toMatchObject({ method: 'TOTP', recoveryCodesLeft: 10 });
    const after = await lead.request<Articles>(ARTICLES);
    expect(after.errors).toBeUndefined();
    const pricing = after.data!.articles.edges.find((e) => e.node.title === 'Pricing floor for renewals')!;
    expect(pricing.node.body).toBe('The lowest renewal discount any lead may approve is 18%.');
    const me = await lead.ok<{ me: { mfa: { enrolled: boolean; fresh: boolean; verifiedAt: string } } }>('{ me { mfa { enrolled fresh verifiedAt required } } }');
    expect(me.me.mfa).toMatchObject({ enrolled: true, fresh: true, required: false });
    // The step-up reads are audited like sensitive reads, with every article id.
    const reads = (await audit('sensitive.read')).filter((e) => e.detail.mode === 'FULL');
    expect(reads.length).toBeGreaterThan(0);
  });

  it('accepts a TOTP code once and refuses it the second time, and refuses stale codes', async () => {
    const fresh = await server.as('lead');
    // Accepted by the previous test: refused the second time, even in another session.
    expect((await fresh.request(VERIFY, { c: usedCode })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const stale = await totpCode(secret, -90);
    expect((await fresh.request(VERIFY, { c: stale })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await fresh.request(VERIFY, { c: 'abc' })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const denied = (await audit('mfa.verify')).filter((e) => e.outcome === 'DENIED');
    expect(denied.length).toBeGreaterThanOrEqual(3);
  });

  it('accepts each recovery code once', async () => {
    const fresh = await server.as('lead');
    const first = await fresh.ok<{ verifyMfa: { method: string; recoveryCodesLeft: number } }>(VERIFY, { c: recoveryCodes[0].toUpperCase() });
    expect(first.verifyMfa).toMatchObject({ method: 'RECOVERY_CODE', recoveryCodesLeft: 9 });
    const other = await server.as('lead');
    expect((await other.request(VERIFY, { c: recoveryCodes[0] })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const regenerated = await fresh.ok<{ regenerateRecoveryCodes: string[] }>('mutation { regenerateRecoveryCodes }');
    expect(regenerated.regenerateRecoveryCodes).toHaveLength(10);
    expect((await other.request(VERIFY, { c: recoveryCodes[1] })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    // Regenerating needs a fresh second factor.
    expect((await other.request('mutation { regenerateRecoveryCodes }')).errors?.[0].extensions?.code).toBe('MFA_REQUIRED');
  });

  it('enforces a tenant policy requiring MFA for chosen roles: only sign-in and MFA set-up answer until verified', async () => {
    const admin = await server.as('admin');
    const bad = await admin.request('mutation { setMfaPolicy(input: { requiredForRoles: ["no_such_role"] }) { requiredForRoles } }');
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'requiredForRoles' });
    const set = await admin.ok<{ setMfaPolicy: { requiredForRoles: string[]; stepUpMaxAgeSeconds: number } }>(
      'mutation { setMfaPolicy(input: { requiredForRoles: ["sales"], stepUpMaxAgeSeconds: 300 }) { requiredForRoles stepUpMaxAgeSeconds } }',
    );
    expect(set.setMfaPolicy).toEqual({ requiredForRoles: ['sales'], stepUpMaxAgeSeconds: 300 });

    const sales = await server.as('sales');
    const refused = await sales.request('{ customers(first: 1) { edges { node { name } } } }');
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'MFA_REQUIRED', reason: 'MFA_POLICY', stepUp: 'enrollTotp', maxAgeSeconds: 300 });
    const me = await sales.ok<{ me: { mfa: { required: boolean; enrolled: boolean } } }>('{ me { mfa { required enrolled } } }');
    expect(me.me.mfa).toEqual({ required: true, enrolled: false });
    const { enrollTotp } = await sales.ok<{ enrollTotp: { secret: string } }>('mutation { enrollTotp { secret } }');
    await sales.ok('mutation($c: String!) { confirmTotp(code: $c) { recoveryCodes } }', { c: await totpCode(enrollTotp.secret) });
    const allowed = await sales.ok<{ customers: { edges: unknown[] } }>('{ customers(first: 1) { edges { node { name } } } }');
    expect(allowed.customers.edges).toHaveLength(1);
    // Other roles are not affected.
    const agent = await server.as('agent');
    await agent.ok('{ customers(first: 1) { edges { node { name } } } }');
    await admin.ok('mutation { setMfaPolicy(input: { requiredForRoles: [] }) { requiredForRoles } }');
  });

  it('refuses a policy that would lock out its own caller until they enrol, and allows it after', async () => {
    const admin = await server.as('admin');
    const POLICY = 'mutation($r: [String!]!) { setMfaPolicy(input: { requiredForRoles: $r }) { requiredForRoles } }';
    const refused = await admin.request(POLICY, { r: ['admin', 'sales'] });
    expect(refused.errors?.[0].extensions).toEqual({ code: 'FORBIDDEN', reason: 'MFA_ENROLMENT_REQUIRED', roles: ['admin'] });
    expect(refused.errors?.[0].message).toMatch(/you have none: enrol one first \(enrollTotp, confirmTotp\)/);
    expect((await admin.ok<{ mfaPolicy: { requiredForRoles: string[] } }>('{ mfaPolicy { requiredForRoles } }')).mfaPolicy.requiredForRoles).toEqual([]);
    // Not about the caller: allowed without a second factor.
    expect((await admin.ok<{ setMfaPolicy: { requiredForRoles: string[] } }>(POLICY, { r: ['sales'] })).setMfaPolicy.requiredForRoles).toEqual(['sales']);
    // Enrolled (confirming is this session's second factor), the admin may require it of admins too, and keeps working.
    const { enrollTotp } = await admin.ok<{ enrollTotp: { secret: string } }>('mutation { enrollTotp { secret } }');
    await admin.ok('mutation($c: String!) { confirmTotp(code: $c) { recoveryCodes } }', { c: await totpCode(enrollTotp.secret) });
    expect((await admin.ok<{ setMfaPolicy: { requiredForRoles: string[] } }>(POLICY, { r: ['admin'] })).setMfaPolicy.requiredForRoles).toEqual(['admin']);
    expect((await admin.ok<{ setMfaPolicy: { requiredForRoles: string[] } }>(POLICY, { r: [] })).setMfaPolicy.requiredForRoles).toEqual([]);
  });

  it('keeps the viewer and its MFA state at two statements per request', async () => {
    const agent = await server.as('agent');
    const r = await agent.request('{ me { sessionId clearance permissions mfa { enrolled required fresh } } }');
    expect(r.errors).toBeUndefined();
    // One statement enters the tenant as the application role, one loads session, user, roles and MFA state.
    expect(r.extensions?.counters?.statements).toBe(2);
  });
});
