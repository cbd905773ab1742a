import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { accessGrants } from '../../db/schema';
import { revokeGrantRow } from '../access/grant.repo';
import { insertAssignment, revokeAssignmentRow } from '../access/role.repo';
import type { ReviewItemRow } from './review.repo';

/**
 * Take away the access an item stands for, at once (the next request no longer has it). Already gone
 * (revoked or expired meanwhile) is not an error: the item records that nothing was left to revoke.
 */
export async function revokeItemAccess(tx: Tx, item: ReviewItemRow, by: string, reason: string): Promise<{ revoked: boolean }> {
  if (item.kind === 'ASSIGNMENT') return { revoked: !!(await revokeAssignmentRow(tx, item.assignmentId!, by)) };
  return { revoked: !!(await revokeGrantRow(tx, item.grantId!, by, reason)) };
}

/** CHANGE of an assignment: the new role (and scope) replaces the old one. */
export async function replaceAssignment(tx: Tx, item: ReviewItemRow, by: string, next: { roleId: string; scopeType: string; scopeId: string | null }) {
  const revoked = await revokeAssignmentRow(tx, item.assignmentId!, by);
  const created = await insertAssignment(tx, { tenantId: item.tenantId, userId: item.userId!, roleId: next.roleId, scopeType: next.scopeType, scopeId: next.scopeId, createdBy: by });
  return { revoked: !!revoked, assignmentId: created.id };
}

/** CHANGE of a grant: only shorter (a reviewer narrows access, never extends it). */
export async function shortenGrant(tx: Tx, grantId: string, expiresAt: Date): Promise<boolean> {
  const rows = await tx
    .update(accessGrants)
    .set({ expiresAt })
    .where(sql`${accessGrants.id} = ${grantId} and ${accessGrants.revokedAt} is null and ${accessGrants.expiresAt} > ${expiresAt.toISOString()}::timestamptz`)
    .returning({ id: accessGrants.id });
  return rows.length > 0;
}
