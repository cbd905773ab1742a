import type { Resolvers } from '../../__generated__/resolvers-types';
import { searchArticles } from './search.service';

export const searchResolvers: Resolvers = {
  Query: {
    searchArticles: (_, args, ctx) => searchArticles(ctx, args),
  },
  ArticleSearchConnection: {
    totalCount: async (c) => (await c.summary()).total,
    facets: (c) => c.summary().then((s) => s.facets),
  },
  SpaceCount: {
    space: (s, _, ctx) => (s.spaceId ? ctx.loaders.space.load(s.spaceId).then((v) => v ?? null) : null),
  },
};
