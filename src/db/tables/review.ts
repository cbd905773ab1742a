import { boolean, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tenantColumns } from './columns';
import { tenants } from './tenants';
import { users } from './identity';

/** An access review campaign: a snapshot of the access in scope, one item per role assignment or grant. */
export const accessReviews = pgTable(
  'access_reviews',
  {
    ...tenantColumns(),
    name: text('name').notNull(),
    /** TENANT, TEAM (scope_id: team), ROLE (scope_id: role) */
    scopeType: text('scope_type').notNull(),
    scopeId: uuid('scope_id'),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    unusedDays: integer('unused_days').notNull(),
    /** REVOKE or ESCALATE: what happens to items still pending at dueAt (from the tenant policy). */
    missedDecision: text('missed_decision').notNull(),
    createdBy: uuid('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** When the due-date rule ran. */
    dueProcessedAt: timestamp('due_processed_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('access_reviews_due_idx').on(t.tenantId, t.dueAt),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] }),
    foreignKey({ columns: [t.tenantId, t.createdBy], foreignColumns: [users.tenantId, users.id] }),
  ],
);

export const accessReviewItems = pgTable(
  'access_review_items',
  {
    ...tenantColumns(),
    reviewId: uuid('review_id').notNull(),
    /** ASSIGNMENT or GRANT */
    kind: text('kind').notNull(),
    assignmentId: uuid('assignment_id'),
    grantId: uuid('grant_id'),
    /** The user who holds the access (null for grants to a team or a role). */
    userId: uuid('user_id'),
    /** What the access was when the campaign started (role, permissions, scope; or grant). */
    snapshot: jsonb('snapshot').notNull(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    unused: boolean('unused').notNull(),
    reviewerId: uuid('reviewer_id'),
    /** PENDING, KEPT, REVOKED, CHANGED, AUTO_REVOKED */
    status: text('status').notNull().default('PENDING'),
    escalatedAt: timestamp('escalated_at', { withTimezone: true }),
    decidedBy: uuid('decided_by'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    note: text('note'),
    /** For CHANGED: what replaced the access. */
    change: jsonb('change'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('access_review_items_review_idx').on(t.tenantId, t.reviewId, t.status),
    index('access_review_items_reviewer_idx').on(t.tenantId, t.reviewerId, t.status),
    foreignKey({ columns: [t.tenantId, t.reviewId], foreignColumns: [accessReviews.tenantId, accessReviews.id] }),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }),
    foreignKey({ columns: [t.tenantId, t.reviewerId], foreignColumns: [users.tenantId, users.id] }),
  ],
);
