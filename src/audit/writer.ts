import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client';
import type { Actor, AuditEventInput } from './events';

/**
 * Write events in one statement, inside the caller's transaction (so they commit with the work). They
 * go to the outbox and enter the hash chain (seq, hash) as the transaction commits: readers in the same
 * transaction do not see them in audit_events yet.
 *
 * The events travel as one JSON parameter (json_to_recordset), so the statement's text is the same for
 * any number of events (one prepared statement) and building it costs about 0.03 ms; drizzle's insert
 * builder took 0.4–0.6 ms per audited request.
 */
export async function writeAuditEvents(tx: Tx, actor: Actor, requestId: string | null, events: AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => ({
    action: e.action,
    outcome: e.outcome,
    resourceType: e.resourceType ?? null,
    resourceIds: e.resourceIds ?? [],
    field: e.field ?? null,
    detail: e.detail ?? {},
  }));
  await tx.execute(sql`insert into audit_outbox (tenant_id, actor_id, session_id, request_id, action, outcome, resource_type, resource_ids, field, detail)
    select ${actor.tenantId}::uuid, ${actor.actorId}::uuid, ${actor.sessionId}::uuid, ${requestId}::text, e.action, e.outcome, e."resourceType", e."resourceIds", e.field, e.detail
    from json_to_recordset(${JSON.stringify(rows)}::json) as e(action text, outcome text, "resourceType" text, "resourceIds" uuid[], field text, detail jsonb)`);
}
