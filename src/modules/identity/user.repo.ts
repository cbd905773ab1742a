import { and, count, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../../db/client';
import { roleAssignments, roles, users } from '../../db/schema';

const userColumns = { id: users.id, email: users.email, displayName: users.displayName, status: users.status };

export async function userInTenant(ex: Executor, userId: string) {
  const [row] = await ex.select({ ...userColumns, offboardedAt: users.offboardedAt }).from(users).where(eq(users.id, userId));
  return row;
}

export async function findRoleKeys(ex: Executor): Promise<string[]> {
  return (await ex.select({ key: roles.key }).from(roles)).map((r) => r.key);
}

export async function roleIdsByKeys(ex: Executor, keys: string[]): Promise<string[]> {
  if (keys.length === 0) return [];
  return (await ex.select({ id: roles.id }).from(roles).where(inArray(roles.key, keys))).map((r) => r.id);
}

export async function setUserStatus(tx: Tx, userId: string, status: 'ACTIVE' | 'SUSPENDED' | 'DISABLED', offboarded = false) {
  const [row] = await tx
    .update(users)
    .set({ status, updatedAt: sql`now()`, ...(offboarded ? { offboardedAt: sql`now()` as unknown as Date } : status === 'ACTIVE' ? { offboardedAt: null } : {}) })
    .where(eq(users.id, userId))
    .returning({ ...userColumns, offboardedAt: users.offboardedAt });
  return row;
}

const live = (userId: string) => and(eq(roleAssignments.userId, userId), isNull(roleAssignments.revokedAt));

/** Revoke every role of a user (assignments stay as history); returns the keys removed. */
export async function removeRoles(tx: Tx, userId: string): Promise<string[]> {
  const held = await tx
    .select({ id: roleAssignments.id, key: roles.key })
    .from(roleAssignments)
    .innerJoin(roles, and(eq(roles.tenantId, roleAssignments.tenantId), eq(roles.id, roleAssignments.roleId)))
    .where(live(userId));
  if (held.length) await tx.update(roleAssignments).set({ revokedAt: sql`now()` }).where(live(userId));
  return held.map((h) => h.key).sort();
}

/** Make a user's tenant-wide roles exactly these (SSO: roles follow groups); scoped assignments stay. */
export async function setRoles(tx: Tx, tenantId: string, userId: string, roleIds: string[]) {
  const held = await tx
    .select({ id: roleAssignments.id, roleId: roleAssignments.roleId })
    .from(roleAssignments)
    .where(and(live(userId), eq(roleAssignments.scopeType, 'TENANT')));
  const drop = held.filter((h) => !roleIds.includes(h.roleId)).map((h) => h.id);
  const add = roleIds.filter((id) => !held.some((h) => h.roleId === id));
  if (drop.length) await tx.update(roleAssignments).set({ revokedAt: sql`now()` }).where(inArray(roleAssignments.id, drop));
  if (add.length) await tx.insert(roleAssignments).values(add.map((roleId) => ({ tenantId, userId, roleId })));
}

/** Active holders of the admin role other than this user (offboarding the last admin is refused). */
export async function otherActiveAdmins(tx: Tx, userId: string): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(roleAssignments)
    .innerJoin(roles, and(eq(roles.tenantId, roleAssignments.tenantId), eq(roles.id, roleAssignments.roleId)))
    .innerJoin(users, and(eq(users.tenantId, roleAssignments.tenantId), eq(users.id, roleAssignments.userId)))
    .where(and(eq(roles.key, 'admin'), eq(users.status, 'ACTIVE'), ne(users.id, userId), isNull(roleAssignments.revokedAt)));
  return Number(row?.n ?? 0);
}

export async function isAdmin(tx: Tx, userId: string): Promise<boolean> {
  const [row] = await tx
    .select({ n: count() })
    .from(roleAssignments)
    .innerJoin(roles, and(eq(roles.tenantId, roleAssignments.tenantId), eq(roles.id, roleAssignments.roleId)))
    .where(and(eq(roles.key, 'admin'), live(userId)));
  return Number(row?.n ?? 0) > 0;
}

/** The longest-standing active admin: who receives a SCIM-deactivated user's records by default. */
export async function seniorAdmin(tx: Tx, exceptUserId: string): Promise<string | undefined> {
  const [row] = await tx
    .select({ id: users.id })
    .from(users)
    .innerJoin(roleAssignments, and(eq(roleAssignments.tenantId, users.tenantId), eq(roleAssignments.userId, users.id)))
    .innerJoin(roles, and(eq(roles.tenantId, roleAssignments.tenantId), eq(roles.id, roleAssignments.roleId)))
    .where(and(eq(roles.key, 'admin'), eq(users.status, 'ACTIVE'), ne(users.id, exceptUserId), isNull(roleAssignments.revokedAt)))
    .orderBy(users.createdAt)
    .limit(1);
  return row?.id;
}

export async function setPasswordHash(tx: Tx, userId: string, passwordHash: string) {
  await tx.update(users).set({ passwordHash, updatedAt: sql`now()` }).where(eq(users.id, userId));
}

export async function passwordHashOf(tx: Tx, userId: string) {
  const [row] = await tx.select({ hash: users.passwordHash }).from(users).where(eq(users.id, userId));
  return row?.hash ?? null;
}
