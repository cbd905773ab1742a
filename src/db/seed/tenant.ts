import { sql } from 'drizzle-orm';
import type { Db } from '../client';
import { roles, tenants } from '../schema';
import { BUILT_IN_ROLES } from '../../authz/permissions';
import { withTenantTx } from '../tenant-tx';
import { queryRows } from '../rows';

export async function hasAnyTenant(db: Db): Promise<boolean> {
  const rows = await withTenantTx(db, null, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from ${tenants}`));
  return Number(rows[0]?.n) > 0;
}

/**
 * Create a tenant with the built-in roles. Creating tenants is the one thing done as the migrating
 * (owner) role, since the application role may only read the tenants table.
 */
export async function createTenant(db: Db, slug: string, name: string): Promise<{ tenantId: string; roleIds: Record<string, string> }> {
  const [tenant] = await db.insert(tenants).values({ slug, name }).returning({ id: tenants.id });
  const roleIds = await withTenantTx(db, tenant.id, async (tx) => {
    const rows = await tx
      .insert(roles)
      .values(BUILT_IN_ROLES.map((r) => ({ tenantId: tenant.id, key: r.key, name: r.name, permissions: r.permissions, clearance: r.clearance, builtIn: true })))
      .returning({ id: roles.id, key: roles.key });
    return Object.fromEntries(rows.map((r) => [r.key, r.id]));
  });
  return { tenantId: tenant.id, roleIds };
}
