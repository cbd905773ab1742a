import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { sessions, users } from '../../db/schema';
import { revocationColumns, type Revocation } from '../../authn/session-end';
import type { ResponseKind } from './rules';
import { requireStepUp } from './step-up.hook';

export type ResponseOutcome = { kind: ResponseKind; status: 'APPLIED' | 'NOT_AVAILABLE' | 'SKIPPED'; detail: Record<string, unknown> };

/** Revoke every live session of a user: their tokens are refused from the next request. */
export async function revokeUserSessions(tx: Tx, userId: string, reason: Revocation): Promise<number> {
  const rows = await tx
    .update(sessions)
    .set({ revokedAt: sql`now()`, ...revocationColumns(reason) })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length;
}

/**
 * What the system does by itself when a rule fires, inside the alert's transaction. Locking uses the
 * account status (SUSPENDED), which every request already checks; the identity module's suspension flow
 * reads the same column.
 */
export async function applyResponse(tx: Tx, kind: ResponseKind, userId: string | null, alertId: string): Promise<ResponseOutcome> {
  if (!userId) return { kind, status: 'SKIPPED', detail: { reason: 'the alert is not about one user' } };
  switch (kind) {
    case 'REVOKE_SESSIONS':
      return { kind, status: 'APPLIED', detail: { sessionsRevoked: await revokeUserSessions(tx, userId, { reason: 'SECURITY_RESPONSE', alertId }) } };
    case 'LOCK_ACCOUNT': {
      const locked = await tx
        .update(users)
        .set({ status: 'SUSPENDED', updatedAt: sql`now()` })
        .where(and(eq(users.id, userId), eq(users.status, 'ACTIVE')))
        .returning({ id: users.id });
      return { kind, status: locked.length ? 'APPLIED' : 'SKIPPED', detail: locked.length ? { status: 'SUSPENDED' } : { reason: 'the account is not active' } };
    }
    case 'REQUIRE_STEP_UP': {
      const status = await requireStepUp(tx, userId);
      return { kind, status, detail: status === 'APPLIED' ? {} : { reason: 'MFA is not available' } };
    }
  }
}
