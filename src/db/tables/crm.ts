import { sql } from 'drizzle-orm';
import { check, foreignKey, index, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { bytea, tenantColumns, timestamps } from './columns';
import { tenants } from './tenants';
import { teams, users } from './identity';
import { tenantKeys } from './keys';

/**
 * Customers. Phone, e-mail, ID number and address are stored only as AES-256-GCM ciphertext
 * (`*_ct`, src/crypto/envelope.ts) sealed by the tenant data key `pii_key_version`; phone and e-mail
 * also carry a keyed blind index (`*_bidx`) for exact-match lookup. `phone` and `email` are the
 * plaintext columns from before encryption: start-up seals what is left in them and empties them.
 */
export const customers = pgTable(
  'customers',
  {
    ...tenantColumns(),
    name: text('name').notNull(),
    company: text('company'),
    /** STANDARD, GOLD, PLATINUM */
    tier: text('tier').notNull().default('STANDARD'),
    ownerId: uuid('owner_id'),
    teamId: uuid('team_id'),
    phoneCt: bytea('phone_ct'),
    emailCt: bytea('email_ct'),
    idNumberCt: bytea('id_number_ct'),
    addressCt: bytea('address_ct'),
    phoneBidx: bytea('phone_bidx'),
    emailBidx: bytea('email_bidx'),
    piiKeyVersion: integer('pii_key_version'),
    legacyPhone: text('phone'),
    legacyEmail: text('email'),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('customers_page_idx').on(t.tenantId, t.createdAt, t.id),
    index('customers_phone_bidx_idx').on(t.tenantId, t.phoneBidx),
    index('customers_email_bidx_idx').on(t.tenantId, t.emailBidx),
    index('customers_key_version_idx').on(t.tenantId, t.piiKeyVersion),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] }),
    foreignKey({ columns: [t.tenantId, t.ownerId], foreignColumns: [users.tenantId, users.id] }),
    foreignKey({ columns: [t.tenantId, t.teamId], foreignColumns: [teams.tenantId, teams.id] }),
    foreignKey({ columns: [t.tenantId, t.piiKeyVersion], foreignColumns: [tenantKeys.tenantId, tenantKeys.version] }),
    check('customers_tier_check', sql`${t.tier} in ('STANDARD', 'GOLD', 'PLATINUM')`),
    // A sealed row never holds plaintext: new code cannot write the old columns by mistake.
    check('customers_sealed_no_plaintext', sql`${t.piiKeyVersion} is null or (${t.legacyPhone} is null and ${t.legacyEmail} is null)`),
  ],
);

/** People to talk to at a customer; phone and e-mail encrypted like the customer's own. */
export const customerContacts = pgTable(
  'customer_contacts',
  {
    ...tenantColumns(),
    customerId: uuid('customer_id').notNull(),
    name: text('name').notNull(),
    title: text('title'),
    phoneCt: bytea('phone_ct'),
    emailCt: bytea('email_ct'),
    phoneBidx: bytea('phone_bidx'),
    emailBidx: bytea('email_bidx'),
    piiKeyVersion: integer('pii_key_version').notNull(),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('customer_contacts_customer_idx').on(t.tenantId, t.customerId, t.createdAt),
    index('customer_contacts_phone_bidx_idx').on(t.tenantId, t.phoneBidx),
    index('customer_contacts_email_bidx_idx').on(t.tenantId, t.emailBidx),
    index('customer_contacts_key_version_idx').on(t.tenantId, t.piiKeyVersion),
    foreignKey({ columns: [t.tenantId, t.customerId], foreignColumns: [customers.tenantId, customers.id] }).onDelete('cascade'),
    foreignKey({ columns: [t.tenantId, t.piiKeyVersion], foreignColumns: [tenantKeys.tenantId, tenantKeys.version] }),
  ],
);
