import { articles, customerFeedback, customers, tickets } from '../db/schema';
import { classificationRank } from './permissions';
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

/** A column the row must carry for a decision: a row loaded without it is refused, never guessed. */
function needed(row: Row, key: string, part: string): string | null {
  if (!(key in row)) throw new Error(`${part} row carries no ${key}: it cannot be decided`);
  return (row[key] as string | null) ?? null;
}

const higher = (a: unknown, b: unknown) => (classificationRank(String(a)) >= classificationRank(String(b)) ? String(a) : String(b));

/**
 * Rows that are parts of a protected record (the schema's @partOf): every decision on them is made on
 * that record, so their rows carry the record's policy columns.
 */
export const PART_RESOURCES = {
  /** A contact is decided as its customer: the customer's owner and team, the grants on the customer. */
  CustomerContact: {
    of: 'Customer',
    fromRow: (r: Row): Resource => ({
      type: 'Customer',
      id: String(needed(r, 'customerId', 'CustomerContact')),
      ownerId: needed(r, 'customerOwnerId', 'CustomerContact'),
      teamId: needed(r, 'customerTeamId', 'CustomerContact'),
    }),
  },
  /**
   * A version is decided as its article today (author, team, space) at the higher of its own and the
   * article's classification, and as a draft: history is for those who write or publish the article.
   */
  ArticleVersion: {
    of: 'Article',
    fromRow: (r: Row): Resource => ({
      type: 'Article',
      id: String(needed(r, 'articleId', 'ArticleVersion')),
      classification: higher(r.classification, needed(r, 'articleClassification', 'ArticleVersion')),
      status: 'DRAFT',
      ownerId: needed(r, 'articleAuthorId', 'ArticleVersion'),
      teamId: needed(r, 'articleTeamId', 'ArticleVersion'),
      spaceId: needed(r, 'articleSpaceId', 'ArticleVersion'),
    }),
  },
  /** Audit events and alerts are about the whole tenant: only tenant-wide permissions decide them. */
  AuditEvent: { of: 'Tenant', fromRow: (): Resource => ({ type: 'Tenant', id: 'tenant' }) },
  /** A leaver report's line is an audit event. */
  LeaverReportEntry: { of: 'Tenant', fromRow: (): Resource => ({ type: 'Tenant', id: 'tenant' }) },
  SecurityAlert: { of: 'Tenant', fromRow: (): Resource => ({ type: 'Tenant', id: 'tenant' }) },
} satisfies Record<string, { of: string; fromRow: (r: Row) => Resource }>;

const isPart = (t: string): t is keyof typeof PART_RESOURCES => t in PART_RESOURCES;

/** Whether rows of a GraphQL type can be decided: a protected type, or a part of one. */
export const isDecidable = (typeName: string): boolean => isResourceType(typeName) || isPart(typeName);

/** The record a row of `typeName` is decided as: itself, or the record it is part of. */
export function resourceOf(typeName: string, row: Row): Resource | undefined {
  if (isResourceType(typeName)) return RESOURCE_TYPES[typeName].fromRow(row);
  if (isPart(typeName)) return PART_RESOURCES[typeName].fromRow(row);
  return undefined;
}

/** What a part-of type is part of, as resources.ts knows it (the schema's @partOf must agree). */
export const partOf = (typeName: string): string | undefined => (isPart(typeName) ? PART_RESOURCES[typeName].of : undefined);

/** The resource type a permission is about, for grants and requests (others cannot be granted per resource). */
export function resourceTypeOfPermission(permission: string): ResourceType | undefined {
  if (permission.startsWith('ARTICLE_')) return 'Article';
  if (permission.startsWith('CUSTOMER_') || permission.startsWith('PII_')) return 'Customer';
  if (permission.startsWith('TICKET_')) return 'Ticket';
  if (permission.startsWith('FEEDBACK_')) return 'Feedback';
  return undefined;
}
