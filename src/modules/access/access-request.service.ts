import type { Permission } from '../../authz/permissions';
import { resourceTypeOfPermission } from '../../authz/resources';
import { badInput, forbidden, notFound } from '../../lib/errors';
import { idOf, toGlobalId } from '../../lib/global-id';
import { optionalText, text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { decideRequest, insertRequest, listRequests, requestForDecision, type AccessRequestRow } from './access-request.repo';
import { createGrant } from './grant.service';
import { maxGrantDays } from './grant.repo';
import { loadResource } from './resource.repo';

export async function requestAccess(ctx: RequestContext, input: { resourceId: string; permission: Permission; durationMinutes: number; reason: string }) {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'access_request.create', resourceType: 'AccessRequest' }, async (tx) => {
    const reason = text(input.reason, 'reason', { max: 500 });
    const resource = await loadResource(tx, input.resourceId);
    if (resourceTypeOfPermission(input.permission) !== resource.type) throw badInput(`${input.permission} cannot be requested on a ${resource.type}`, { argument: 'permission' });
    const maxMinutes = (await maxGrantDays(tx, viewer.tenantId)) * 1440;
    if (!Number.isInteger(input.durationMinutes) || input.durationMinutes < 1 || input.durationMinutes > maxMinutes) {
      throw badInput(`durationMinutes must be between 1 and ${maxMinutes}`, { argument: 'durationMinutes' });
    }
    const row = await insertRequest(tx, {
      tenantId: viewer.tenantId,
      requesterId: viewer.userId,
      resourceType: resource.type,
      resourceId: resource.id,
      permission: input.permission,
      durationMinutes: input.durationMinutes,
      reason,
    });
    return { result: row, resourceIds: [row.id, resource.id], detail: { permission: row.permission, durationMinutes: row.durationMinutes, reason } };
  });
}

async function decide(ctx: RequestContext, requestId: string, approve: boolean, noteInput: string | null | undefined): Promise<AccessRequestRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: approve ? 'access_request.approve' : 'access_request.deny', resourceType: 'AccessRequest' }, async (tx) => {
    const id = idOf(requestId, 'AccessRequest');
    const note = approve ? (optionalText(noteInput, 'note', { max: 500 }) ?? null) : text(noteInput ?? '', 'note', { max: 500 });
    const request = await requestForDecision(tx, id);
    if (!request) throw notFound('Access request not found');
    if (request.requesterId === viewer.userId) throw forbidden('Nobody decides their own access request');
    if (request.status !== 'PENDING') throw badInput(`The request is already ${request.status.toLowerCase()}`, { argument: 'id', status: request.status });
    let grantId: string | undefined;
    if (approve) {
      const grant = await createGrant(tx, viewer, {
        grantee: { userId: request.requesterId },
        permission: request.permission as Permission,
        resourceId: toGlobalId(request.resourceType, request.resourceId),
        expiresAt: new Date(Date.now() + request.durationMinutes * 60_000),
        reason: `access request: ${request.reason}`,
        requestId: request.id,
      });
      grantId = grant.id;
    }
    const row = await decideRequest(tx, id, { status: approve ? 'APPROVED' : 'DENIED', decidedBy: viewer.userId, note, grantId });
    return { result: row, resourceIds: [id, request.resourceId], detail: { note, grantId: grantId ?? null } };
  });
}

export const approveAccessRequest = (ctx: RequestContext, id: string, note?: string | null) => decide(ctx, id, true, note);
export const denyAccessRequest = (ctx: RequestContext, id: string, note: string) => decide(ctx, id, false, note);

export async function withdrawAccessRequest(ctx: RequestContext, requestId: string): Promise<AccessRequestRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'access_request.withdraw', resourceType: 'AccessRequest' }, async (tx) => {
    const id = idOf(requestId, 'AccessRequest');
    const request = await requestForDecision(tx, id);
    // Someone else's request is as good as absent.
    if (!request || request.requesterId !== viewer.userId) throw notFound('Access request not found');
    if (request.status !== 'PENDING') throw badInput(`The request is already ${request.status.toLowerCase()}`, { argument: 'id' });
    const row = await decideRequest(tx, id, { status: 'WITHDRAWN', decidedBy: viewer.userId, note: null });
    return { result: row, resourceIds: [id] };
  });
}

export async function accessRequests(ctx: RequestContext, status: string | null | undefined) {
  return ctx.withTx((tx) => listRequests(tx, { status: status ?? undefined }));
}

export async function myAccessRequests(ctx: RequestContext) {
  const viewer = await ctx.requireViewer();
  return ctx.withTx((tx) => listRequests(tx, { requesterId: viewer.userId }));
}
