import type { Tx } from '../db/client';
import { auditOutbox } from '../db/schema';
import type { Actor, AuditEventInput } from './events';

/**
 * Write events in one statement, inside the caller's transaction (so they commit with the work). They
 * go to the outbox and enter the hash chain (seq, hash) as the transaction commits: readers in the same
 * transaction do not see them in audit_events yet.
 */
export async function writeAuditEvents(tx: Tx, actor: Actor, requestId: string | null, events: AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await tx.insert(auditOutbox).values(
    events.map((e) => ({
      tenantId: actor.tenantId,
      actorId: actor.actorId,
      sessionId: actor.sessionId,
      action: e.action,
      outcome: e.outcome,
      resourceType: e.resourceType ?? null,
      resourceIds: e.resourceIds ?? [],
      field: e.field ?? null,
      detail: e.detail ?? {},
      requestId,
    })),
  );
}
