import { sql } from 'drizzle-orm';
import type { Scope, Viewer } from '../../authz/viewer';
import type { Tx } from '../../db/client';
import { securityPolicies } from '../../db/schema';
import { badInput, forbidden, notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import { optionalText, text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { roleById } from '../access/role.repo';
import { checkAssignable } from '../access/role.service';
import { auditedMutation } from '../mutation';
import { replaceAssignment, revokeItemAccess, shortenGrant } from './review-actions';
import {
  completeIfDone,
  decideItem,
  insertReview,
  itemForDecision,
  itemsOfReview,
  itemsOfReviewer,
  listReviews,
  reportRows,
  reviewById,
  reviewPolicy,
  snapshotItems,
  type ReviewItemRow,
  type ReviewRow,
  type ReviewScope,
} from './review.repo';

const MAX_DUE_DAYS = 365;

function toScope(input: { type: string; id?: string | null }): ReviewScope {
  if (input.type === 'TENANT') {
    if (input.id) throw badInput('A TENANT scope takes no id', { argument: 'scope.id' });
    return { type: 'TENANT' };
  }
  if (!input.id) throw badInput(`A ${input.type} scope needs an id`, { argument: 'scope.id' });
  if (input.type === 'TEAM') return { type: 'TEAM', id: idOf(input.id, 'Team') };
  if (input.type === 'ROLE') return { type: 'ROLE', id: idOf(input.id, 'Role') };
  throw badInput('Unknown scope type', { argument: 'scope.type' });
}

/**
 * Start a campaign: snapshot the access in scope (assignments and live grants) with last-used evidence
 * from the audit log and a reviewer per item (the holder's team lead by default). What happens to items
 * left undecided at dueAt follows the tenant's policy at the start (REVOKE or ESCALATE).
 */
export async function startAccessReview(
  ctx: RequestContext,
  input: { name: string; scope: { type: string; id?: string | null }; dueAt: Date; unusedDays?: number | null; fallbackReviewerId?: string | null },
): Promise<ReviewRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'access_review.start', resourceType: 'AccessReview' }, async (tx) => {
    const name = text(input.name, 'name', { max: 200 });
    const scope = toScope(input.scope);
    const now = Date.now();
    if (Number.isNaN(input.dueAt.getTime()) || input.dueAt.getTime() <= now) throw badInput('dueAt must be in the future', { argument: 'dueAt' });
    if (input.dueAt.getTime() > now + MAX_DUE_DAYS * 86_400_000) throw badInput(`dueAt may be at most ${MAX_DUE_DAYS} days ahead`, { argument: 'dueAt' });
    const policy = await reviewPolicy(tx);
    const unusedDays = input.unusedDays ?? policy.unusedDays;
    if (!Number.isInteger(unusedDays) || unusedDays < 1 || unusedDays > 3650) throw badInput('unusedDays must be between 1 and 3650', { argument: 'unusedDays' });
    if (scope.type === 'TEAM' && !(await ctx.loaders.team.load(scope.id))) throw notFound('Team not found');
    if (scope.type === 'ROLE' && !(await roleById(tx, scope.id))) throw notFound('Role not found');
    const fallback = input.fallbackReviewerId ? idOf(input.fallbackReviewerId, 'User') : viewer.userId;
    if (!(await ctx.loaders.user.load(fallback))) throw notFound('User not found');
    const review = await insertReview(tx, {
      tenantId: viewer.tenantId,
      name,
      scopeType: scope.type,
      scopeId: 'id' in scope ? scope.id : null,
      dueAt: input.dueAt,
      unusedDays,
      missedDecision: policy.missedDecision,
      createdBy: viewer.userId,
    });
    const items = await snapshotItems(tx, review, scope, fallback);
    await completeIfDone(tx, review.id);
    return { result: review, resourceIds: [review.id], detail: { name, scope, dueAt: input.dueAt.toISOString(), items, missedDecision: policy.missedDecision, unusedDays } };
  });
}

