import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { createTestServer, type TestServer } from '../testkit/server';
import { seedOtherTenant } from '../testkit/seed';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

describe('SCIM 2.0 provisioning at /scim/v2/Users', () => {
  let server: TestServer;
  let base: string;
  let token: string;
  beforeAll(async () => {
    server = await createTestServer();
    base = server.url.replace(/\/graphql$/, '/scim/v2');
    const admin = await server.as('admin');
    token = (await admin.ok<{ rotateScimToken: { token: string } }>('mutation { rotateScimToken { token baseUrl } }')).rotateScimToken.token;
  });
  afterAll(() => server.stop());

  const scim = async (method: string, path: string, body?: unknown, auth = token, raw?: string) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/scim+json' },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type'), location: res.headers.get('location'), body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  };

  let created: { id: string };
  it('creates a user (201, Location) and refuses a duplicate userName with 409 uniqueness', async () => {
    const r = await scim('POST', '/Users', { schemas: [USER], userName: 'Nina.Wu@acme.test', name: { givenName: 'Nina', familyName: 'Wu' }, externalId: 'okta-77', active: true });
    expect(r.status).toBe(201);
    expect(r.type).toMatch(/application\/scim\+json/);
    expect(r.body).toMatchObject({ schemas: [USER], userName: 'nina.wu@acme.test', displayName: 'Nina Wu', externalId: 'okta-77', active: true, meta: { resourceType: 'User' } });
    expect(r.location).toBe(`${base}/Users/${r.body!.id}`);
    created = r.body as { id: string };
    const dup = await scim('POST', '/Users', { schemas: [USER], userName: 'nina.wu@acme.test' });
    expect(dup).toMatchObject({ status: 409, body: { schemas: [ERROR], status: '409', scimType: 'uniqueness' } });
  });

  it('gets a user, and lists with filter=userName eq "..."', async () => {
    expect((await scim('GET', `/Users/${created.id}`)).body).toMatchObject({ id: created.id, userName: 'nina.wu@acme.test' });
    const list = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "nina.wu@acme.test"')}`);
    expect(list.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect((list.body!.Resources as { id: string }[])[0].id).toBe(created.id);
    const none = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "nobody@acme.test"')}`);
    expect(none.body).toMatchObject({ totalResults: 0, Resources: [] });
    const all = await scim('GET', '/Users?count=2');
    expect(all.body).toMatchObject({ totalResults: 6, itemsPerPage: 2 });
  });

  it('answers malformed requests with SCIM error bodies and the right status', async () => {
    const cases: [Awaited<ReturnType<typeof scim>>, number, string | undefined][] = [
      [await scim('POST', '/Users', undefined, token, '{"schemas": ['), 400, 'invalidSyntax'],
      [await scim('POST', '/Users', { userName: 'x@acme.test' }), 400, 'invalidSyntax'],
      [await scim('POST', '/Users', { schemas: [USER], userName: 'not-an-email' }), 400, 'invalidValue'],
      [await scim('POST', '/Users', { schemas: [USER], userName: 'pw@acme.test', password: 'password1' }), 400, 'invalidValue'],
      [await scim('POST', '/Users', { schemas: [USER], userName: 'a@acme.test', active: 'maybe' }), 400, 'invalidValue'],
      [await scim('GET', `/Users?filter=${encodeURIComponent('emails co "acme"')}`), 400, 'invalidFilter'],
      [await scim('GET', '/Users?startIndex=0'), 400, 'invalidValue'],
      [await scim('GET', '/Users/not-a-uuid'), 404, undefined],
      [await scim('GET', '/Users/00000000-0000-4000-8000-000000000000'), 404, undefined],
      [await scim('PATCH', `/Users/${created.id}`, { Operations: [] }), 400, 'invalidSyntax'],
      [await scim('PATCH', `/Users/${created.id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: 'active' }] }), 400, 'invalidSyntax'],
      [await scim('PATCH', `/Users/${created.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'roles', value: 'admin' }] }), 400, 'invalidPath'],
      [await scim('GET', '/Users', undefined, 'scim1.00000000-0000-4000-8000-000000000000.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'), 401, undefined],
      [await scim('GET', '/Users', undefined, 'garbage'), 401, undefined],
      [await scim('PUT', `/Users/${created.id}`, { schemas: [USER] }), 501, undefined],
    ];
    for (const [r, status, scimType] of cases) {
      expect(r.status).toBe(status);
      expect(r.body).toMatchObject({ schemas: [ERROR], status: String(status), ...(scimType && { scimType }) });
    }
  });

  it('keeps tenants apart: another tenant\'s token sees none of these users', async () => {
    const other = await seedOtherTenant(server.database.db);
    const otherToken = await withTenantTx(server.database.db, other.tenantId, async (tx) => {
      const { saveAuthSettings } = await import('../../src/modules/identity/mfa.repo');
      const { hashSecret } = await import('../../src/authn/tokens');
      const secret = 'o'.repeat(43);
      await saveAuthSettings(tx, other.tenantId, { scimTokenHash: hashSecret(secret) });
      return `scim1.${other.tenantId}.${secret}`;
    });
    expect((await scim('GET', `/Users/${created.id}`, undefined, otherToken)).status).toBe(404);
    expect((await scim('GET', '/Users', undefined, otherToken)).body).toMatchObject({ totalResults: 1 });
  });

  it('deactivates with PATCH active=false, which is offboarding', async () => {
    const agent = await server.as('agent');
    const list = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "agent@acme.test"')}`);
    const agentId = (list.body!.Resources as { id: string }[])[0].id;
    const r = await scim('PATCH', `/Users/${agentId}`, { schemas: [PATCH], Operations: [{ op: 'Replace', value: { active: false } }] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: agentId, active: false });
    expect((await agent.request('{ me { user { email } } }')).errors?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'OFFBOARDED' });
    await expect(server.as('agent')).rejects.toThrow(/UNAUTHENTICATED/);
    const [row] = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ status: string; offboarded: boolean; roles: number }>(tx, sql`select status, offboarded_at is not null as offboarded, (select count(*)::int from role_assignments ra where ra.user_id = u.id and ra.revoked_at is null) as roles from users u where id = ${agentId}`),
    );
    expect(row).toEqual({ status: 'DISABLED', offboarded: true, roles: 0 });
    const events = await withTenantTx(server.database.db, server.tenantId, (tx) => queryRows<{ detail: Record<string, unknown> }>(tx, sql`select detail from audit_events where action = 'user.offboard' and outcome = 'ALLOWED'`));
    expect(events[0].detail).toMatchObject({ via: 'scim', reason: 'SCIM deactivation' });
    // Deactivating the last admin is refused.
    const admins = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "admin@acme.test"')}`);
    const adminId = (admins.body!.Resources as { id: string }[])[0].id;
    const last = await scim('PATCH', `/Users/${adminId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] });
    expect(last).toMatchObject({ status: 400, body: { scimType: 'mutability' } });
  });

  it('stops accepting a rotated-away token', async () => {
    const admin = await server.as('admin');
    const old = token;
    token = (await admin.ok<{ rotateScimToken: { token: string } }>('mutation { rotateScimToken { token } }')).rotateScimToken.token;
    expect((await scim('GET', '/Users', undefined, old)).status).toBe(401);
    expect((await scim('GET', '/Users')).status).toBe(200);
  });
});
