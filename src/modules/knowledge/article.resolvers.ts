import type { Resolvers } from '../../__generated__/resolvers-types';
import { idOf, toGlobalId } from '../../lib/global-id';
import { articleById, articlePage, createArticle, editArticle } from './article.service';

export const articleResolvers: Resolvers = {
  Query: {
    articles: (_, args, ctx) => articlePage(ctx, args),
    article: (_, { id }, ctx) => articleById(ctx, idOf(id, 'Article')),
  },
  Mutation: {
    createArticle: (_, { input }, ctx) => createArticle(ctx, input),
    updateArticle: (_, { input }, ctx) => editArticle(ctx, input),
  },
  Article: {
    id: (a) => toGlobalId('Article', a.id),
    internalNotes: (a) => a.internalNotes,
    author: (a, _, ctx) => (a.authorId ? ctx.loaders.user.load(a.authorId).then((u) => u ?? null) : null),
  },
};
