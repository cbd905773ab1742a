import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../../db/client';
import { queryRows } from '../../db/rows';
import { roleAssignments, roles, sessions, teams, tenants, users } from '../../db/schema';

export async function findTenantBySlug(ex: Executor, slug: string) {
  const [row] = await ex.select({ id: tenants.id, slug: tenants.slug }).from(tenants).where(eq(tenants.slug, slug));
  return row;
}

export async function findUserByEmail(tx: Tx, email: string) {
  const [row] = await tx
    .select({ id: users.id, status: users.status, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.email, email));
  return row;
}

export async function insertSession(
  tx: Tx,
  values: { tenantId: string; userId: string; refreshTokenHash: string; expiresAt: Date; userAgent?: string; ip?: string },
) {
  const [row] = await tx.insert(sessions).values(values).returning({ id: sessions.id });
  return row;
}

/** The session with its user's status, for refresh. Locked so two refreshes cannot both rotate it. */
export async function findSessionForRefresh(tx: Tx, sessionId: string) {
  const [row] = await tx
    .select({
      id: sessions.id,
      userId: sessions.userId,
      refreshTokenHash: sessions.refreshTokenHash,
      previousRefreshTokenHash: sessions.previousRefreshTokenHash,
      expiresAt: sessions.expiresAt,
      revokedAt: sessions.revokedAt,
      userStatus: users.status,
    })
    .from(sessions)
    .innerJoin(users, and(eq(users.tenantId, sessions.tenantId), eq(users.id, sessions.userId)))
    .where(eq(sessions.id, sessionId))
    .for('update', { of: sessions });
  return row;
}

export async function rotateRefreshToken(tx: Tx, sessionId: string, previousHash: string, nextHash: string) {
  await tx
    .update(sessions)
    .set({ refreshTokenHash: nextHash, previousRefreshTokenHash: previousHash, lastSeenAt: sql`now()` })
    .where(eq(sessions.id, sessionId));
}

export async function revokeSession(tx: Tx, sessionId: string, reason: string) {
  await tx
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

export type ViewerRow = {
  user_id: string;
  email: string;
  status: string;
  session_ok: boolean;
  permissions: string[];
  clearances: string[];
  role_keys: string[];
  team_ids: string[];
};

/**
 * Everything a request's decisions need, in one statement: the session (live, not revoked), the user
 * (active), their roles' permissions and clearances, and their teams.
 */
export async function loadViewerRow(tx: Tx, userId: string, sessionId: string): Promise<ViewerRow | undefined> {
  const [row] = await queryRows<ViewerRow>(
    tx,
    sql`
    select u.id as user_id, u.email, u.status,
      (s.revoked_at is null and s.expires_at > now()) as session_ok,
      coalesce((select array_agg(distinct p) from ${roleAssignments} ra
                  join ${roles} r on r.tenant_id = ra.tenant_id and r.id = ra.role_id,
                  unnest(r.permissions) p
                where ra.tenant_id = u.tenant_id and ra.user_id = u.id), '{}')::text[] as permissions,
      coalesce((select array_agg(distinct r.clearance) from ${roleAssignments} ra
                  join ${roles} r on r.tenant_id = ra.tenant_id and r.id = ra.role_id
                where ra.tenant_id = u.tenant_id and ra.user_id = u.id), '{}')::text[] as clearances,
      coalesce((select array_agg(distinct r.key) from ${roleAssignments} ra
                  join ${roles} r on r.tenant_id = ra.tenant_id and r.id = ra.role_id
                where ra.tenant_id = u.tenant_id and ra.user_id = u.id), '{}')::text[] as role_keys,
      coalesce((select array_agg(tm.team_id) from team_members tm
                where tm.tenant_id = u.tenant_id and tm.user_id = u.id), '{}')::text[] as team_ids
    from ${sessions} s
    join ${users} u on u.tenant_id = s.tenant_id and u.id = s.user_id
    where s.id = ${sessionId} and s.user_id = ${userId}`,
  );
  return row;
}

export async function rolesOfUser(ex: Executor, userId: string) {
  return ex
    .select({ id: roles.id, key: roles.key, name: roles.name, permissions: roles.permissions, clearance: roles.clearance })
    .from(roleAssignments)
    .innerJoin(roles, and(eq(roles.tenantId, roleAssignments.tenantId), eq(roles.id, roleAssignments.roleId)))
    .where(eq(roleAssignments.userId, userId));
}

export async function usersByIds(ex: Executor, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return ex
    .select({ id: users.id, email: users.email, displayName: users.displayName, status: users.status })
    .from(users)
    .where(inArray(users.id, [...ids]));
}

export type UserRow = Awaited<ReturnType<typeof usersByIds>>[number];

export async function teamsByIds(ex: Executor, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return ex.select({ id: teams.id, name: teams.name }).from(teams).where(inArray(teams.id, [...ids]));
}

export type TeamRow = Awaited<ReturnType<typeof teamsByIds>>[number];
export type RoleRow = Awaited<ReturnType<typeof rolesOfUser>>[number];
