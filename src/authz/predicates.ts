import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { articles } from '../db/schema';
import { can, holds, predicate, SENSITIVE_LEVELS, type Resource } from './policy';
import { articleColumns, RESOURCE_TYPES } from './resources';
import type { DecisionState } from './viewer';

/**
 * The policy's SQL predicates by name, for the repos: each is `predicate()` of one permission over one
 * protected type's columns, so lists, lookups, joins and aggregates all filter by the same rule as `can()`.
 */
/** Over the articles table, or an alias of it (`alias(articles, 'source')` in a self-join). */
export const articleReadPredicate = (s: DecisionState, table: Parameters<typeof articleColumns>[0] = articles): SQL => predicate(s, 'ARTICLE_READ', articleColumns(table));
export const customerReadPredicate = (s: DecisionState): SQL => predicate(s, 'CUSTOMER_READ', RESOURCE_TYPES.Customer.columns);
export const ticketReadPredicate = (s: DecisionState): SQL => predicate(s, 'TICKET_READ', RESOURCE_TYPES.Ticket.columns);
export const feedbackReadPredicate = (s: DecisionState): SQL => predicate(s, 'FEEDBACK_READ', RESOURCE_TYPES.Feedback.columns);
/**
 * Records whose @sensitive fields of a level the viewer sees in FULL: a lookup by such a field's value
 * (customerByContact) matches only these, because a match tells the value.
 */
export const customerFullPiiPredicate = (s: DecisionState): SQL => predicate(s, SENSITIVE_LEVELS.PII.full, RESOURCE_TYPES.Customer.columns);
/** Feedback that satisfaction statistics may aggregate for this viewer. */
export const statsPredicate = (s: DecisionState): SQL => predicate(s, 'STATS_READ', RESOURCE_TYPES.Feedback.columns);

/**
 * Versions hold unpublished states and past classifications: a version is readable by a user who may
 * read the article and who may read it as a draft at the version's own classification (the workflow
 * rule: write or publish on it, each permission cleared for that classification).
 */
export function articleVersionReadPredicate(s: DecisionState, article: Parameters<typeof articleColumns>[0], version: { classification: PgColumn }): SQL {
  const asDraft = { ...articleColumns(article), classification: version.classification, status: sql`'DRAFT'` };
  return and(articleReadPredicate(s, article), predicate(s, 'ARTICLE_READ', asDraft))!;
}

/** The same rule as articleVersionReadPredicate, for one loaded version. */
export const canReadArticleVersion = (s: DecisionState, article: Resource, versionClassification: string): boolean =>
  can(s, 'ARTICLE_READ', article) && can(s, 'ARTICLE_READ', { ...article, classification: versionClassification, status: 'DRAFT' });

/** Spaces, categories and tags: the knowledge base's structure, visible to every reader of the tenant. */
export function knowledgeStructurePredicate(s: DecisionState, columns: { tenantId: PgColumn }): SQL {
  return holds(s, 'ARTICLE_READ') ? eq(columns.tenantId, s.tenantId) : sql`false`;
}
