import { articles, customerFeedback, customers, tickets } from '../db/schema';
import type { Resource, ResourceColumns } from './policy';

/**
 * Each protected type: how a loaded row becomes a policy Resource, and which columns hold the same
 * fields in SQL. Adding a protected type means adding it here, nowhere else.
 */
type Row = Record<string, unknown>;

/** The policy's columns of the articles table, or of an alias of it (a self-join). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an alias of articles (alias()) has its own name type
export function articleColumns(t: typeof articles | any): ResourceColumns {
  return { type: 'Article', tenantId: t.tenantId, id: t.id, classification: t.classification, status: t.status, ownerId: t.authorId, teamId: t.ownerTeamId, spaceId: t.spaceId };
}

export const RESOURCE_TYPES = {
  /** Articles: "own" is the author's, "team" the owning team's, "space" the article's space. */
  Article: {
    table: articles,
    columns: articleColumns(articles),
    fromRow: (r: Row): Resource => ({
      type: 'Article',
      id: String(r.id),
      classification: r.classification as string,
      status: r.status as string,
      ownerId: (r.authorId as string | null) ?? null,
      teamId: (r.ownerTeamId as string | null) ?? null,
      spaceId: (r.spaceId as string | null) ?? null,
    }),
  },
  Customer: {
    table: customers,
    columns: { type: 'Customer', tenantId: customers.tenantId, id: customers.id, ownerId: customers.ownerId, teamId: customers.teamId },
    fromRow: (r: Row): Resource => ({ type: 'Customer', id: String(r.id), ownerId: (r.ownerId as string | null) ?? null, teamId: (r.teamId as string | null) ?? null }),
  },
  /** Service records: "own" is the assignee's, "team" the ticket's team. */
  Ticket: {
    table: tickets,
    columns: { type: 'Ticket', tenantId: tickets.tenantId, id: tickets.id, ownerId: tickets.assigneeId, teamId: tickets.teamId },
    fromRow: (r: Row): Resource => ({ type: 'Ticket', id: String(r.id), ownerId: (r.assigneeId as string | null) ?? null, teamId: (r.teamId as string | null) ?? null }),
  },
  /** Customer feedback: "own" is what the user recorded; no team of its own (TEAM scopes match nothing). */
  Feedback: {
    table: customerFeedback,
    columns: { type: 'Feedback', tenantId: customerFeedback.tenantId, id: customerFeedback.id, ownerId: customerFeedback.recordedBy },
    fromRow: (r: Row): Resource => ({ type: 'Feedback', id: String(r.id), ownerId: (r.recordedBy as string | null) ?? null }),
  },
} satisfies Record<string, { table: unknown; columns: ResourceColumns; fromRow: (r: Row) => Resource }>;

export type ResourceType = keyof typeof RESOURCE_TYPES;
export const isResourceType = (t: string): t is ResourceType => t in RESOURCE_TYPES;

export function resourceOf(typeName: string, row: Row): Resource | undefined {
  return isResourceType(typeName) ? RESOURCE_TYPES[typeName].fromRow(row) : undefined;
}

/** The resource type a permission is about, for grants and requests (others cannot be granted per resource). */
export function resourceTypeOfPermission(permission: string): ResourceType | undefined {
  if (permission.startsWith('ARTICLE_')) return 'Article';
  if (permission.startsWith('CUSTOMER_') || permission.startsWith('PII_')) return 'Customer';
  if (permission.startsWith('TICKET_')) return 'Ticket';
  if (permission.startsWith('FEEDBACK_')) return 'Feedback';
  return undefined;
}
