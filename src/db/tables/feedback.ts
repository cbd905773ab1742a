import { sql } from 'drizzle-orm';
import { check, foreignKey, index, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenantColumns } from './columns';
import { users } from './identity';
import { customers } from './crm';
import { tickets } from './tickets';

/** Customer satisfaction: a score of 1 (very unhappy) to 5 (very happy), at most one per ticket. */
export const customerFeedback = pgTable(
  'customer_feedback',
  {
    ...tenantColumns(),
    customerId: uuid('customer_id').notNull(),
    ticketId: uuid('ticket_id'),
    score: smallint('score').notNull(),
    comment: text('comment'),
    recordedBy: uuid('recorded_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('customer_feedback_page_idx').on(t.tenantId, t.createdAt, t.id),
    index('customer_feedback_customer_idx').on(t.tenantId, t.customerId),
    uniqueIndex('customer_feedback_ticket_key').on(t.tenantId, t.ticketId),
    foreignKey({ columns: [t.tenantId, t.customerId], foreignColumns: [customers.tenantId, customers.id] }),
    foreignKey({ columns: [t.tenantId, t.ticketId], foreignColumns: [tickets.tenantId, tickets.id] }),
    foreignKey({ columns: [t.tenantId, t.recordedBy], foreignColumns: [users.tenantId, users.id] }),
    check('customer_feedback_score_check', sql`${t.score} between 1 and 5`),
  ],
);
