import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../../db/client';
import { revocationColumns, type Revocation } from '../../authn/session-end';
import { queryRows } from '../../db/rows';
import { roleAssignments, roles, sessions, tenants, users } from '../../db/schema';
import { decisionStateColumns, type DecisionStateRow } from '../../authz/decision-state';

export async function findTenantBySlug(ex: Executor, slug: string) {
  const [row] = await ex.select({ id: tenants.id, slug: tenants.slug }).from(tenants).where(eq(tenants.slug, slug));
  return row;
}

export async function findUserByEmail(tx: Tx, email: string) {
  const [row] = await tx
    .select({ id: users.id, status: users.status, passwordHash: users.passwordHash, offboardedAt: users.offboardedAt })
    .from(users)
    .where(eq(users.email, email));
  return row;
}

export async function insertSession(
  tx: Tx,
  values: { tenantId: string; userId: string; refreshTokenHash: string; expiresAt: Date; userAgent?: string; ip?: string; authMethod?: string; mfaAt?: Date },
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
      revokedReason: sessions.revokedReason,
      revokedReference: sessions.revokedReference,
      userStatus: users.status,
      userOffboardedAt: users.offboardedAt,
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

export async function revokeSession(tx: Tx, sessionId: string, reason: Revocation) {
  await tx
    .update(sessions)
    .set({ revokedAt: sql`now()`, ...revocationColumns(reason) })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

export type ViewerRow = DecisionStateRow & {
  user_id: string;
  email: string;
  status: string;
  session_ok: boolean;
  /** Why the session was revoked (one of REVOKE_REASONS), and the alert behind a SECURITY_RESPONSE. */
  revoked_reason: string | null;
  revoked_reference: string | null;
  offboarded: boolean;
  mfa_at: Date | string | null;
  mfa_enrolled: boolean;
  mfa_required_roles: string[] | null;
  step_up_max_age: number | null;
  lockdown: { id: string; reason: string; startedAt: string } | string | null;
};

/**
 * Everything a request's decisions need, in one statement: the session (live, not revoked), the user
 * (active), the tenant's active lockdown, the user's decision state now (role assignments with scopes,
 * teams, live grants), and the second-factor state (the session's last MFA, enrolment, the tenant's
 * MFA policy and step-up age).
 */
export async function loadViewerRow(tx: Tx, userId: string, sessionId: string): Promise<ViewerRow | undefined> {
  const [row] = await queryRows<ViewerRow>(
    tx,
    sql`
    select u.id as user_id, u.email, u.status,
      (s.revoked_at is null and s.expires_at > now()) as session_ok,
      s.revoked_reason, s.revoked_reference,
      (select json_build_object('id', l.id, 'reason', l.reason, 'startedAt', l.started_at) from tenant_lockdowns l
        where l.tenant_id = u.tenant_id and l.lifted_at is null) as lockdown,
      ${decisionStateColumns(sql`now()`)},
      (u.offboarded_at is not null) as offboarded,
      s.mfa_at,
      exists (select 1 from user_totp t where t.tenant_id = u.tenant_id and t.user_id = u.id and t.confirmed_at is not null) as mfa_enrolled,
      tas.mfa_required_roles,
      tas.step_up_max_age_seconds as step_up_max_age
    from ${sessions} s
    join ${users} u on u.tenant_id = s.tenant_id and u.id = s.user_id
    left join tenant_auth_settings tas on tas.tenant_id = s.tenant_id
    where s.id = ${sessionId} and s.user_id = ${userId}`,
  );
  return row;
}

/** A user's decision state at a moment (explainAccess at:), from assignment and grant history. */
export async function loadDecisionStateRow(tx: Tx, userId: string, at: Date): Promise<(DecisionStateRow & { user_id: string }) | undefined> {
  const [row] = await queryRows<DecisionStateRow & { user_id: string }>(
    tx,
    sql`select u.id as user_id, ${decisionStateColumns(sql`${at.toISOString()}::timestamptz`)} from ${users} u where u.id = ${userId}`,
  );
  return row;
}

/** Decision states of every active user of the tenant now (whoCanAccess). */
export async function loadAllDecisionStateRows(tx: Tx): Promise<(DecisionStateRow & { user_id: string; email: string; display_name: string })[]> {
  return queryRows(
    tx,
    sql`select u.id as user_id, u.email, u.display_name, ${decisionStateColumns(sql`now()`)} from ${users} u where u.status = 'ACTIVE' order by u.email`,
  );
}

export async function rolesOfUser(ex: Executor, userId: string) {
  return ex
    .select({ id: roles.id, key: roles.key, name: roles.name, permissions: roles.permissions, clearance: roles.clearance, builtIn: roles.builtIn })
    .from(roleAssignments)
    .innerJoin(roles, and(eq(roles.tenantId, roleAssignments.tenantId), eq(roles.id, roleAssignments.roleId)))
    .where(and(eq(roleAssignments.userId, userId), isNull(roleAssignments.revokedAt)));
}

export async function usersByIds(ex: Executor, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return ex
    .select({ id: users.id, email: users.email, displayName: users.displayName, status: users.status })
    .from(users)
    .where(inArray(users.id, [...ids]));
}

export type UserRow = Awaited<ReturnType<typeof usersByIds>>[number];

export type RoleRow = Awaited<ReturnType<typeof rolesOfUser>>[number];

export async function findTenantSlug(ex: Executor, tenantId: string): Promise<string | undefined> {
  const [row] = await ex.select({ slug: tenants.slug }).from(tenants).where(eq(tenants.id, tenantId));
  return row?.slug;
}
