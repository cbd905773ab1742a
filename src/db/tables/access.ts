import { check, foreignKey, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { tenantColumns } from './columns';
import { tenants } from './tenants';
import { roles, teams, users } from './identity';

/**
 * A time-bound grant of one permission on one resource to a user, a team or a role. Never deleted:
 * revocation and expiry leave the row as history (explainAccess at a past moment reads it).
 */
export const accessGrants = pgTable(
  'access_grants',
  {
    ...tenantColumns(),
    userId: uuid('user_id'),
    teamId: uuid('team_id'),
    roleId: uuid('role_id'),
    resourceType: text('resource_type').notNull(),
    resourceId: uuid('resource_id').notNull(),
    permission: text('permission').notNull(),
    reason: text('reason').notNull(),
    grantedBy: uuid('granted_by').notNull(),
    /** The access request this grant answers, if any. */
    requestId: uuid('request_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedBy: uuid('revoked_by'),
    revokeReason: text('revoke_reason'),
    /** Set by the sweeper once it recorded the expiry; decisions never depend on it. */
    expiryRecordedAt: timestamp('expiry_recorded_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('access_grants_user_idx').on(t.tenantId, t.userId, t.expiresAt),
    index('access_grants_team_idx').on(t.tenantId, t.teamId, t.expiresAt),
    index('access_grants_role_idx').on(t.tenantId, t.roleId, t.expiresAt),
    index('access_grants_resource_idx').on(t.tenantId, t.resourceId),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] }),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }),
    foreignKey({ columns: [t.tenantId, t.teamId], foreignColumns: [teams.tenantId, teams.id] }),
    foreignKey({ columns: [t.tenantId, t.roleId], foreignColumns: [roles.tenantId, roles.id] }),
    check('access_grants_one_grantee', sql`num_nonnulls(${t.userId}, ${t.teamId}, ${t.roleId}) = 1`),
  ],
);

/** A user's request for time-bound access; an approver (never the requester) turns it into a grant. */
export const accessRequests = pgTable(
  'access_requests',
  {
    ...tenantColumns(),
    requesterId: uuid('requester_id').notNull(),
    resourceType: text('resource_type').notNull(),
    resourceId: uuid('resource_id').notNull(),
    permission: text('permission').notNull(),
    durationMinutes: integer('duration_minutes').notNull(),
    reason: text('reason').notNull(),
    /** PENDING, APPROVED, DENIED, WITHDRAWN */
    status: text('status').notNull().default('PENDING'),
    decidedBy: uuid('decided_by'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    decisionNote: text('decision_note'),
    grantId: uuid('grant_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('access_requests_status_idx').on(t.tenantId, t.status, t.createdAt),
    foreignKey({ columns: [t.tenantId, t.requesterId], foreignColumns: [users.tenantId, users.id] }),
  ],
);
