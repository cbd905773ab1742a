import { and, desc, eq, gt, gte, lte, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { auditEvents } from '../../db/schema';

const columns = {
  tenantId: auditEvents.tenantId,
  seq: auditEvents.seq,
  occurredAt: auditEvents.occurredAt,
  action: auditEvents.action,
  outcome: auditEvents.outcome,
  resourceType: auditEvents.resourceType,
  resourceIds: auditEvents.resourceIds,
  field: auditEvents.field,
  detail: auditEvents.detail,
};

/** Sensitive reads by the user in the 30 days up to `until` (offboarding, or now). */
export async function readsBefore(tx: Tx, userId: string, until: Date) {
  return tx
    .select(columns)
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.actorId, userId),
        eq(auditEvents.action, 'sensitive.read'),
        lte(auditEvents.occurredAt, until),
        gte(auditEvents.occurredAt, sql`${until.toISOString()}::timestamptz - interval '30 days'`),
      ),
    )
    .orderBy(desc(auditEvents.seq))
    .limit(1000);
}

/** Uses of the leaver's old credentials after offboarding (each was recorded as a security event). */
export async function attemptsAfter(tx: Tx, userId: string, since: Date) {
  return tx
    .select(columns)
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.action, 'security.leaver_access_attempt'),
        sql`${auditEvents.resourceIds} @> array[${userId}]::uuid[]`,
        gt(auditEvents.occurredAt, since),
      ),
    )
    .orderBy(desc(auditEvents.seq))
    .limit(1000);
}
