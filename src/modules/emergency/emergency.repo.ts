import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { RevokeReason } from '../../authn/session-end';
import type { Tx } from '../../db/client';
import { queryRows } from '../../db/rows';
import { breakGlassAccesses, tenantLockdowns } from '../../db/schema';

export type BreakGlassRow = typeof breakGlassAccesses.$inferSelect;
export type LockdownRow = typeof tenantLockdowns.$inferSelect;
/** A lockdown as the API shows it; empty when the tenant never locked down. */
export type LockdownModel = Partial<LockdownRow>;

export async function insertBreakGlass(tx: Tx, values: typeof breakGlassAccesses.$inferInsert): Promise<BreakGlassRow> {
  const [row] = await tx.insert(breakGlassAccesses).values(values).returning();
  return row;
}

export async function breakGlassForUpdate(tx: Tx, id: string): Promise<BreakGlassRow | undefined> {
  const [row] = await tx.select().from(breakGlassAccesses).where(eq(breakGlassAccesses.id, id)).for('update');
  return row;
}

export async function closeBreakGlass(tx: Tx, id: string, review: { outcome: string; by: string; note: string }): Promise<BreakGlassRow> {
  const [row] = await tx
    .update(breakGlassAccesses)
    .set({ reviewStatus: 'CLOSED', reviewOutcome: review.outcome, reviewedBy: review.by, reviewedAt: sql`now()`, reviewNote: review.note })
    .where(eq(breakGlassAccesses.id, id))
    .returning();
  return row;
}

export const listBreakGlass = (tx: Tx, f: { status?: string; userId?: string }) =>
  tx
    .select()
    .from(breakGlassAccesses)
    .where(and(f.status ? eq(breakGlassAccesses.reviewStatus, f.status) : undefined, f.userId ? eq(breakGlassAccesses.userId, f.userId) : undefined))
    .orderBy(desc(breakGlassAccesses.createdAt))
    .limit(200);

export async function activeLockdown(tx: Tx): Promise<LockdownRow | undefined> {
  const [row] = await tx.select().from(tenantLockdowns).where(isNull(tenantLockdowns.liftedAt)).for('update');
  return row;
}

export async function latestLockdown(tx: Tx): Promise<LockdownRow | undefined> {
  const [row] = await tx.select().from(tenantLockdowns).orderBy(desc(tenantLockdowns.startedAt)).limit(1);
  return row;
}

export async function insertLockdown(tx: Tx, values: typeof tenantLockdowns.$inferInsert): Promise<LockdownRow> {
  const [row] = await tx.insert(tenantLockdowns).values(values).returning();
  return row;
}

export async function liftLockdownRow(tx: Tx, id: string, by: string, reason: string): Promise<LockdownRow> {
  const [row] = await tx.update(tenantLockdowns).set({ liftedAt: sql`now()`, liftedBy: by, liftReason: reason }).where(eq(tenantLockdowns.id, id)).returning();
  return row;
}

export async function setLockdownSessions(tx: Tx, id: string, n: number): Promise<LockdownRow> {
  const [row] = await tx.update(tenantLockdowns).set({ sessionsRevoked: n }).where(eq(tenantLockdowns.id, id)).returning();
  return row;
}

/** Revoke every live session of the tenant except those of users who hold LOCKDOWN through a role. */
export async function revokeSessionsExceptLockdownHolders(tx: Tx): Promise<number> {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`update sessions s set revoked_at = now(), revoked_reason = ${'REVOKED_BY_ADMIN' satisfies RevokeReason}
        where s.revoked_at is null and not exists (
          select 1 from role_assignments ra join roles r on r.tenant_id = ra.tenant_id and r.id = ra.role_id
          where ra.tenant_id = s.tenant_id and ra.user_id = s.user_id and ra.revoked_at is null and 'LOCKDOWN' = any(r.permissions))
        returning s.id`,
  );
  return rows.length;
}
