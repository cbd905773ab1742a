import type { Resolvers } from '../../__generated__/resolvers-types';
import { toGlobalId } from '../../lib/global-id';
import { feedbackPage, recordFeedback } from './feedback.service';
import { satisfactionStats } from './stats.service';

export const feedbackResolvers: Resolvers = {
  Query: {
    feedback: (_, args, ctx) => feedbackPage(ctx, args),
    satisfactionStats: (_, args, ctx) => satisfactionStats(ctx, args),
  },
  Mutation: {
    recordFeedback: (_, { input }, ctx) => recordFeedback(ctx, input),
  },
  Feedback: {
    id: (f) => toGlobalId('Feedback', f.id),
    customer: async (f, _, ctx) => (await ctx.loaders.customer.load(f.customerId)) ?? null,
    ticket: async (f, _, ctx) => (f.ticketId ? ((await ctx.loaders.ticket.load(f.ticketId)) ?? null) : null),
    recordedBy: async (f, _, ctx) => (f.recordedBy ? ((await ctx.loaders.user.load(f.recordedBy)) ?? null) : null),
  },
  RecordFeedbackPayload: {
    id: (f) => toGlobalId('Feedback', f.id),
  },
  SatisfactionBucket: {
    team: async (b, _, ctx) => (b.teamId ? ((await ctx.loaders.team.load(b.teamId)) ?? null) : null),
  },
};
