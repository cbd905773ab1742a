import { eq } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { tickets } from '../../db/schema';
import { withdrawRequestsOf } from '../access/access-request.repo';
import { revokeGrantsOfUser } from '../access/grant.repo';

/**
 * Offboarding steps that belong to other modules (and, for API tokens, a thing that does not exist yet). Each is called inside the offboarding transaction
 * and its count goes into the result and the audit event; when the feature lands, its module fills in
 * the function here (or replaces the call) and the offboarding tests extend to it.
 */

/** Time-bound grants held by the user are revoked and their pending access requests withdrawn. */
export async function withdrawGrantsAndAccessRequests(tx: Tx, userId: string, by: string | null = null): Promise<number> {
  return (await revokeGrantsOfUser(tx, userId, by, 'offboarded')) + (await withdrawRequestsOf(tx, userId));
}

/** Personal API tokens (not built yet: every credential today is a session, revoked with the sessions). */
export async function revokeApiTokens(_tx: Tx, _userId: string): Promise<number> {
  return 0;
}

/** Tickets assigned to the leaver go to the successor. */
export async function transferTickets(tx: Tx, fromUserId: string, toUserId: string): Promise<number> {
  const rows = await tx.update(tickets).set({ assigneeId: toUserId }).where(eq(tickets.assigneeId, fromUserId)).returning({ id: tickets.id });
  return rows.length;
}
