import type { Resolvers } from '../../__generated__/resolvers-types';
import { fieldRequirement } from '../../authz/requirements';
import { searchArticles } from './search.service';

export const searchResolvers: Resolvers = {
  Query: {
    // The snippet declares its source (@derivedFrom Article.body): that field's step-up decides the search.
    searchArticles: (_, args, ctx, info) => searchArticles(ctx, args, fieldRequirement(info.schema, 'ArticleSearchEdge.snippet').stepUp),
  },
  ArticleSearchConnection: {
    totalCount: async (c) => (await c.count()).total,
    totalCountIsCapped: async (c) => (await c.count()).capped,
    facets: (c) => c.facets(),
  },
  SpaceCount: {
    space: (s, _, ctx) => (s.spaceId ? ctx.loaders.space.load(s.spaceId).then((v) => v ?? null) : null),
  },
};
