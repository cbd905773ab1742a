import DataLoader from 'dataloader';
import type { Viewer } from '../../authz/viewer';
import type { Tx } from '../../db/client';
import type { RequestContext } from '../../server/context';
import { pageLoader } from '../../server/tenant-loaders';
import { feedbackByIds, feedbackOfTickets } from '../feedback/feedback.repo';
import { teamsByIds } from '../access/team.repo';
import { articleLinksOfTickets, ticketPagesOfCustomers, ticketsByIds } from '../tickets/ticket.repo';
import { contactsByIds, contactsOfCustomers } from './contact.repo';
import { customersByIds } from './customer.repo';
import { RequestKeyRing } from './pii.service';

type Batch<T> = (tx: Tx, viewer: Viewer, keys: readonly string[]) => Promise<T[]>;

/**
 * Loaders live for one request and one tenant; their cache keys carry the tenant as well, so a key can
 * never answer for another tenant even if a loader outlived its request. Every batch runs in the
 * request's transaction with the policy's predicates (row-level security below that).
 */
function tenantKey(ctx: RequestContext) {
  return (id: string) => `${ctx.claims?.tid ?? '-'}:${id}`;
}

async function run<T>(ctx: RequestContext, batch: Batch<T>, keys: readonly string[]): Promise<T[]> {
  const viewer = await ctx.requireViewer();
  return ctx.withTx((tx) => batch(tx, viewer, keys));
}

/** One row per key (or undefined when missing or not visible). */
export function rowLoader<T extends { id: string }>(ctx: RequestContext, batch: Batch<T>) {
  return new DataLoader<string, T | undefined, string>(
    async (ids) => {
      const byId = new Map((await run(ctx, batch, ids)).map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id));
    },
    { cacheKeyFn: tenantKey(ctx) },
  );
}

/** The rows belonging to each parent key, in the order the batch returned them. */
export function groupLoader<T>(ctx: RequestContext, batch: Batch<T>, parentOf: (row: T) => string | null) {
  return new DataLoader<string, T[], string>(
    async (keys) => {
      const groups = new Map<string, T[]>(keys.map((k) => [k, []]));
      for (const row of await run(ctx, batch, keys)) groups.get(parentOf(row) ?? '')?.push(row);
      return keys.map((k) => groups.get(k)!);
    },
    { cacheKeyFn: tenantKey(ctx) },
  );
}

/** The CRM's loaders: customers, their contacts and tickets, teams, tickets with their articles and feedback. */
export function crmLoaders(ctx: RequestContext) {
  const ticket = rowLoader(ctx, ticketsByIds);
  return {
    customer: rowLoader(ctx, customersByIds),
    customerContact: rowLoader(ctx, contactsByIds),
    contactsByCustomer: groupLoader(ctx, contactsOfCustomers, (c) => c.customerId),
    /** Keyed by customer and page shape: every customer on a page asking the same page is one statement. */
    ticketsOfCustomer: pageLoader(ctx, ticketPagesOfCustomers, (rows) => rows.forEach((r) => ticket.prime(r.id, r))),
    team: rowLoader(ctx, (tx, _viewer, ids) => teamsByIds(tx, ids)),
    ticket,
    articleIdsByTicket: groupLoader(ctx, articleLinksOfTickets, (l) => l.ticketId),
    feedback: rowLoader(ctx, feedbackByIds),
    feedbackByTicket: groupLoader(ctx, feedbackOfTickets, (f) => f.ticketId),
    keyRing: new RequestKeyRing(ctx),
  };
}
