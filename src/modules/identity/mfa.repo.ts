import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { recoveryCodes, sessions, tenantAuthSettings, userTotp } from '../../db/schema';

export async function totpOf(tx: Tx, userId: string) {
  const [row] = await tx
    .select({ secret: userTotp.secret, confirmedAt: userTotp.confirmedAt, lastStep: userTotp.lastStep })
    .from(userTotp)
    .where(eq(userTotp.userId, userId));
  return row;
}

/** A new, unconfirmed secret (replacing an unconfirmed one; a confirmed authenticator is never replaced here). */
export async function savePendingTotp(tx: Tx, tenantId: string, userId: string, secret: string) {
  await tx
    .insert(userTotp)
    .values({ tenantId, userId, secret })
    .onConflictDoUpdate({ target: [userTotp.tenantId, userTotp.userId], set: { secret, lastStep: null, createdAt: sql`now()` }, setWhere: isNull(userTotp.confirmedAt) });
}

/**
 * Accept a time step: only if it is later than the last accepted one. A concurrent use of the same code
 * updates nothing here and is refused (the row is the arbiter, not the process).
 */
export async function acceptStep(tx: Tx, userId: string, step: number, confirm: boolean): Promise<boolean> {
  const rows = await tx
    .update(userTotp)
    .set({ lastStep: step, ...(confirm && { confirmedAt: sql`now()` as unknown as Date }) })
    .where(and(eq(userTotp.userId, userId), or(isNull(userTotp.lastStep), lt(userTotp.lastStep, step))))
    .returning({ userId: userTotp.userId });
  return rows.length === 1;
}

export async function replaceRecoveryCodes(tx: Tx, tenantId: string, userId: string, hashes: string[]) {
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  await tx.insert(recoveryCodes).values(hashes.map((codeHash) => ({ tenantId, userId, codeHash })));
}

/** Spend a recovery code: true once per code. */
export async function useRecoveryCode(tx: Tx, userId: string, codeHash: string): Promise<boolean> {
  const rows = await tx
    .update(recoveryCodes)
    .set({ usedAt: sql`now()` })
    .where(and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, codeHash), isNull(recoveryCodes.usedAt)))
    .returning({ id: recoveryCodes.id });
  return rows.length === 1;
}

export async function unusedRecoveryCodes(tx: Tx, userId: string): Promise<number> {
  const [row] = await tx.select({ n: sql<number>`count(*)::int` }).from(recoveryCodes).where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  return Number(row?.n ?? 0);
}

export async function markSessionMfa(tx: Tx, sessionId: string): Promise<Date> {
  const [row] = await tx.update(sessions).set({ mfaAt: sql`now()` }).where(eq(sessions.id, sessionId)).returning({ at: sessions.mfaAt });
  return row.at!;
}

export async function deleteMfa(tx: Tx, userId: string) {
  await tx.delete(userTotp).where(eq(userTotp.userId, userId));
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
}

export async function authSettings(tx: Tx) {
  const [row] = await tx.select().from(tenantAuthSettings);
  return row;
}

export async function saveAuthSettings(tx: Tx, tenantId: string, patch: Partial<typeof tenantAuthSettings.$inferInsert>) {
  const [row] = await tx
    .insert(tenantAuthSettings)
    .values({ tenantId, ...patch })
    .onConflictDoUpdate({ target: tenantAuthSettings.tenantId, set: { ...patch, updatedAt: sql`now()` } })
    .returning();
  return row;
}
