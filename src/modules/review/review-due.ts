import { and, eq, isNull, lte, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client';
import { accessReviewItems, accessReviews, tenants } from '../../db/schema';
import { withTenantTx } from '../../db/tenant-tx';
import { writeAuditEvents } from '../../audit/writer';
import type { AuditEventInput } from '../../audit/events';
import { every } from '../../lib/interval-job';
import { completeIfDone, decideItem } from './review.repo';
import { revokeItemAccess } from './review-actions';

/**
 * The due-date rule: items still pending when a campaign is due are revoked or escalated (to the
 * campaign's owner), as the tenant's policy said when the campaign started. Each campaign once, in a
 * transaction with its audit events; the rows are locked so two instances do not both run it.
 */
export async function processDueReviews(tx: Tx, tenantId: string): Promise<{ autoRevoked: number; escalated: number }> {
  const due = await tx
    .select()
    .from(accessReviews)
    .where(and(lte(accessReviews.dueAt, sql`now()`), isNull(accessReviews.dueProcessedAt)))
    .for('update', { skipLocked: true });
  let autoRevoked = 0;
  let escalated = 0;
  const events: AuditEventInput[] = [];
  for (const review of due) {
    const pending = await tx.select().from(accessReviewItems).where(and(eq(accessReviewItems.reviewId, review.id), eq(accessReviewItems.status, 'PENDING')));
    for (const item of pending) {
      if (review.missedDecision === 'ESCALATE') {
        await tx
          .update(accessReviewItems)
          .set({ reviewerId: item.userId === review.createdBy ? null : review.createdBy, escalatedAt: sql`now()` })
          .where(eq(accessReviewItems.id, item.id));
        escalated++;
        events.push({ action: 'access_review.escalate', outcome: 'ALLOWED', resourceType: 'AccessReviewItem', resourceIds: [item.id], detail: { reviewId: review.id, from: item.reviewerId, to: review.createdBy } });
      } else {
        const applied = await revokeItemAccess(tx, item, review.createdBy, 'access review: no decision by the due date');
        await decideItem(tx, item.id, { status: 'AUTO_REVOKED', by: null, note: 'no decision by the due date' });
        autoRevoked++;
        events.push({
          action: 'access_review.auto_revoke',
          outcome: 'ALLOWED',
          resourceType: 'AccessReviewItem',
          resourceIds: [item.id, (item.assignmentId ?? item.grantId)!],
          detail: { reviewId: review.id, kind: item.kind, userId: item.userId, ...applied },
        });
      }
    }
    await tx.update(accessReviews).set({ dueProcessedAt: sql`now()` }).where(eq(accessReviews.id, review.id));
    await completeIfDone(tx, review.id);
  }
  await writeAuditEvents(tx, { tenantId, actorId: null, sessionId: null }, null, events);
  return { autoRevoked, escalated };
}

export async function processAllDueReviews(db: Db): Promise<{ autoRevoked: number; escalated: number }> {
  const all = await withTenantTx(db, null, (tx) => tx.select({ id: tenants.id }).from(tenants));
  const total = { autoRevoked: 0, escalated: 0 };
  for (const { id } of all) {
    const r = await withTenantTx(db, id, (tx) => processDueReviews(tx, id));
    total.autoRevoked += r.autoRevoked;
    total.escalated += r.escalated;
  }
  return total;
}

export const startReviewSweeper = (db: Db, everyMs: number) => every(everyMs, 'access review due dates', () => processAllDueReviews(db));
