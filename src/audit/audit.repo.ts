import { and, asc, desc, eq, gt, gte, like, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { auditEvents } from '../db/schema';

/** A validated filter: ids are uuids of the viewer's tenant, `actionPrefix` comes from "auth.*". */
export type AuditFilter = {
  actorId?: string;
  action?: string;
  actionPrefix?: string;
  resourceType?: string;
  resourceId?: string;
  from?: Date;
  to?: Date;
  outcome?: string;
};
export type AuditRow = typeof auditEvents.$inferSelect;

export function filterPredicate(tenantId: string, f: AuditFilter): SQL {
  return and(
    eq(auditEvents.tenantId, tenantId),
    f.actorId ? eq(auditEvents.actorId, f.actorId) : undefined,
    f.action ? eq(auditEvents.action, f.action) : undefined,
    f.actionPrefix ? like(auditEvents.action, `${f.actionPrefix.replace(/[\\%_]/g, '\\$&')}%`) : undefined,
    f.resourceType ? eq(auditEvents.resourceType, f.resourceType) : undefined,
    f.resourceId ? sql`${auditEvents.resourceIds} @> ${`{${f.resourceId}}`}::uuid[]` : undefined,
    f.from ? gte(auditEvents.occurredAt, f.from) : undefined,
    f.to ? lt(auditEvents.occurredAt, f.to) : undefined,
    f.outcome ? eq(auditEvents.outcome, f.outcome) : undefined,
  )!;
}

/** The same filter on a row already loaded (the live stream). */
export function matchesFilter(row: AuditRow, f: AuditFilter): boolean {
  return (
    (!f.actorId || row.actorId === f.actorId) &&
    (!f.action || row.action === f.action) &&
    (!f.actionPrefix || row.action.startsWith(f.actionPrefix)) &&
    (!f.resourceType || row.resourceType === f.resourceType) &&
    (!f.resourceId || row.resourceIds.includes(f.resourceId)) &&
    (!f.from || row.occurredAt.getTime() >= f.from.getTime()) &&
    (!f.to || row.occurredAt.getTime() < f.to.getTime()) &&
    (!f.outcome || row.outcome === f.outcome)
  );
}

/** Newest first, by chain position. */
export async function listAuditEvents(ex: Executor, tenantId: string, filter: AuditFilter, limit: number, beforeSeq: number | null) {
  return ex
    .select()
    .from(auditEvents)
    .where(and(filterPredicate(tenantId, filter), beforeSeq !== null ? lt(auditEvents.seq, beforeSeq) : undefined))
    .orderBy(desc(auditEvents.seq))
    .limit(limit + 1);
}

/** Every event of the tenant after `afterSeq` (up to `throughSeq`), oldest first: replay and gap filling. */
export async function auditEventsAfter(ex: Executor, tenantId: string, afterSeq: number, limit: number, throughSeq?: number): Promise<AuditRow[]> {
  return ex
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.tenantId, tenantId), gt(auditEvents.seq, afterSeq), throughSeq !== undefined ? lte(auditEvents.seq, throughSeq) : undefined))
    .orderBy(asc(auditEvents.seq))
    .limit(limit);
}

export async function auditEventsBySeqs(ex: Executor, tenantId: string, seqs: readonly number[]): Promise<AuditRow[]> {
  if (!seqs.length) return [];
  return ex
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.tenantId, tenantId), sql`${auditEvents.seq} = any(${`{${seqs.map(Number).join(',')}}`}::bigint[])`))
    .orderBy(asc(auditEvents.seq));
}
