import type { Resolvers } from '../../__generated__/resolvers-types';
import { idOf, toGlobalId } from '../../lib/global-id';
import { createTicket, editTicket, ticketById, ticketPage } from './ticket.service';

const present = <T>(v: T | undefined | Error): v is T => v !== undefined && !(v instanceof Error);

export const ticketResolvers: Resolvers = {
  Query: {
    tickets: (_, args, ctx) => ticketPage(ctx, args),
    ticket: (_, { id }, ctx) => ticketById(ctx, idOf(id, 'Ticket')),
  },
  Mutation: {
    createTicket: (_, { input }, ctx) => createTicket(ctx, input),
    updateTicket: (_, { input }, ctx) => editTicket(ctx, input),
  },
  Ticket: {
    id: (t) => toGlobalId('Ticket', t.id),
    customer: async (t, _, ctx) => (await ctx.loaders.customer.load(t.customerId)) ?? null,
    assignee: async (t, _, ctx) => (t.assigneeId ? ((await ctx.loaders.user.load(t.assigneeId)) ?? null) : null),
    team: async (t, _, ctx) => (t.teamId ? ((await ctx.loaders.team.load(t.teamId)) ?? null) : null),
    createdBy: async (t, _, ctx) => (t.createdBy ? ((await ctx.loaders.user.load(t.createdBy)) ?? null) : null),
    articles: async (t, _, ctx) => {
      const links = await ctx.loaders.articleIdsByTicket.load(t.id);
      return (await ctx.loaders.article.loadMany(links.map((l) => l.articleId))).filter(present);
    },
    feedback: async (t, _, ctx) => (await ctx.loaders.feedbackByTicket.load(t.id))[0] ?? null,
  },
};
