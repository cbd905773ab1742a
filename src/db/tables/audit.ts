import { bigint, customType, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/**
 * Append-only, hash-chained audit log. `seq` and `hash` are assigned by the database trigger
 * (drizzle/0001_security.sql) under a per-tenant lock; the application role may only INSERT and SELECT.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    tenantId: uuid('tenant_id').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull().default(0),
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