export type DecisionInput = {
  id: string;
  decision: 'KEEP' | 'REVOKE' | 'CHANGE';
  note?: string | null;
  roleId?: string | null;
  scope?: { type: string; id?: string | null } | null;
  expiresAt?: Date | null;
};

/**
 * A reviewer's decision on one item (the item's reviewer, or a holder of REVIEW_MANAGE; never the holder
 * of the access). REVOKE and CHANGE apply at once, in the same transaction as the decision and its event.
 */
export async function decideAccessReviewItem(ctx: RequestContext, input: DecisionInput): Promise<ReviewItemRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'access_review.decide', resourceType: 'AccessReviewItem' }, async (tx) => {
    const id = idOf(input.id, 'AccessReviewItem');
    const note = optionalText(input.note, 'note', { max: 2000 }) ?? null;
    const item = await itemForDecision(tx, id);
    const manager = viewer.permissions.has('REVIEW_MANAGE');
    // An item the viewer may not decide is as good as absent.
    if (!item || (item.reviewerId !== viewer.userId && !manager)) throw notFound('Review item not found');
    if (item.userId === viewer.userId) throw forbidden('Nobody reviews their own access');
    if (item.status !== 'PENDING') throw badInput(`The item is already decided (${item.status})`, { argument: 'id' });
    if (input.decision !== 'CHANGE' && (input.roleId || input.scope || input.expiresAt)) throw badInput('roleId, scope and expiresAt go with CHANGE only', { argument: 'decision' });
    let status = 'KEPT';
    let applied: Record<string, unknown> = {};
    if (input.decision === 'REVOKE') {
      status = 'REVOKED';
      applied = await revokeItemAccess(tx, item, viewer.userId, `access review: ${note ?? 'revoked'}`);
    } else if (input.decision === 'CHANGE') {
      status = 'CHANGED';
      applied = await applyChange(tx, viewer, item, input);
    }
    const row = await decideItem(tx, id, { status, by: viewer.userId, note, change: input.decision === 'CHANGE' ? applied : undefined });
    await completeIfDone(tx, item.reviewId);
    return {
      result: row,
      resourceIds: [id, item.assignmentId ?? item.grantId!],
      detail: { reviewId: item.reviewId, decision: input.decision, kind: item.kind, userId: item.userId, note, ...applied },
    };
  });
}

async function applyChange(tx: Tx, viewer: Viewer, item: ReviewItemRow, input: DecisionInput): Promise<Record<string, unknown>> {
  if (item.kind === 'GRANT') {
    if (!input.expiresAt || input.roleId || input.scope) throw badInput('Changing a grant means an earlier expiresAt', { argument: 'expiresAt' });
    if (input.expiresAt.getTime() <= Date.now()) throw badInput('expiresAt must be in the future (use REVOKE to end it now)', { argument: 'expiresAt' });
    if (!(await shortenGrant(tx, item.grantId!, input.expiresAt))) throw badInput('A review may only shorten a live grant', { argument: 'expiresAt' });
    return { expiresAt: input.expiresAt.toISOString() };
  }
  if (!input.roleId || input.expiresAt) throw badInput('Changing a role assignment means another roleId (and optionally scope)', { argument: 'roleId' });
  const role = await roleById(tx, idOf(input.roleId, 'Role'));
  if (!role) throw notFound('Role not found');
  const snap = item.snapshot as { scopeType: string; scopeId: string | null };
  const scope = input.scope ? toAssignmentScope(input.scope) : { scopeType: snap.scopeType, scopeId: snap.scopeId };
  // No escalation through reviews: the reviewer gives only what they could use in that scope themselves.
  checkAssignable(viewer, role, (scope.scopeId ? { type: scope.scopeType, id: scope.scopeId } : { type: scope.scopeType }) as Scope, item.userId!);
  const out = await replaceAssignment(tx, item, viewer.userId, { roleId: role.id, ...scope });
  return { roleId: role.id, roleKey: role.key, ...scope, ...out };
}

