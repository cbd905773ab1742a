import { foreignKey, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { tenantColumns } from './columns';
import { tenants } from './tenants';
import { users } from './identity';

/** A tenant lockdown: while one is not lifted, the knowledge base is read-only. At most one is active. */
export const tenantLockdowns = pgTable(
  'tenant_lockdowns',
  {
    ...tenantColumns(),
    reason: text('reason').notNull(),
    startedBy: uuid('started_by').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    sessionsRevoked: integer('sessions_revoked').notNull().default(0),
    liftedBy: uuid('lifted_by'),
    liftedAt: timestamp('lifted_at', { withTimezone: true }),
    liftReason: text('lift_reason'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex('tenant_lockdowns_active_idx').on(t.tenantId).where(sql`${t.liftedAt} is null`),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] }),
    foreignKey({ columns: [t.tenantId, t.startedBy], foreignColumns: [users.tenantId, users.id] }),
  ],
);

/** One use of break-glass access: the grants it created, and the review that must close it afterwards. */
export const breakGlassAccesses = pgTable(
  'break_glass_accesses',
  {
    ...tenantColumns(),
    userId: uuid('user_id').notNull(),
    resourceType: text('resource_type').notNull(),
    resourceId: uuid('resource_id').notNull(),
    reason: text('reason').notNull(),
    minutes: integer('minutes').notNull(),
    grantIds: uuid('grant_ids').array().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** OPEN until a reviewer other than the user closes it. */
    reviewStatus: text('review_status').notNull().default('OPEN'),
    /** JUSTIFIED or UNJUSTIFIED */
    reviewOutcome: text('review_outcome'),
    reviewedBy: uuid('reviewed_by'),
    reviewedAt: timestamp('reviewed_at', { withTimezone: true }),
    reviewNote: text('review_note'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('break_glass_review_idx').on(t.tenantId, t.reviewStatus, t.createdAt),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] }),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }),
  ],
);
