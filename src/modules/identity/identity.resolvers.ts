import type { Resolvers } from '../../__generated__/resolvers-types';
import { toGlobalId } from '../../lib/global-id';
import { notFound } from '../../lib/errors';
import { rolesOfUser } from './identity.repo';
import { login, logout, refresh } from './identity.service';

export const identityResolvers: Resolvers = {
  Query: {
    me: (_, __, ctx) => ctx.requireViewer(),
  },
  Mutation: {
    login: (_, { input }, ctx) => login(ctx, input),
    refreshSession: (_, { refreshToken }, ctx) => refresh(ctx, refreshToken),
    logout: (_, __, ctx) => logout(ctx),
  },
  Viewer: {
    user: async (v, _, ctx) => (await ctx.loaders.user.load(v.userId)) ?? Promise.reject(notFound()),
    roles: (v, _, ctx) => ctx.withTx((tx) => rolesOfUser(tx, v.userId)),
    permissions: (v) => [...v.permissions].sort(),
    clearance: (v) => v.clearance,
    sessionId: (v) => toGlobalId('Session', v.sessionId),
  },
  User: {
    id: (u) => toGlobalId('User', u.id),
  },
  Role: {
    id: (r) => toGlobalId('Role', r.id),
  },
};
