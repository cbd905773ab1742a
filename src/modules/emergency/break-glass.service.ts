import type { Permission } from '../../authz/permissions';
import type { ResourceType } from '../../authz/resources';
import { badInput, forbidden, notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import { text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { grantsByIds, revokeGrantRow } from '../access/grant.repo';
import { createGrant } from '../access/grant.service';
import { loadResource } from '../access/resource.repo';
import { auditedMutation } from '../mutation';
import { breakGlassForUpdate, closeBreakGlass, insertBreakGlass, listBreakGlass, type BreakGlassRow } from './emergency.repo';

export const BREAK_GLASS_MAX_MINUTES = 240;

/** What breaking the glass gives on each kind of record: reading it in full. */
export const BREAK_GLASS_PERMISSIONS: Record<ResourceType, Permission[]> = {
  Article: ['ARTICLE_READ', 'ARTICLE_INTERNAL_NOTES_READ'],
  Customer: ['CUSTOMER_READ', 'PII_READ_FULL'],
  Ticket: ['TICKET_READ'],
  Feedback: ['FEEDBACK_READ'],
};

/**
 * Immediate, time-boxed access for holders of BREAK_GLASS, without an approver: the grant machinery
 * (createGrant with BREAK_GLASS authority), the review item that must be closed afterwards, and the
 * audit event the detector turns into a CRITICAL alert, all in the request's transaction.
 */
export async function breakGlass(ctx: RequestContext, args: { resourceId: string; reason: string; minutes: number }): Promise<BreakGlassRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'break_glass.use', resourceType: 'BreakGlassAccess' }, async (tx) => {
    const reason = text(args.reason, 'reason', { min: 10, max: 500 });
    if (!Number.isInteger(args.minutes) || args.minutes < 1 || args.minutes > BREAK_GLASS_MAX_MINUTES) {
      throw badInput(`minutes must be between 1 and ${BREAK_GLASS_MAX_MINUTES}`, { argument: 'minutes' });
    }
    const resource = await loadResource(tx, args.resourceId);
    const expiresAt = new Date(Date.now() + args.minutes * 60_000);
    const permissions = BREAK_GLASS_PERMISSIONS[resource.type];
    const grantIds: string[] = [];
    for (const permission of permissions) {
      const grant = await createGrant(tx, viewer, { grantee: { userId: viewer.userId }, permission, resourceId: args.resourceId, expiresAt, reason: `break-glass: ${reason}` }, 'BREAK_GLASS');
      grantIds.push(grant.id);
    }
    const row = await insertBreakGlass(tx, { tenantId: viewer.tenantId, userId: viewer.userId, resourceType: resource.type, resourceId: resource.id, reason, minutes: args.minutes, grantIds, expiresAt });
    return {
      result: row,
      resourceIds: [row.id, resource.id],
      detail: { resourceType: resource.type, permissions, minutes: args.minutes, expiresAt: expiresAt.toISOString(), reason, grantIds },
    };
  });
}

export async function closeBreakGlassReview(ctx: RequestContext, args: { id: string; outcome: 'JUSTIFIED' | 'UNJUSTIFIED'; note: string }): Promise<BreakGlassRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'break_glass.review', resourceType: 'BreakGlassAccess' }, async (tx) => {
    const id = idOf(args.id, 'BreakGlassAccess');
    const note = text(args.note, 'note', { max: 2000 });
    const current = await breakGlassForUpdate(tx, id);
    if (!current) throw notFound('Break-glass access not found');
    if (current.userId === viewer.userId) throw forbidden('Nobody reviews their own break-glass access');
    if (current.reviewStatus === 'CLOSED') throw badInput('The review is already closed', { argument: 'id' });
    // Closing ends the access if it is still running.
    let ended = 0;
    for (const grant of await grantsByIds(tx, current.grantIds)) {
      if (!grant.revokedAt && grant.expiresAt.getTime() > Date.now() && (await revokeGrantRow(tx, grant.id, viewer.userId, `break-glass review closed (${args.outcome})`))) ended++;
    }
    const row = await closeBreakGlass(tx, id, { outcome: args.outcome, by: viewer.userId, note });
    return { result: row, resourceIds: [id, current.resourceId], detail: { outcome: args.outcome, note, userId: current.userId, grantsEnded: ended } };
  });
}

export const breakGlassReviews = (ctx: RequestContext, status: string | null | undefined) => ctx.withTx((tx) => listBreakGlass(tx, { status: status ?? undefined }));

export async function myBreakGlassAccesses(ctx: RequestContext) {
  const viewer = await ctx.requireViewer();
  return ctx.withTx((tx) => listBreakGlass(tx, { userId: viewer.userId }));
}
