import { bigint, boolean, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tenantColumns } from './columns';
import { tenants } from './tenants';
import { users } from './identity';

/** A tenant's setting for one detection rule; rules without a row use the defaults in src/detection/rules.ts. */
export const detectionRules = pgTable(
  'detection_rules',
  {
    tenantId: uuid('tenant_id').notNull(),
    /** BULK_PII_READ, REPEATED_DENIALS, OFF_HOURS_ACCESS, INACTIVE_CREDENTIALS, REFRESH_TOKEN_REUSE, MASS_EXPORT, BREAK_GLASS */
    kind: text('kind').notNull(),
    enabled: boolean('enabled').notNull(),
    /** The alert is raised when the count in the window exceeds this. */
    threshold: integer('threshold').notNull(),
    windowMinutes: integer('window_minutes').notNull(),
    severity: text('severity').notNull(),
    /** REQUIRE_STEP_UP, REVOKE_SESSIONS, LOCK_ACCOUNT */
    responses: text('responses').array().notNull().default([]),
    /** Rule-specific settings (off-hours: timeZone, startHour, endHour, weekends). */
    params: jsonb('params').notNull().default({}),
    updatedBy: uuid('updated_by'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.kind] }), foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] })],
);

/** How far the detector has evaluated each tenant's chain; its row lock makes each evaluation happen once across instances. */
export const detectionState = pgTable(
  'detection_state',
  {
    tenantId: uuid('tenant_id').notNull().primaryKey(),
    lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
    evaluatedAt: timestamp('evaluated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] })],
);

export const securityAlerts = pgTable(
  'security_alerts',
  {
    ...tenantColumns(),
    rule: text('rule').notNull(),
    /** LOW, MEDIUM, HIGH, CRITICAL */
    severity: text('severity').notNull(),
    /** OPEN, ACKNOWLEDGED, RESOLVED */
    status: text('status').notNull().default('OPEN'),
    /** The user the alert is about, when it is about one. */
    subjectUserId: uuid('subject_user_id'),
    /** What the rule grouped by: a user id, an IP address, a break-glass id. */
    subjectKey: text('subject_key').notNull(),
    summary: text('summary').notNull(),
    /** The count that crossed the threshold, in the window. */
    observed: integer('observed').notNull(),
    evidenceSeqs: bigint('evidence_seqs', { mode: 'number' }).array().notNull(),
    windowStart: timestamp('window_start', { withTimezone: true }).notNull(),
    windowEnd: timestamp('window_end', { withTimezone: true }).notNull(),
    /** What the system did by itself: [{ kind, status, detail }]. */
    responses: jsonb('responses').notNull().default([]),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    acknowledgedBy: uuid('acknowledged_by'),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    resolvedBy: uuid('resolved_by'),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    resolutionNote: text('resolution_note'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('security_alerts_page_idx').on(t.tenantId, t.createdAt, t.id),
    index('security_alerts_cooldown_idx').on(t.tenantId, t.rule, t.subjectKey, t.createdAt),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] }),
    foreignKey({ columns: [t.tenantId, t.subjectUserId], foreignColumns: [users.tenantId, users.id] }),
  ],
);
