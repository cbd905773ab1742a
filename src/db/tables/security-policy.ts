import { sql } from 'drizzle-orm';
import { check, foreignKey, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tenants } from './tenants';

/**
 * A tenant's security policy; a tenant without a row uses the column defaults (the service reads
 * them from here, so defaults live in one place).
 */
export const securityPolicies = pgTable(
  'security_policies',
  {
    tenantId: uuid('tenant_id').notNull().primaryKey(),
    /**
     * Audit events older than this are archived (NDJSON) and removed from the table. The database holds
     * it to 30..3650 days, so not even the application role can shorten the audit trail below 30 days.
     */
    auditRetentionDays: integer('audit_retention_days').notNull().default(365),
    /** What happens to review items without a decision by the due date: REVOKE or ESCALATE. */
    reviewMissedDecision: text('review_missed_decision').notNull().default('REVOKE'),
    /** Access without audited use for this many days is flagged in reviews. */
    reviewUnusedDays: integer('review_unused_days').notNull().default(90),
    updatedBy: uuid('updated_by'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] }),
    check('security_policies_audit_retention_days_range', sql`${t.auditRetentionDays} between 30 and 3650`),
  ],
);
