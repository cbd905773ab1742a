import { sql } from 'drizzle-orm';
import { check, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * GraphQL documents the front ends registered (trusted documents), shared by every tenant: a document
 * is front-end code, the same build serves every tenant, and it holds no tenant data. Keyed by the
 * SHA-256 (lower-case hex) of the document's exact text, so an entry never changes. The application
 * role may only read them; they are registered by the operator (npm run documents:register).
 */
export const trustedDocuments = pgTable(
  'trusted_documents',
  {
    hash: text('hash').primaryKey(),
    document: text('document').notNull(),
    /** Which front end registered it (free text from the registration), for the operator. */
    client: text('client'),
    registeredAt: timestamp('registered_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('trusted_documents_hash_check', sql`${t.hash} ~ '^[0-9a-f]{64}$'`)],
);