function toAssignmentScope(input: { type: string; id?: string | null }): { scopeType: string; scopeId: string | null } {
  if (input.type === 'TENANT' || input.type === 'OWN') {
    if (input.id) throw badInput(`A ${input.type} scope takes no id`, { argument: 'scope.id' });
    return { scopeType: input.type, scopeId: null };
  }
  if (input.type !== 'TEAM' && input.type !== 'SPACE') throw badInput('Unknown scope type', { argument: 'scope.type' });
  if (!input.id) throw badInput(`A ${input.type} scope needs an id`, { argument: 'scope.id' });
  return { scopeType: input.type, scopeId: idOf(input.id, input.type === 'TEAM' ? 'Team' : 'Space') };
}

export const accessReviews = (ctx: RequestContext) => ctx.withTx(listReviews);
export const accessReview = (ctx: RequestContext, id: string) => ctx.withTx((tx) => reviewById(tx, idOf(id, 'AccessReview')));
export const reviewItems = (ctx: RequestContext, reviewId: string, status?: string | null) => ctx.withTx((tx) => itemsOfReview(tx, reviewId, status ?? undefined));

export async function myAccessReviewItems(ctx: RequestContext, status?: string | null) {
  const viewer = await ctx.requireViewer();
  return ctx.withTx((tx) => itemsOfReviewer(tx, viewer.userId, status ?? undefined));
}

export type ReviewerProgressRow = { reviewerId: string | null; total: number; pending: number };

export type ReviewReport = {
  total: number;
  pending: number;
  kept: number;
  revoked: number;
  changed: number;
  autoRevoked: number;
  escalated: number;
  unused: number;
  unusedRevoked: number;
  byReviewer: ReviewerProgressRow[];
};

/** The campaign report: decisions, automatic outcomes, unused access and what became of it, progress per reviewer. */
export async function reviewReport(ctx: RequestContext, reviewId: string): Promise<ReviewReport> {
  const rows = await ctx.withTx((tx) => reportRows(tx, reviewId));
  const sum = (f: (r: (typeof rows)[number]) => boolean) => rows.filter(f).reduce((n, r) => n + Number(r.n), 0);
  const reviewers = new Map<string | null, { reviewerId: string | null; total: number; pending: number }>();
  for (const r of rows) {
    const e = reviewers.get(r.reviewer_id) ?? { reviewerId: r.reviewer_id, total: 0, pending: 0 };
    e.total += Number(r.n);
    if (r.status === 'PENDING') e.pending += Number(r.n);
    reviewers.set(r.reviewer_id, e);
  }
  return {
    total: sum(() => true),
    pending: sum((r) => r.status === 'PENDING'),
    kept: sum((r) => r.status === 'KEPT'),
    revoked: sum((r) => r.status === 'REVOKED'),
    changed: sum((r) => r.status === 'CHANGED'),
    autoRevoked: sum((r) => r.status === 'AUTO_REVOKED'),
    escalated: sum((r) => r.escalated),
    unused: sum((r) => r.unused),
    unusedRevoked: sum((r) => r.unused && (r.status === 'REVOKED' || r.status === 'AUTO_REVOKED')),
    byReviewer: [...reviewers.values()],
  };
}

export const accessReviewPolicy = (ctx: RequestContext) => ctx.withTx(reviewPolicy);

export async function setAccessReviewPolicy(ctx: RequestContext, input: { missedDecision: 'REVOKE' | 'ESCALATE'; unusedDays: number }) {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'access_review.policy_set', resourceType: 'Tenant' }, async (tx) => {
    if (!Number.isInteger(input.unusedDays) || input.unusedDays < 1 || input.unusedDays > 3650) throw badInput('unusedDays must be between 1 and 3650', { argument: 'unusedDays' });
    const before = await reviewPolicy(tx);
    const set = { reviewMissedDecision: input.missedDecision, reviewUnusedDays: input.unusedDays, updatedBy: viewer.userId, updatedAt: sql`now()` };
    await tx.insert(securityPolicies).values({ tenantId: viewer.tenantId, ...set, updatedAt: new Date() }).onConflictDoUpdate({ target: securityPolicies.tenantId, set });
    return { result: input, resourceIds: [viewer.tenantId], detail: { before, after: input } };
  });
}
