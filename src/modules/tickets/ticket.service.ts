import { sql } from 'drizzle-orm';
import type { Viewer } from '../../authz/viewer';
import type { Tx } from '../../db/client';
import { badInput, notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import { parsePage, toConnection } from '../../lib/pagination';
import { optionalText, text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { customersByIds } from '../crm/customer.repo';
import { teamsByIds } from '../access/team.repo';
import { usersByIds } from '../identity/identity.repo';
import { articlesByIds } from '../knowledge/article.repo';
import { auditedMutation } from '../mutation';
import { insertTicket, listTickets, replaceVisibleArticleLinks, ticketsByIds, updateTicket, type TicketRow } from './ticket.repo';

export const MAX_ARTICLES_PER_TICKET = 20;
const DONE = new Set(['RESOLVED', 'CLOSED']);

type FilterInput = { status?: string | null; priority?: string | null; customerId?: string | null; assigneeId?: string | null; teamId?: string | null } | null | undefined;

export async function ticketPage(ctx: RequestContext, args: { filter?: FilterInput; first?: number | null; after?: string | null }) {
  const page = parsePage(args, 'Ticket');
  const f = args.filter;
  const filter = {
    status: f?.status ?? undefined,
    priority: f?.priority ?? undefined,
    customerId: f?.customerId ? idOf(f.customerId, 'Customer') : undefined,
    assigneeId: f?.assigneeId ? idOf(f.assigneeId, 'User') : undefined,
    teamId: f?.teamId ? idOf(f.teamId, 'Team') : undefined,
  };
  const viewer = await ctx.requireViewer();
  const rows = await ctx.withTx((tx) => listTickets(tx, viewer, page, filter));
  for (const row of rows) ctx.loaders.ticket.prime(row.id, row);
  return toConnection(rows, page);
}

/** The schema's default for Customer.tickets(first:), for an explicit null. */
const CUSTOMER_TICKETS_DEFAULT = 5;

/**
 * One customer's tickets as a connection. The page is parsed here (first 1..100, cursor bound to this
 * list) and the rows come from a loader that answers every customer of the parent page in one statement;
 * `status` is sorted and de-duplicated so that customers asking the same set share that statement.
 */
export async function customerTicketPage(
  ctx: RequestContext,
  customerId: string,
  args: { first?: number | null; after?: string | null; status?: readonly string[] | null },
) {
  const page = parsePage({ first: args.first ?? CUSTOMER_TICKETS_DEFAULT, after: args.after }, 'Customer.tickets');
  const status = args.status ? [...new Set(args.status)].sort() : null;
  const rows = await ctx.loaders.ticketsOfCustomer.load({ parentId: customerId, page: { limit: page.limit, after: page.after, status } });
  return toConnection(rows, page);
}

export async function ticketById(ctx: RequestContext, id: string): Promise<TicketRow | null> {
  return (await ctx.loaders.ticket.load(id)) ?? null;
}

/** Referenced rows must exist and be visible to the viewer: NOT_FOUND (naming the argument) otherwise. */
async function checkReferences(tx: Tx, viewer: Viewer, refs: { customerId?: string; assigneeId?: string | null; teamId?: string | null }) {
  if (refs.customerId && (await customersByIds(tx, viewer, [refs.customerId])).length === 0) throw notFound('Customer not found', { argument: 'customerId' });
  if (refs.assigneeId) {
    const [user] = await usersByIds(tx, [refs.assigneeId]);
    if (!user) throw notFound('User not found', { argument: 'assigneeId' });
    if (user.status !== 'ACTIVE') throw badInput('The assignee is not an active user', { argument: 'assigneeId' });
  }
  if (refs.teamId && (await teamsByIds(tx, [refs.teamId])).length === 0) throw notFound('Team not found', { argument: 'teamId' });
}

type CreateInput = { subject: string; description?: string | null; priority?: string | null; customerId: string; assigneeId?: string | null; teamId?: string | null };

export async function createTicket(ctx: RequestContext, input: CreateInput): Promise<TicketRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'ticket.create', resourceType: 'Ticket' }, async (tx) => {
    const values = {
      tenantId: viewer.tenantId,
      subject: text(input.subject, 'subject', { max: 200 }),
      description: optionalText(input.description, 'description', { max: 20_000 }) ?? '',
      priority: input.priority ?? 'NORMAL',
      customerId: idOf(input.customerId, 'Customer'),
      assigneeId: input.assigneeId ? idOf(input.assigneeId, 'User') : null,
      teamId: input.teamId ? idOf(input.teamId, 'Team') : null,
      createdBy: viewer.userId,
    };
    await checkReferences(tx, viewer, values);
    const row = await insertTicket(tx, values);
    return { result: row, resourceIds: [row.id, row.customerId], detail: { priority: row.priority } };
  });
}

type UpdateInput = {
  id: string;
  subject?: string | null;
  description?: string | null;
  status?: string | null;
  priority?: string | null;
  assigneeId?: string | null;
  teamId?: string | null;
  resolution?: string | null;
  articleIds?: readonly string[] | null;
};

function articleIdsOf(input: readonly string[]): string[] {
  const ids = [...new Set(input.map((id) => idOf(id, 'Article')))];
  if (ids.length > MAX_ARTICLES_PER_TICKET) throw badInput(`At most ${MAX_ARTICLES_PER_TICKET} articles per ticket`, { argument: 'articleIds' });
  return ids;
}

export async function editTicket(ctx: RequestContext, input: UpdateInput): Promise<TicketRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'ticket.update', resourceType: 'Ticket' }, async (tx) => {
    const id = idOf(input.id, 'Ticket');
    const patch = {
      ...(input.subject != null && { subject: text(input.subject, 'subject', { max: 200 }) }),
      ...(input.description != null && { description: optionalText(input.description, 'description', { max: 20_000 }) ?? '' }),
      ...(input.status != null && { status: input.status }),
      ...(input.priority != null && { priority: input.priority }),
      ...(input.assigneeId !== undefined && { assigneeId: input.assigneeId === null ? null : idOf(input.assigneeId, 'User') }),
      ...(input.teamId !== undefined && { teamId: input.teamId === null ? null : idOf(input.teamId, 'Team') }),
      ...(input.resolution !== undefined && { resolution: optionalText(input.resolution, 'resolution', { max: 20_000 }) }),
    };
    const articleIds = input.articleIds != null ? articleIdsOf(input.articleIds) : undefined;
    const [current] = await ticketsByIds(tx, viewer, [id], { lock: true });
    if (!current) throw notFound('Ticket not found');
    await checkReferences(tx, viewer, patch);
    const status = patch.status ?? current.status;
    const resolution = patch.resolution !== undefined ? patch.resolution : current.resolution;
    if (DONE.has(status) && !resolution) throw badInput(`A ${status.toLowerCase()} ticket needs a resolution`, { argument: 'resolution' });
    const resolvedAt = DONE.has(status) ? (DONE.has(current.status) ? current.resolvedAt : (sql`now()` as unknown as Date)) : null;
    if (articleIds && (await articlesByIds(tx, viewer, articleIds)).length !== articleIds.length) {
      throw notFound('Article not found', { argument: 'articleIds' });
    }
    const row = await updateTicket(tx, id, { ...patch, resolvedAt, updatedAt: sql`now()` as unknown as Date });
    if (articleIds) await replaceVisibleArticleLinks(tx, viewer, id, articleIds);
    const fields = [...Object.keys(patch), ...(articleIds ? ['articleIds'] : [])];
    return { result: row, resourceIds: [id], detail: { fields, ...(patch.status && { status: patch.status }) } };
  });
}
