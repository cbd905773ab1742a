import { foreignKey, index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tenantColumns, timestamps } from './columns';
import { tenants } from './tenants';
import { users } from './identity';

export const articles = pgTable(
  'articles',
  {
    ...tenantColumns(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    /** PUBLIC, INTERNAL, CONFIDENTIAL, RESTRICTED */
    classification: text('classification').notNull().default('INTERNAL'),
    /** DRAFT, IN_REVIEW, PUBLISHED, ARCHIVED */
    status: text('status').notNull().default('DRAFT'),
    internalNotes: text('internal_notes'),
    authorId: uuid('author_id'),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('articles_page_idx').on(t.tenantId, t.createdAt, t.id),
    index('articles_class_idx').on(t.tenantId, t.classification, t.createdAt, t.id),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] }),
    foreignKey({ columns: [t.tenantId, t.authorId], foreignColumns: [users.tenantId, users.id] }),
  ],
);
