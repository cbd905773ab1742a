import type { Tx } from '../../db/client';

/**
 * Offboarding steps for things that do not exist yet. Each is called inside the offboarding transaction
 * and its count goes into the result and the audit event; when the feature lands, its module fills in
 * the function here (or replaces the call) and the offboarding tests extend to it.
 */

/** Time-bound grants held by the user, and access requests they made or must approve (no tables yet). */
export async function withdrawGrantsAndAccessRequests(_tx: Tx, _userId: string): Promise<number> {
  return 0;
}

/** Personal API tokens (not built yet: every credential today is a session, revoked with the sessions). */
export async function revokeApiTokens(_tx: Tx, _userId: string): Promise<number> {
  return 0;
}

/** Tickets owned by the user (no ticket module yet). */
export async function transferTickets(_tx: Tx, _fromUserId: string, _toUserId: string): Promise<number> {
  return 0;
}
