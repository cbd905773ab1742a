import { badInput, forbidden, notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import { parsePage, toConnection } from '../../lib/pagination';
import { optionalText } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { customersByIds } from '../crm/customer.repo';
import { auditedMutation } from '../mutation';
import { ticketsByIds } from '../tickets/ticket.repo';
import { insertFeedback, listFeedback, ticketHasFeedback, type FeedbackRow } from './feedback.repo';

type FilterInput = { customerId?: string | null; teamId?: string | null; maxScore?: number | null } | null | undefined;

function validScore(score: number, argument: string): number {
  if (!Number.isInteger(score) || score < 1 || score > 5) throw badInput(`${argument} must be a whole number from 1 to 5`, { argument });
  return score;
}

export async function feedbackPage(ctx: RequestContext, args: { filter?: FilterInput; first?: number | null; after?: string | null }) {
  const page = parsePage(args, 'Feedback');
  const f = args.filter;
  const filter = {
    customerId: f?.customerId ? idOf(f.customerId, 'Customer') : undefined,
    teamId: f?.teamId ? idOf(f.teamId, 'Team') : undefined,
    maxScore: f?.maxScore != null ? validScore(f.maxScore, 'maxScore') : undefined,
  };
  const viewer = await ctx.requireViewer();
  const rows = await ctx.withTx((tx) => listFeedback(tx, viewer, page, filter));
  for (const row of rows) ctx.loaders.feedback.prime(row.id, row);
  return toConnection(rows, page);
}

type RecordInput = { ticketId?: string | null; customerId?: string | null; score: number; comment?: string | null };

/**
 * Record a customer's satisfaction. About a ticket (the customer is the ticket's) or about a customer
 * in general; at most once per ticket; never by the ticket's own assignee, who would be rating themselves.
 */
export async function recordFeedback(ctx: RequestContext, input: RecordInput): Promise<FeedbackRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'feedback.record', resourceType: 'Feedback' }, async (tx) => {
    const score = validScore(input.score, 'score');
    const comment = optionalText(input.comment, 'comment', { max: 2000 }) ?? null;
    if (!input.ticketId && !input.customerId) throw badInput('Give a ticketId or a customerId', { argument: 'ticketId' });
    let customerId = input.customerId ? idOf(input.customerId, 'Customer') : undefined;
    let ticketId: string | null = null;
    if (input.ticketId) {
      const [ticket] = await ticketsByIds(tx, viewer, [idOf(input.ticketId, 'Ticket')], { lock: true });
      if (!ticket) throw notFound('Ticket not found', { argument: 'ticketId' });
      if (customerId && customerId !== ticket.customerId) throw badInput('customerId is not the customer of the ticket', { argument: 'customerId' });
      if (ticket.assigneeId === viewer.userId) throw forbidden('Feedback on a ticket assigned to you must be recorded by someone else');
      if (await ticketHasFeedback(tx, ticket.id)) throw badInput('Feedback is already recorded for this ticket', { argument: 'ticketId' });
      ticketId = ticket.id;
      customerId = ticket.customerId;
    } else if ((await customersByIds(tx, viewer, [customerId!])).length === 0) {
      throw notFound('Customer not found', { argument: 'customerId' });
    }
    const row = await insertFeedback(tx, { tenantId: viewer.tenantId, customerId: customerId!, ticketId, score, comment, recordedBy: viewer.userId });
    return { result: row, resourceIds: [row.id, ...(ticketId ? [ticketId] : []), row.customerId], detail: { score } };
  });
}
