import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { sessions, usedRefreshTokens } from '../../db/schema';
import { revocationColumns, type Revocation } from '../../authn/session-end';

const live = and(isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`));

export async function liveSessionsOf(tx: Tx, userId: string) {
  return tx
    .select({
      id: sessions.id,
      createdAt: sessions.createdAt,
      lastSeenAt: sessions.lastSeenAt,
      expiresAt: sessions.expiresAt,
      userAgent: sessions.userAgent,
      ip: sessions.ip,
      authMethod: sessions.authMethod,
      mfaAt: sessions.mfaAt,
    })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), live))
    .orderBy(desc(sessions.lastSeenAt));
}

export type SessionRow = Awaited<ReturnType<typeof liveSessionsOf>>[number];

/** Revoke one session of a user; false when it is not theirs or already ended. */
export async function revokeOwnSession(tx: Tx, userId: string, sessionId: string, reason: Revocation): Promise<boolean> {
  const rows = await tx
    .update(sessions)
    .set({ revokedAt: sql`now()`, ...revocationColumns(reason) })
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length === 1;
}

/** Revoke every live session of a user (optionally all but one): their access and refresh tokens die with them. */
export async function revokeUserSessions(tx: Tx, userId: string, reason: Revocation, exceptSessionId?: string): Promise<number> {
  const rows = await tx
    .update(sessions)
    .set({ revokedAt: sql`now()`, ...revocationColumns(reason) })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), exceptSessionId ? ne(sessions.id, exceptSessionId) : undefined))
    .returning({ id: sessions.id });
  return rows.length;
}

/** Remember a refresh token a rotation replaced, so that presenting it again is recognised as reuse. */
export async function rememberUsedRefreshToken(tx: Tx, tenantId: string, sessionId: string, tokenHash: string) {
  await tx.insert(usedRefreshTokens).values({ tenantId, sessionId, tokenHash }).onConflictDoNothing();
}

export async function wasUsedRefreshToken(tx: Tx, sessionId: string, tokenHash: string): Promise<boolean> {
  const [row] = await tx
    .select({ sessionId: usedRefreshTokens.sessionId })
    .from(usedRefreshTokens)
    .where(and(eq(usedRefreshTokens.tokenHash, tokenHash), eq(usedRefreshTokens.sessionId, sessionId)));
  return Boolean(row);
}
