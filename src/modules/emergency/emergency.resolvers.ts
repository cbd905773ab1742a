import type { Resolvers } from '../../__generated__/resolvers-types';
import { toGlobalId } from '../../lib/global-id';
import type { RequestContext } from '../../server/context';
import { BREAK_GLASS_PERMISSIONS, breakGlass, breakGlassReviews, closeBreakGlassReview, myBreakGlassAccesses } from './break-glass.service';
import { liftLockdown, lockdownStatus, startLockdown } from './lockdown.service';

const user = (ctx: RequestContext, id: string | null) => (id ? ctx.loaders.user.load(id).then((u) => u ?? null) : null);

export const emergencyResolvers: Resolvers = {
  Query: {
    breakGlassReviews: (_, { status }, ctx) => breakGlassReviews(ctx, status),
    myBreakGlassAccesses: (_, __, ctx) => myBreakGlassAccesses(ctx),
    // A tenant that never locked down has no row: an empty model, shown as inactive.
    lockdownStatus: async (_, __, ctx) => (await lockdownStatus(ctx)) ?? {},
  },
  Mutation: {
    breakGlass: (_, args, ctx) => breakGlass(ctx, args),
    closeBreakGlassReview: (_, args, ctx) => closeBreakGlassReview(ctx, args),
    lockdown: (_, { reason }, ctx) => startLockdown(ctx, reason),
    liftLockdown: (_, { reason }, ctx) => liftLockdown(ctx, reason),
  },
  BreakGlassAccess: {
    id: (b) => toGlobalId('BreakGlassAccess', b.id),
    user: async (b, _, ctx) => (await ctx.loaders.user.load(b.userId))!,
    resourceId: (b) => toGlobalId(b.resourceType, b.resourceId),
    permissions: (b) => BREAK_GLASS_PERMISSIONS[b.resourceType as 'Article'] ?? [],
    active: (b) => b.reviewStatus === 'OPEN' && b.expiresAt.getTime() > Date.now(),
    reviewStatus: (b) => b.reviewStatus as 'OPEN',
    reviewOutcome: (b) => (b.reviewOutcome as 'JUSTIFIED' | null) ?? null,
    reviewedBy: (b, _, ctx) => user(ctx, b.reviewedBy),
  },
  Lockdown: {
    active: (l) => !!l.id && !l.liftedAt,
    reason: (l) => l.reason ?? null,
    startedBy: (l, _, ctx) => user(ctx, l.startedBy ?? null),
    startedAt: (l) => l.startedAt ?? null,
    sessionsRevoked: (l) => l.sessionsRevoked ?? null,
    liftedBy: (l, _, ctx) => user(ctx, l.liftedBy ?? null),
    liftedAt: (l) => l.liftedAt ?? null,
    liftReason: (l) => l.liftReason ?? null,
  },
};
