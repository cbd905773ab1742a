import { foreignKey, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { bytea } from './columns';
import { tenants } from './tenants';

/**
 * Per-tenant data keys (envelope encryption, src/crypto/keyring.ts): each version is 32 random bytes,
 * stored only wrapped (AES-256-GCM) by a master key that never enters the database. The newest version
 * that is not retired seals new data; every version still opens what it sealed.
 */
export const tenantKeys = pgTable(
  'tenant_keys',
  {
    tenantId: uuid('tenant_id').notNull(),
    version: integer('version').notNull(),
    wrappedKey: bytea('wrapped_key').notNull(),
    /** Fingerprint of the master key that wrapped it (src/crypto/master-key.ts). */
    masterKeyId: text('master_key_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** Set once rotation has moved every row to a newer version. */
    retiredAt: timestamp('retired_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.version] }), foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] })],
);
