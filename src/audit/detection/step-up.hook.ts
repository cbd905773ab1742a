import { and, eq, isNull } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { sessions } from '../../db/schema';

/**
 * The REQUIRE_STEP_UP response: the user's live sessions lose their second-factor time, so the next
 * read of a step-up field (CONFIDENTIAL content) answers MFA_REQUIRED until verifyMfa passes again.
 */
export async function requireStepUp(tx: Tx, userId: string): Promise<'APPLIED' | 'NOT_AVAILABLE'> {
  await tx.update(sessions).set({ mfaAt: null }).where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)));
  return 'APPLIED';
}
