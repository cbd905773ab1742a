import { DEMO_PASSWORD } from '../../src/db/seed/demo';
import { sql } from 'drizzle-orm';
import { withTenantTx } from '../../src/db/tenant-tx';
import { queryRows } from '../../src/db/rows';
import { customers } from '../../src/db/schema';
import { toGlobalId } from '../../src/lib/global-id';
import { createTestServer, type TestServer } from '../testkit/server';
import { dbFailure, seedOtherTenant } from '../testkit/seed';

describe('tenant isolation: application predicates and row-level security', () => {
  let server: TestServer;
  let other: Awaited<ReturnType<typeof seedOtherTenant>>;
  beforeAll(async () => {
    server = await createTestServer();
    other = await seedOtherTenant(server.database.db);
  });
  afterAll(() => server.stop());

  const count = (tenantId: string | null, table: string) =>
    withTenantTx(server.database.db, tenantId, async (tx) => Number((await queryRows<{ n: number }>(tx, sql.raw(`select count(*)::int as n from ${table}`)))[0].n));

  it('runs application statements as a role that is neither superuser, owner nor BYPASSRLS', async () => {
    const [role] = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ name: string; rolsuper: boolean; rolbypassrls: boolean; owns: number }>(
        tx,
        sql`select current_user as name, r.rolsuper, r.rolbypassrls,
              (select count(*)::int from pg_tables t where t.schemaname = 'public' and t.tableowner = current_user) as owns
            from pg_roles r where r.rolname = current_user`,
      ),
    );
    expect(role).toEqual({ name: 'warden_app', rolsuper: false, rolbypassrls: false, owns: 0 });
  });

  it('forces row-level security with the tenant policy on every table that has a tenant_id', async () => {
    const tables = await queryRows<{ table: string; rls: boolean; forced: boolean; policies: number }>(
      server.database.db,
      sql`select c.relname as table, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
            (select count(*)::int from pg_policies p where p.tablename = c.relname and p.policyname = 'tenant_isolation') as policies
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind = 'r'
            and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
          order by 1`,
    );
    expect(tables.length).toBeGreaterThanOrEqual(20);
    expect(tables.filter((t) => !t.rls || !t.forced || t.policies !== 1).map((t) => t.table)).toEqual([]);
  });

  it('shows no rows at all without a tenant context', async () => {
    for (const table of ['users', 'customers', 'articles', 'sessions', 'roles', 'audit_events']) {
      expect(await count(null, table)).toBe(0);
    }
    expect(await count(server.tenantId, 'customers')).toBe(5);
  });

  it("never shows tenant B's rows to tenant A, even to a query that forgets the tenant predicate", async () => {
    const rows = await withTenantTx(server.database.db, server.tenantId, (tx) => tx.select({ id: customers.id, tenantId: customers.tenantId }).from(customers));
    expect(rows.length).toBe(5);
    expect(rows.every((r) => r.tenantId === server.tenantId)).toBe(true);
    expect(rows.map((r) => r.id)).not.toContain(other.customerId);
    const updated = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ id: string }>(tx, sql`update customers set name = 'pwned' where id = ${other.customerId} returning id`),
    );
    expect(updated).toEqual([]);
  });

  it("refuses to write a row into another tenant (WITH CHECK), and writes nothing", async () => {
    expect(
      await dbFailure(withTenantTx(server.database.db, server.tenantId, (tx) => tx.insert(customers).values({ tenantId: other.tenantId, name: 'smuggled' }))),
    ).toMatch(/row-level security/);
    expect(await count(other.tenantId, 'customers')).toBe(1);
  });

  it("answers another tenant's ids through the API as not found, never forbidden", async () => {
    const lead = await server.as('lead');
    const r = await lead.request(
      `query($c: ID!, $a: ID!) { customer(id: $c) { name } article(id: $a) { title } node(id: $c) { id } }`,
      { c: toGlobalId('Customer', other.customerId), a: toGlobalId('Article', other.articleId) },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ customer: null, article: null, node: null });
    const { customers: page } = await lead.ok<{ customers: { edges: { node: { name: string } }[] } }>('{ customers(first: 100) { edges { node { name } } } }');
    expect(page.edges.map((e) => e.node.name)).not.toContain('赵敏');
  });

  it('lets the other tenant see only its own data', async () => {
    const globex = await server.client().login(other.email, DEMO_PASSWORD, 'globex');
    const { customers: page } = await globex.ok<{ customers: { edges: { node: { name: string; phone: string } }[] } }>('{ customers { edges { node { name phone } } } }');
    expect(page.edges).toEqual([{ node: { name: '赵敏', phone: '13700007777' } }]);
  });
});

describe('the audit table is append-only, enforced by the database', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
    await server.as('agent');
  });
  afterAll(() => server.stop());

  it.each([
    ['update', sql`update audit_events set action = 'x'`],
    ['delete', sql`delete from audit_events`],
    ['truncate', sql`truncate audit_events`],
  ])('refuses %s for the application role', async (_name, statement) => {
    expect(await dbFailure(withTenantTx(server.database.db, server.tenantId, (tx) => tx.execute(statement)))).toMatch(/permission denied|append-only/);
  });

  it('refuses update and delete even for the table owner (trigger)', async () => {
    expect(await dbFailure(server.database.db.execute(sql`update audit_events set action = 'x'`))).toMatch(/append-only/);
    expect(await dbFailure(server.database.db.execute(sql`delete from audit_events`))).toMatch(/append-only/);
    expect(await dbFailure(server.database.db.execute(sql`truncate audit_events`))).toMatch(/append-only/);
  });

  it('chains every event to the previous one by SHA-256', async () => {
    const rows = await withTenantTx(server.database.db, server.tenantId, (tx) =>
      queryRows<{ seq: number; ok: boolean; linked: boolean }>(
        tx,
        sql`select seq::int, hash = sha256(coalesce(prev_hash, ''::bytea) || convert_to(audit_canonical(e), 'UTF8')) as ok,
                   prev_hash is not distinct from lag(hash) over (order by seq) as linked
            from audit_events e order by seq`,
      ),
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    expect(rows.every((r) => r.ok && r.linked)).toBe(true);
  });
});
