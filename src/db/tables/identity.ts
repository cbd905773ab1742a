import { sql } from 'drizzle-orm';
import { boolean, check, foreignKey, index, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { tenantColumns, timestamps } from './columns';
import { tenants } from './tenants';
import { REVOKE_REASONS } from '../../authn/session-end';

export const users = pgTable(
  'users',
  {
    ...tenantColumns(),
    email: text('email').notNull(),
    displayName: text('display_name').notNull(),
    passwordHash: text('password_hash'),
    /** ACTIVE, SUSPENDED (reversible) or DISABLED (offboarded). */
    status: text('status').notNull().default('ACTIVE'),
    /** Identity-provider subject, "<iss>|<sub>", set at the first SSO sign-in. */
    ssoSubject: text('sso_subject'),
    /** SCIM externalId (RFC 7643 §3.1), as the provisioning client sent it. */
    externalId: text('external_id'),
    /** When the account was offboarded (status DISABLED): attempts after this are leaver attempts. */
    offboardedAt: timestamp('offboarded_at', { withTimezone: true }),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    unique('users_tenant_email_key').on(t.tenantId, t.email),
    unique('users_tenant_sso_subject_key').on(t.tenantId, t.ssoSubject),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] }),
  ],
);

export const teams = pgTable(
  'teams',
  {
    ...tenantColumns(),
    name: text('name').notNull(),
    leadUserId: uuid('lead_user_id'),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    unique('teams_tenant_name_key').on(t.tenantId, t.name),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] }),
    foreignKey({ columns: [t.tenantId, t.leadUserId], foreignColumns: [users.tenantId, users.id] }),
  ],
);

export const teamMembers = pgTable(
  'team_members',
  {
    tenantId: uuid('tenant_id').notNull(),
    teamId: uuid('team_id').notNull(),
    userId: uuid('user_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.teamId, t.userId] }),
    index('team_members_user_idx').on(t.tenantId, t.userId),
    foreignKey({ columns: [t.tenantId, t.teamId], foreignColumns: [teams.tenantId, teams.id] }).onDelete('cascade'),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }).onDelete('cascade'),
  ],
);

/** A role is a named set of permissions (from the catalogue in src/authz/permissions.ts). */
export const roles = pgTable(
  'roles',
  {
    ...tenantColumns(),
    key: text('key').notNull(),
    name: text('name').notNull(),
    permissions: text('permissions').array().notNull().default([]),
    /** Highest article classification the role clears (PUBLIC..CONFIDENTIAL; RESTRICTED needs a grant). */
    clearance: text('clearance').notNull().default('PUBLIC'),
    builtIn: boolean('built_in').notNull().default(false),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    unique('roles_tenant_key_key').on(t.tenantId, t.key),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] }),
  ],
);

export const roleAssignments = pgTable(
  'role_assignments',
  {
    ...tenantColumns(),
    userId: uuid('user_id').notNull(),
    roleId: uuid('role_id').notNull(),
    /** TENANT (whole tenant), TEAM (scope_id = team), SPACE (scope_id = space or category subtree), OWN (holder's records). */
    scopeType: text('scope_type').notNull().default('TENANT'),
    scopeId: uuid('scope_id'),
    createdBy: uuid('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** Assignments are never deleted: a revoked one stays as history for explainAccess(at:). */
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedBy: uuid('revoked_by'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('role_assignments_user_idx').on(t.tenantId, t.userId),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }).onDelete('cascade'),
    foreignKey({ columns: [t.tenantId, t.roleId], foreignColumns: [roles.tenantId, roles.id] }).onDelete('cascade'),
  ],
);

/** A signed-in session. The access token carries its id (sid); revoking the row refuses the token. */
export const sessions = pgTable(
  'sessions',
  {
    ...tenantColumns(),
    userId: uuid('user_id').notNull(),
    refreshTokenHash: text('refresh_token_hash').notNull(),
    /** The hash the last rotation replaced: presenting it again is token reuse. */
    previousRefreshTokenHash: text('previous_refresh_token_hash'),
    userAgent: text('user_agent'),
    ip: text('ip'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    /** Why it was revoked: one of REVOKE_REASONS, set together with revoked_at. */
    revokedReason: text('revoked_reason'),
    /** SECURITY_RESPONSE only: the security alert whose response revoked it (told to the holder as a reference). */
    revokedReference: uuid('revoked_reference'),
    /** PASSWORD or SSO: how the session was opened. */
    authMethod: text('auth_method').notNull().default('PASSWORD'),
    /** Last successful second factor in this session (step-up for sensitive data checks its age). */
    mfaAt: timestamp('mfa_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('sessions_user_idx').on(t.tenantId, t.userId),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }).onDelete('cascade'),
    check('sessions_revoked_reason_check', sql`${t.revokedReason} in (${sql.raw(REVOKE_REASONS.map((r) => `'${r}'`).join(', '))})`),
    check('sessions_revoked_with_reason', sql`(${t.revokedAt} is null) = (${t.revokedReason} is null)`),
    check('sessions_reference_of_response', sql`${t.revokedReference} is null or ${t.revokedReason} is not distinct from 'SECURITY_RESPONSE'`),
  ],
);
