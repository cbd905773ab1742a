import { and, eq, inArray, lte, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { customerFeedback, tickets } from '../../db/schema';
import { feedbackReadPredicate } from '../../authz/predicates';
import type { Viewer } from '../../authz/viewer';
import type { Page } from '../../lib/pagination';
import { keyset } from '../keyset';

const columns = {
  id: customerFeedback.id,
  customerId: customerFeedback.customerId,
  ticketId: customerFeedback.ticketId,
  score: customerFeedback.score,
  comment: customerFeedback.comment,
  recordedBy: customerFeedback.recordedBy,
  createdAt: customerFeedback.createdAt,
};

export type FeedbackRow = { [K in keyof typeof columns]: (typeof customerFeedback.$inferSelect)[K] };
export type FeedbackFilter = { customerId?: string; teamId?: string; maxScore?: number };

function filterSql(tx: Tx, f: FeedbackFilter): SQL | undefined {
  const teamTickets = f.teamId ? tx.select({ id: tickets.id }).from(tickets).where(eq(tickets.teamId, f.teamId)) : undefined;
  return and(
    f.customerId ? eq(customerFeedback.customerId, f.customerId) : undefined,
    f.maxScore !== undefined ? lte(customerFeedback.score, f.maxScore) : undefined,
    teamTickets ? inArray(customerFeedback.ticketId, teamTickets) : undefined,
  );
}

export async function listFeedback(tx: Tx, viewer: Viewer, page: Page, filter: FeedbackFilter = {}) {
  const k = keyset(customerFeedback, page, and(feedbackReadPredicate(viewer), filterSql(tx, filter))!);
  return tx.select({ ...columns, cursorAt: k.cursorAt }).from(customerFeedback).where(k.where).orderBy(...k.orderBy).limit(k.limit);
}

export async function feedbackByIds(tx: Tx, viewer: Viewer, ids: readonly string[]): Promise<FeedbackRow[]> {
  if (ids.length === 0) return [];
  return tx.select(columns).from(customerFeedback).where(and(feedbackReadPredicate(viewer), inArray(customerFeedback.id, [...ids])));
}

export async function feedbackOfTickets(tx: Tx, viewer: Viewer, ticketIds: readonly string[]): Promise<FeedbackRow[]> {
  if (ticketIds.length === 0) return [];
  return tx.select(columns).from(customerFeedback).where(and(feedbackReadPredicate(viewer), inArray(customerFeedback.ticketId, [...ticketIds])));
}

/** Whether a ticket already has feedback, whoever may read it (recording checks this, not the reader). */
export async function ticketHasFeedback(tx: Tx, ticketId: string): Promise<boolean> {
  return (await tx.$count(customerFeedback, eq(customerFeedback.ticketId, ticketId))) > 0;
}

export async function insertFeedback(tx: Tx, values: typeof customerFeedback.$inferInsert): Promise<FeedbackRow> {
  const [row] = await tx.insert(customerFeedback).values(values).returning(columns);
  return row;
}
