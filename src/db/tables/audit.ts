import { bigint, customType, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/** What an audit event says: the columns of the log and of the outbox that feeds it. */
const eventColumns = () => ({
  tenantId: uuid('tenant_id').notNull(),
  occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
  actorId: uuid('actor_id'),
  sessionId: uuid('session_id'),
  action: text('action').notNull(),
  resourceType: text('resource_type'),
  resourceIds: uuid('resource_ids').array().notNull().default([]),
  field: text('field'),
  /** ALLOWED, DENIED, FAILED */
  outcome: text('outcome').notNull(),
  detail: jsonb('detail').notNull().default({}),
  requestId: text('request_id'),
});

/**
 * Append-only, hash-chained audit log. `seq` and `hash` are assigned by the database trigger
 * (drizzle/0001_security.sql) under a per-tenant lock; the application role may only INSERT and SELECT.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    ...eventColumns(),
    seq: bigint('seq', { mode: 'number' }).notNull().default(0),
    prevHash: bytea('prev_hash'),
    hash: bytea('hash'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.seq] }),
    index('audit_events_actor_idx').on(t.tenantId, t.actorId, t.occurredAt),
    index('audit_events_action_idx').on(t.tenantId, t.action, t.occurredAt),
    index('audit_events_time_idx').on(t.tenantId, t.occurredAt),
    index('audit_events_resource_ids_idx').using('gin', t.resourceIds),
  ],
);

/**
 * Where a transaction's audit events wait for its COMMIT. A deferred constraint trigger
 * (drizzle/0013_audit_outbox_flush.sql) moves them into audit_events while the commit runs, so the
 * chain's per-tenant lock is held from there to the end of the commit only, never across a round
 * trip to the application. The table is always empty outside an open transaction.
 */
export const auditOutbox = pgTable('audit_outbox', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  ...eventColumns(),
});
