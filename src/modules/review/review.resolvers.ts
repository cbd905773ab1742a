import type { Resolvers } from '../../__generated__/resolvers-types';
import type { Permission } from '../../authz/permissions';
import { toGlobalId } from '../../lib/global-id';
import type { RequestContext } from '../../server/context';
import { requestLoader } from '../../server/request-loader';
import { reviewsByIds, type ReviewItemRow, type ReviewRow } from './review.repo';
import {
  accessReview,
  accessReviewPolicy,
  accessReviews,
  decideAccessReviewItem,
  myAccessReviewItems,
  reviewItems,
  reviewReport,
  setAccessReviewPolicy,
  startAccessReview,
} from './review.service';

const user = (ctx: RequestContext, id: string | null) => (id ? ctx.loaders.user.load(id).then((u) => u ?? null) : null);

/** Campaigns by id, per request (items name their campaign). */
const reviews = requestLoader<string, ReviewRow>(async (ctx, ids) => {
  const rows = await ctx.withTx((tx) => reviewsByIds(tx, ids));
  return ids.map((i) => rows.find((r) => r.id === i));
});
const reviewOf = (ctx: RequestContext, id: string): Promise<ReviewRow> => reviews(ctx).load(id).then((r) => r!);

type AssignmentSnapshot = { roleKey: string; permissions: Permission[]; scopeType: string; scopeId: string | null };
type GrantSnapshot = { permission: Permission; resourceType: string; resourceId: string; expiresAt: string; teamId: string | null; roleId: string | null };
const assignment = (i: ReviewItemRow) => (i.kind === 'ASSIGNMENT' ? (i.snapshot as AssignmentSnapshot) : null);
const grant = (i: ReviewItemRow) => (i.kind === 'GRANT' ? (i.snapshot as GrantSnapshot) : null);

function describe(i: ReviewItemRow): string {
  const a = assignment(i);
  if (a) return `role ${a.roleKey} (${a.permissions.join(', ')}) in scope ${a.scopeType}`;
  const g = grant(i)!;
  const to = g.teamId ? 'a team' : g.roleId ? 'a role' : 'the user';
  return `grant of ${g.permission} on ${g.resourceType} to ${to} until ${new Date(g.expiresAt).toISOString()}`;
}

export const reviewResolvers: Resolvers = {
  Query: {
    accessReviews: (_, __, ctx) => accessReviews(ctx),
    accessReview: async (_, { id }, ctx) => (await accessReview(ctx, id)) ?? null,
    myAccessReviewItems: (_, { status }, ctx) => myAccessReviewItems(ctx, status),
    accessReviewPolicy: (_, __, ctx) => accessReviewPolicy(ctx),
  },
  Mutation: {
    startAccessReview: (_, { input }, ctx) => startAccessReview(ctx, input),
    decideAccessReviewItem: (_, { input }, ctx) => decideAccessReviewItem(ctx, input),
    setAccessReviewPolicy: (_, args, ctx) => setAccessReviewPolicy(ctx, args),
  },
  AccessReview: {
    id: (r) => toGlobalId('AccessReview', r.id),
    scopeType: (r) => r.scopeType as 'TENANT',
    scopeId: (r) => (r.scopeId ? toGlobalId(r.scopeType === 'TEAM' ? 'Team' : 'Role', r.scopeId) : null),
    missedDecision: (r) => r.missedDecision as 'REVOKE',
    status: (r) => (r.completedAt ? 'COMPLETED' : 'OPEN'),
    createdBy: async (r, _, ctx) => (await ctx.loaders.user.load(r.createdBy))!,
    items: (r, { status }, ctx) => reviewItems(ctx, r.id, status),
    report: (r, _, ctx) => reviewReport(ctx, r.id),
  },
  AccessReviewItem: {
    id: (i) => toGlobalId('AccessReviewItem', i.id),
    reviewId: (i) => toGlobalId('AccessReview', i.reviewId),
    reviewName: async (i, _, ctx) => (await reviewOf(ctx, i.reviewId)).name,
    dueAt: async (i, _, ctx) => (await reviewOf(ctx, i.reviewId)).dueAt,
    kind: (i) => i.kind as 'ASSIGNMENT',
    user: (i, _, ctx) => user(ctx, i.userId),
    roleKey: (i) => assignment(i)?.roleKey ?? null,
    permissions: (i) => assignment(i)?.permissions ?? [grant(i)!.permission],
    scope: (i) => {
      const a = assignment(i);
      if (!a) return null;
      return a.scopeId ? { type: a.scopeType as 'TEAM', id: a.scopeId } : { type: a.scopeType as 'TENANT' };
    },
    resourceType: (i) => grant(i)?.resourceType ?? null,
    resourceId: (i) => {
      const g = grant(i);
      return g ? toGlobalId(g.resourceType, g.resourceId) : null;
    },
    grantExpiresAt: (i) => {
      const g = grant(i);
      return g ? new Date(g.expiresAt) : null;
    },
    description: (i) => describe(i),
    reviewer: (i, _, ctx) => user(ctx, i.reviewerId),
    status: (i) => i.status as 'PENDING',
    decidedBy: (i, _, ctx) => user(ctx, i.decidedBy),
    change: (i) => (i.change ? JSON.stringify(i.change) : null),
  },
  ReviewerProgress: {
    reviewer: (p, _, ctx) => user(ctx, p.reviewerId),
  },
};
