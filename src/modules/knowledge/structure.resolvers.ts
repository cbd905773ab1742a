import type { Resolvers } from '../../__generated__/resolvers-types';
import { idOf, toGlobalId } from '../../lib/global-id';
import { parsePage, toConnection } from '../../lib/pagination';
import { categoryPage, createCategory, createSpace, editCategory, editSpace, spacePage, tagPage } from './structure.service';

const orNull = <T>(p: Promise<T | undefined>) => p.then((v) => v ?? null);

export const structureResolvers: Resolvers = {
  Query: {
    spaces: (_, args, ctx) => spacePage(ctx, args),
    space: (_, { id }, ctx) => orNull(ctx.loaders.space.load(idOf(id, 'Space'))),
    categories: (_, args, ctx) => categoryPage(ctx, args),
    tags: (_, args, ctx) => tagPage(ctx, args),
  },
  Mutation: {
    createSpace: (_, { input }, ctx) => createSpace(ctx, input),
    updateSpace: (_, { input }, ctx) => editSpace(ctx, input),
    createCategory: (_, { input }, ctx) => createCategory(ctx, input),
    updateCategory: (_, { input }, ctx) => editCategory(ctx, input),
  },
  Space: {
    id: (s) => toGlobalId('Space', s.id),
    ownerTeam: (s, _, ctx) => (s.ownerTeamId ? orNull(ctx.loaders.team.load(s.ownerTeamId)) : null),
    categories: (s, _, ctx) => ctx.loaders.rootCategoriesOfSpace.load(s.id),
  },
  Category: {
    id: (c) => toGlobalId('Category', c.id),
    space: async (c, _, ctx) => {
      const space = await ctx.loaders.space.load(c.spaceId);
      if (!space) throw new Error(`category ${c.id} without its space`);
      return space;
    },
    parent: (c, _, ctx) => (c.parentId ? orNull(ctx.loaders.category.load(c.parentId)) : null),
    children: (c, _, ctx) => ctx.loaders.childrenOfCategory.load(c.id),
    articles: async (c, args, ctx) => {
      const page = parsePage(args);
      return toConnection(await ctx.loaders.articlesOfCategory.load({ parentId: c.id, page }), page);
    },
  },
  Tag: {
    id: (t) => toGlobalId('Tag', t.id),
  },
  Team: {
    id: (t) => toGlobalId('Team', t.id),
  },
};
