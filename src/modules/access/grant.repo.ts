import { and, desc, eq, gt, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { accessGrants, tenants } from '../../db/schema';
import type { Page } from '../../lib/pagination';
import { keyset } from '../keyset';

export type GrantRow = typeof accessGrants.$inferSelect;

export async function insertGrant(tx: Tx, values: typeof accessGrants.$inferInsert): Promise<GrantRow> {
  const [row] = await tx.insert(accessGrants).values(values).returning();
  return row;
}

export async function grantById(tx: Tx, id: string): Promise<GrantRow | undefined> {
  const [row] = await tx.select().from(accessGrants).where(eq(accessGrants.id, id));
  return row;
}

export async function grantsByIds(tx: Tx, ids: readonly string[]): Promise<GrantRow[]> {
  if (!ids.length) return [];
  return tx.select().from(accessGrants).where(sql`${accessGrants.id} = any(${`{${ids.join(',')}}`}::uuid[])`);
}

export async function revokeGrantRow(tx: Tx, id: string, by: string, reason: string): Promise<GrantRow | undefined> {
  const [row] = await tx
    .update(accessGrants)
    .set({ revokedAt: sql`now()`, revokedBy: by, revokeReason: reason })
    .where(and(eq(accessGrants.id, id), isNull(accessGrants.revokedAt)))
    .returning();
  return row;
}

export const isActive = (g: GrantRow, now = new Date()) => !g.revokedAt && g.expiresAt.getTime() > now.getTime();

export async function listGrants(tx: Tx, page: Page, f: { userId?: string; resourceId?: string; activeOnly: boolean }) {
  const filters: (SQL | undefined)[] = [
    f.userId ? eq(accessGrants.userId, f.userId) : undefined,
    f.resourceId ? eq(accessGrants.resourceId, f.resourceId) : undefined,
    f.activeOnly ? and(isNull(accessGrants.revokedAt), gt(accessGrants.expiresAt, sql`now()`)) : undefined,
  ];
  const k = keyset(accessGrants, page, and(sql`true`, ...filters)!);
  return tx.select({ grant: accessGrants, cursorAt: k.cursorAt }).from(accessGrants).where(k.where).orderBy(...k.orderBy).limit(k.limit);
}

/** Expired grants whose expiry was not yet recorded (the sweeper's work list). */
export async function unrecordedExpiries(tx: Tx, limit: number): Promise<GrantRow[]> {
  return tx
    .select()
    .from(accessGrants)
    .where(and(lte(accessGrants.expiresAt, sql`now()`), isNull(accessGrants.expiryRecordedAt), or(isNull(accessGrants.revokedAt), gt(accessGrants.revokedAt, accessGrants.expiresAt))))
    .orderBy(desc(accessGrants.expiresAt))
    .limit(limit)
    .for('update', { skipLocked: true });
}

export async function markExpiryRecorded(tx: Tx, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await tx.update(accessGrants).set({ expiryRecordedAt: sql`now()` }).where(sql`${accessGrants.id} = any(${`{${ids.join(',')}}`}::uuid[])`);
}

export async function maxGrantDays(tx: Tx, tenantId: string): Promise<number> {
  const [row] = await tx.select({ days: tenants.maxGrantDays }).from(tenants).where(eq(tenants.id, tenantId));
  return row?.days ?? 90;
}

/** Offboarding: revoke every live grant made to the user. */
export async function revokeGrantsOfUser(tx: Tx, userId: string, by: string | null, reason: string): Promise<number> {
  const rows = await tx
    .update(accessGrants)
    .set({ revokedAt: sql`now()`, revokedBy: by, revokeReason: reason })
    .where(and(eq(accessGrants.userId, userId), isNull(accessGrants.revokedAt), gt(accessGrants.expiresAt, sql`now()`)))
    .returning({ id: accessGrants.id });
  return rows.length;
}
