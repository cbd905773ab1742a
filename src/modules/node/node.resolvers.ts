import type { Resolvers } from '../../__generated__/resolvers-types';
import { parseGlobalId } from '../../lib/global-id';
import type { RequestContext } from '../../server/context';

/** node(id) goes through the same loaders, and so the same policy predicates, as the typed lookups. */
const loadersByType: Record<string, (ctx: RequestContext, id: string) => Promise<object | undefined>> = {
  Article: (ctx, id) => ctx.loaders.article.load(id),
  Customer: (ctx, id) => ctx.loaders.customer.load(id),
  User: (ctx, id) => ctx.loaders.user.load(id),
  Team: (ctx, id) => ctx.loaders.team.load(id),
  CustomerContact: (ctx, id) => ctx.loaders.customerContact.load(id),
  Ticket: (ctx, id) => ctx.loaders.ticket.load(id),
  Feedback: (ctx, id) => ctx.loaders.feedback.load(id),
  Space: (ctx, id) => ctx.loaders.space.load(id),
  Category: (ctx, id) => ctx.loaders.category.load(id),
  Tag: (ctx, id) => ctx.loaders.tag.load(id),
  ArticleVersion: (ctx, id) => ctx.loaders.articleVersion.load(id),
  Attachment: (ctx, id) => ctx.loaders.attachment.load(id),
};

export const nodeResolvers: Resolvers = {
  Query: {
    node: async (_, { id }, ctx) => {
      const { type, id: uuid } = parseGlobalId(id);
      const load = loadersByType[type];
      const row = load ? await load(ctx, uuid) : undefined;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return row ? ({ ...row, __typename: type } as any) : null;
    },
  },
  Node: {
    __resolveType: (obj) => (obj as { __typename?: string }).__typename as 'Article' | 'Customer' | 'CustomerContact' | 'Feedback' | 'Team' | 'Ticket' | 'User',
  },
};
