import { bigint, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tenantColumns, timestamps } from './columns';
import { tenants } from './tenants';
import { sessions, users } from './identity';

/** A tenant's sign-in settings: MFA policy and the SCIM bearer token (only its hash). One row per tenant. */
export const tenantAuthSettings = pgTable(
  'tenant_auth_settings',
  {
    tenantId: uuid('tenant_id').notNull().primaryKey(),
    /** Role keys whose holders must pass a second factor before anything but MFA set-up. */
    mfaRequiredRoles: text('mfa_required_roles').array().notNull().default([]),
    /** How recent the session's MFA must be to read step-up fields, seconds. */
    stepUpMaxAgeSeconds: integer('step_up_max_age_seconds'),
    scimTokenHash: text('scim_token_hash'),
    /** Who receives what a user owned when SCIM deactivates them (else the longest-standing admin). */
    scimTransferToUserId: uuid('scim_transfer_to_user_id'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] })],
);

/** The tenant's OpenID Connect provider (one per tenant). */
export const identityProviders = pgTable(
  'identity_providers',
  {
    ...tenantColumns(),
    issuer: text('issuer').notNull(),
    clientId: text('client_id').notNull(),
    clientSecret: text('client_secret'),
    authorizationEndpoint: text('authorization_endpoint').notNull(),
    tokenEndpoint: text('token_endpoint').notNull(),
    jwksUri: text('jwks_uri').notNull(),
    algorithms: text('algorithms').array().notNull().default(['RS256']),
    groupsClaim: text('groups_claim').notNull().default('groups'),
    /** { "<group>": ["<role key>", ...] } */
    roleMapping: jsonb('role_mapping').$type<Record<string, string[]>>().notNull().default({}),
    ...timestamps(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] })],
);

/** An SSO sign-in in progress: state, nonce and PKCE verifier, single use, short-lived. */
export const ssoStates = pgTable(
  'sso_states',
  {
    ...tenantColumns(),
    nonce: text('nonce').notNull(),
    codeVerifier: text('code_verifier').notNull(),
    redirectUri: text('redirect_uri').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] })],
);

/** A user's TOTP authenticator (RFC 6238). Unconfirmed until the first code is verified. */
export const userTotp = pgTable(
  'user_totp',
  {
    tenantId: uuid('tenant_id').notNull(),
    userId: uuid('user_id').notNull(),
    secret: text('secret').notNull(),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
    /** The last time step accepted: a code of that step or earlier is refused (no replay). */
    lastStep: bigint('last_step', { mode: 'number' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.userId] }),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }).onDelete('cascade'),
  ],
);

/** Single-use recovery codes; only SHA-256 hashes are kept. */
export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    ...tenantColumns(),
    userId: uuid('user_id').notNull(),
    codeHash: text('code_hash').notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('recovery_codes_user_idx').on(t.tenantId, t.userId),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }).onDelete('cascade'),
  ],
);

/** Refresh tokens a rotation has replaced: presenting one again is reuse, and revokes the session (the family). */
export const usedRefreshTokens = pgTable(
  'used_refresh_tokens',
  {
    tenantId: uuid('tenant_id').notNull(),
    tokenHash: text('token_hash').notNull(),
    sessionId: uuid('session_id').notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.tokenHash] }),
    foreignKey({ columns: [t.tenantId, t.sessionId], foreignColumns: [sessions.tenantId, sessions.id] }).onDelete('cascade'),
  ],
);

/**
 * Failed-attempt counters for throttling and lockout, shared by every instance. Keys are SHA-256 of
 * "account:<tenant slug>:<email>" or "ip:<address>", whether or not the account exists, so a lockout
 * tells nothing about existence. Not tenant data (a key may belong to no tenant): no RLS, and the
 * application role reaches it only through warden_throttle_* functions.
 */
export const authThrottle = pgTable('auth_throttle', {
  key: text('key').notNull().primaryKey(),
  failures: integer('failures').notNull().default(0),
  windowStart: timestamp('window_start', { withTimezone: true }).notNull().defaultNow(),
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
});
