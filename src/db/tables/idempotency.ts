import { index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { bytea } from './columns';

/**
 * The kept result of a mutation sent with an Idempotency-Key, per tenant, principal and key. Written in
 * the request's own transaction, so it exists exactly when the mutation's changes were committed.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    tenantId: uuid('tenant_id').notNull(),
    /** The user the key belongs to: two users' keys never meet. */
    principalId: uuid('principal_id').notNull(),
    key: text('key').notNull(),
    /** SHA-256 of the operation and its variables: a retry must send the same request. */
    requestHash: bytea('request_hash').notNull(),
    httpStatus: integer('http_status').notNull(),
    /** The response body (JSON), sealed under the tenant's data key: it may hold customer data. */
    response: bytea('response').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.principalId, t.key] }), index('idempotency_keys_expiry_idx').on(t.tenantId, t.expiresAt)],
);
