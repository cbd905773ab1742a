import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { auditEvents } from '../db/schema';

export type AuditFilter = { actorId?: string | null; action?: string | null; outcome?: string | null };
export type AuditRow = typeof auditEvents.$inferSelect;

export function filterPredicate(tenantId: string, filter: AuditFilter | null | undefined): SQL {
  return and(
    eq(auditEvents.tenantId, tenantId),
    filter?.actorId ? eq(auditEvents.actorId, filter.actorId) : undefined,
    filter?.action ? eq(auditEvents.action, filter.action) : undefined,
    filter?.outcome ? eq(auditEvents.outcome, filter.outcome) : undefined,
  )!;
}

export function matchesFilter(row: AuditRow, filter: AuditFilter | null | undefined): boolean {
  return (
    (!filter?.actorId || row.actorId === filter.actorId) &&
    (!filter?.action || row.action === filter.action) &&
    (!filter?.outcome || row.outcome === filter.outcome)
  );
}

/** Newest first, by chain position. */
export async function listAuditEvents(ex: Executor, tenantId: string, filter: AuditFilter | null | undefined, limit: number, beforeSeq: number | null) {
  return ex
    .select()
    .from(auditEvents)
    .where(and(filterPredicate(tenantId, filter), beforeSeq !== null ? lt(auditEvents.seq, beforeSeq) : undefined))
    .orderBy(desc(auditEvents.seq))
    .limit(limit + 1);
}

export async function auditEventAt(ex: Executor, tenantId: string, seq: number): Promise<AuditRow | undefined> {
  const [row] = await ex.select().from(auditEvents).where(and(eq(auditEvents.tenantId, tenantId), eq(auditEvents.seq, seq)));
  return row;
}
