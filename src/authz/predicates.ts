import type { SQL } from 'drizzle-orm';
import { predicate } from './policy';
import { RESOURCE_TYPES } from './resources';
import type { DecisionState } from './viewer';

/**
 * The policy's SQL predicates by name, for the repos: each is `predicate()` of one permission over one
 * protected type's columns, so lists, lookups, joins and aggregates all filter by the same rule as `can()`.
 */
export const articleReadPredicate = (s: DecisionState): SQL => predicate(s, 'ARTICLE_READ', RESOURCE_TYPES.Article.columns);
export const customerReadPredicate = (s: DecisionState): SQL => predicate(s, 'CUSTOMER_READ', RESOURCE_TYPES.Customer.columns);
export const ticketReadPredicate = (s: DecisionState): SQL => predicate(s, 'TICKET_READ', RESOURCE_TYPES.Ticket.columns);
export const feedbackReadPredicate = (s: DecisionState): SQL => predicate(s, 'FEEDBACK_READ', RESOURCE_TYPES.Feedback.columns);
/** Feedback that satisfaction statistics may aggregate for this viewer. */
export const statsPredicate = (s: DecisionState): SQL => predicate(s, 'STATS_READ', RESOURCE_TYPES.Feedback.columns);
