import { and, eq, inArray, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { articles, customers, ticketArticles, tickets } from '../../db/schema';
import { articleReadPredicate, ticketReadPredicate } from '../../authz/predicates';
import type { Viewer } from '../../authz/viewer';
import type { Page, Position } from '../../lib/pagination';
import { keyset, keysetPages } from '../keyset';

const columns = {
  id: tickets.id,
  subject: tickets.subject,
  description: tickets.description,
  status: tickets.status,
  priority: tickets.priority,
  customerId: tickets.customerId,
  assigneeId: tickets.assigneeId,
  teamId: tickets.teamId,
  resolution: tickets.resolution,
  createdBy: tickets.createdBy,
  resolvedAt: tickets.resolvedAt,
  createdAt: tickets.createdAt,
  updatedAt: tickets.updatedAt,
};

export type TicketRow = { [K in keyof typeof columns]: (typeof tickets.$inferSelect)[K] };
export type TicketFilter = { status?: string; priority?: string; customerId?: string; assigneeId?: string; teamId?: string };

const filterSql = (f: TicketFilter): SQL | undefined =>
  and(
    f.status ? eq(tickets.status, f.status) : undefined,
    f.priority ? eq(tickets.priority, f.priority) : undefined,
    f.customerId ? eq(tickets.customerId, f.customerId) : undefined,
    f.assigneeId ? eq(tickets.assigneeId, f.assigneeId) : undefined,
    f.teamId ? eq(tickets.teamId, f.teamId) : undefined,
  );

export async function listTickets(tx: Tx, viewer: Viewer, page: Page, filter: TicketFilter = {}) {
  const k = keyset(tickets, page, and(ticketReadPredicate(viewer), filterSql(filter))!);
  return tx.select({ ...columns, cursorAt: k.cursorAt }).from(tickets).where(k.where).orderBy(...k.orderBy).limit(k.limit);
}

/** A page of one customer's tickets; `status` null is every status, [] none. */
export type CustomerTicketPage = { limit: number; after: Position | null; status: string[] | null };

/**
 * A page of readable tickets (newest first) for each of many customers, in one statement however many
 * customers: a LATERAL join that walks tickets_customer_idx per customer, with the policy's predicate
 * inside it, so a ticket the viewer may not read is never fetched and never shows in hasNextPage.
 */
export async function ticketPagesOfCustomers(tx: Tx, viewer: Viewer, customerIds: readonly string[], page: CustomerTicketPage) {
  return keysetPages<TicketRow>(tx, {
    parent: customers,
    parentId: customers.id,
    parentIds: customerIds,
    child: tickets,
    childColumns: columns,
    childWhere: and(
      eq(tickets.tenantId, customers.tenantId),
      eq(tickets.customerId, customers.id),
      ticketReadPredicate(viewer),
      page.status ? inArray(tickets.status, page.status) : undefined,
    )!,
    page,
  });
}

export async function ticketsByIds(tx: Tx, viewer: Viewer, ids: readonly string[], opts: { lock?: boolean } = {}): Promise<TicketRow[]> {
  if (ids.length === 0) return [];
  const q = tx.select(columns).from(tickets).where(and(ticketReadPredicate(viewer), inArray(tickets.id, [...ids])));
  return opts.lock ? q.for('update') : q;
}

export async function insertTicket(tx: Tx, values: typeof tickets.$inferInsert): Promise<TicketRow> {
  const [row] = await tx.insert(tickets).values(values).returning(columns);
  return row;
}

export async function updateTicket(tx: Tx, id: string, patch: Partial<typeof tickets.$inferInsert>): Promise<TicketRow> {
  const [row] = await tx.update(tickets).set(patch).where(eq(tickets.id, id)).returning(columns);
  return row;
}

/**
 * The articles used on tickets, joined with the article policy's predicate: an article above the
 * viewer's clearance is never fetched, so its existence on the ticket does not show either.
 */
export async function articleLinksOfTickets(tx: Tx, viewer: Viewer, ticketIds: readonly string[]) {
  if (ticketIds.length === 0) return [];
  return tx
    .select({ ticketId: ticketArticles.ticketId, articleId: ticketArticles.articleId })
    .from(ticketArticles)
    .innerJoin(articles, and(eq(articles.tenantId, ticketArticles.tenantId), eq(articles.id, ticketArticles.articleId)))
    .where(and(inArray(ticketArticles.ticketId, [...ticketIds]), articleReadPredicate(viewer)))
    .orderBy(ticketArticles.createdAt, ticketArticles.articleId);
}

/**
 * Replace the articles the viewer can see on a ticket with `articleIds`. Links to articles the viewer
 * cannot see are kept: someone with a higher clearance put them there.
 */
export async function replaceVisibleArticleLinks(tx: Tx, viewer: Viewer, ticketId: string, articleIds: string[]): Promise<void> {
  const visible = tx.select({ id: articles.id }).from(articles).where(articleReadPredicate(viewer));
  await tx.delete(ticketArticles).where(and(eq(ticketArticles.ticketId, ticketId), inArray(ticketArticles.articleId, visible)));
  if (articleIds.length) {
    await tx.insert(ticketArticles).values(articleIds.map((articleId) => ({ tenantId: viewer.tenantId, ticketId, articleId })));
  }
}
