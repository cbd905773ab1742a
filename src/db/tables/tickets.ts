import { sql } from 'drizzle-orm';
import { check, foreignKey, index, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tenantColumns, timestamps } from './columns';
import { teams, users } from './identity';
import { articles } from './knowledge';
import { customers } from './crm';

/** Service records: a customer's request, who works on it, and how it was resolved. */
export const tickets = pgTable(
  'tickets',
  {
    ...tenantColumns(),
    subject: text('subject').notNull(),
    description: text('description').notNull().default(''),
    /** OPEN, IN_PROGRESS, WAITING_ON_CUSTOMER, RESOLVED, CLOSED */
    status: text('status').notNull().default('OPEN'),
    /** LOW, NORMAL, HIGH, URGENT */
    priority: text('priority').notNull().default('NORMAL'),
    customerId: uuid('customer_id').notNull(),
    assigneeId: uuid('assignee_id'),
    teamId: uuid('team_id'),
    resolution: text('resolution'),
    createdBy: uuid('created_by'),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('tickets_page_idx').on(t.tenantId, t.createdAt, t.id),
    // With id: a customer's page (newest first, ties by id) stops after limit + 1 rows instead of sorting them all.
    index('tickets_customer_idx').on(t.tenantId, t.customerId, t.createdAt, t.id),
    index('tickets_assignee_idx').on(t.tenantId, t.assigneeId, t.createdAt),
    index('tickets_team_idx').on(t.tenantId, t.teamId, t.createdAt),
    foreignKey({ columns: [t.tenantId, t.customerId], foreignColumns: [customers.tenantId, customers.id] }),
    foreignKey({ columns: [t.tenantId, t.assigneeId], foreignColumns: [users.tenantId, users.id] }),
    foreignKey({ columns: [t.tenantId, t.teamId], foreignColumns: [teams.tenantId, teams.id] }),
    foreignKey({ columns: [t.tenantId, t.createdBy], foreignColumns: [users.tenantId, users.id] }),
    check('tickets_status_check', sql`${t.status} in ('OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED')`),
    check('tickets_priority_check', sql`${t.priority} in ('LOW', 'NORMAL', 'HIGH', 'URGENT')`),
  ],
);

/** The knowledge-base articles used to resolve a ticket. */
export const ticketArticles = pgTable(
  'ticket_articles',
  {
    tenantId: uuid('tenant_id').notNull(),
    ticketId: uuid('ticket_id').notNull(),
    articleId: uuid('article_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.ticketId, t.articleId] }),
    index('ticket_articles_article_idx').on(t.tenantId, t.articleId),
    foreignKey({ columns: [t.tenantId, t.ticketId], foreignColumns: [tickets.tenantId, tickets.id] }).onDelete('cascade'),
    foreignKey({ columns: [t.tenantId, t.articleId], foreignColumns: [articles.tenantId, articles.id] }).onDelete('cascade'),
  ],
);
