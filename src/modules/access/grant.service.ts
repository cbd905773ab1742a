import type { Permission } from '../../authz/permissions';
import { can, type Resource } from '../../authz/policy';
import { mfaFresh, stepUpApplies, stepUpError, type StepUp } from '../../authz/step-up';
import { resourceTypeOfPermission, type ResourceType } from '../../authz/resources';
import type { Viewer } from '../../authz/viewer';
import type { Tx } from '../../db/client';
import { badInput, forbidden, mfaRequired, notFound } from '../../lib/errors';
import { idOf, parseGlobalId } from '../../lib/global-id';
import { parsePage, toConnection } from '../../lib/pagination';
import { text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { grantById, insertGrant, listGrants, maxGrantDays, revokeGrantRow, type GrantRow } from './grant.repo';
import { loadResource } from './resource.repo';

export type Grantee = { userId?: string; teamId?: string; roleId?: string };

/**
 * Where a grant's authority comes from: ROLE, the granter holds the permission through a role (no
 * escalation, no re-delegation of grants); BREAK_GLASS, the granter holds BREAK_GLASS through a role and
 * grants themselves emergency access without an approver (audited, alerted, reviewed afterwards).
 */
export type GrantAuthority = 'ROLE' | 'BREAK_GLASS';

/**
 * The rules every grant obeys, whether given directly or by approving a request: the permission is
 * about this kind of resource, the granter has the authority, the resource is in the tenant, and the
 * grant ends in the future within the tenant's maximum.
 */
export async function checkGrantable(tx: Tx, granter: Viewer, permission: Permission, resourceId: string, expiresAt: Date, authority: GrantAuthority = 'ROLE') {
  const resource = await loadResource(tx, resourceId);
  // A record the granter cannot see is NOT_FOUND before anything else is said about it.
  if (authority === 'ROLE' && !can(granter, SEEN_WITH[resource.type], resource)) throw notFound(`${resource.type} not found`);
  if (resourceTypeOfPermission(permission) !== resource.type) {
    throw badInput(`${permission} cannot be granted on a ${resource.type}`, { argument: 'permission' });
  }
  if (authority === 'BREAK_GLASS') {
    if (!granter.permissions.has('BREAK_GLASS')) throw forbidden('Break-glass access needs the BREAK_GLASS permission through a role');
  } else checkWithinSight(granter, permission, resource);
  const now = Date.now();
  if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= now) throw badInput('expiresAt must be in the future', { argument: 'expiresAt' });
  const days = await maxGrantDays(tx, granter.tenantId);
  if (expiresAt.getTime() > now + days * 86_400_000) throw badInput(`expiresAt may be at most ${days} days ahead`, { argument: 'expiresAt', maxDays: days });
  return resource;
}

/** The permission that shows a record of each type: a granter who lacks it on the record does not see it. */
const SEEN_WITH: Record<ResourceType, Permission> = { Article: 'ARTICLE_READ', Customer: 'CUSTOMER_READ', Ticket: 'TICKET_READ', Feedback: 'FEEDBACK_READ' };

/**
 * No delegation beyond one's own sight: the granter holds the permission through a role (no
 * re-delegation of what only grants give) and could use it on this very record, decided by the policy
 * call that decides their own access (scope, clearance, workflow status; a live grant of their own on
 * the record counts, such as break-glass). A record they cannot see was refused as NOT_FOUND already.
 */
function checkWithinSight(granter: Viewer, permission: Permission, resource: Resource & { type: ResourceType }) {
  if (!granter.permissions.has(permission)) throw forbidden(`You cannot grant ${permission}: you do not hold it through a role`);
  if (!can(granter, permission, resource)) {
    throw forbidden(`You cannot grant ${permission} on this ${resource.type}: you could not use it yourself (your roles' scope or clearance do not cover it); use break-glass in an emergency`);
  }
  // Nor what the granter could read only after a step-up: an article's content at its @mfa tier.
  if (resource.type === 'Article' && stepUpApplies(ARTICLE_CONTENT_STEP_UP, resource) && !mfaFresh(granter)) {
    const { extensions } = stepUpError(granter, 'step-up');
    throw mfaRequired(`Granting on a ${resource.classification} article needs a recent second factor, as reading it does (see extensions.stepUp)`, extensions);
  }
}

/** The step-up of an article's content (the schema's @mfa on Article.body and internalNotes; a unit test holds them equal). */
export const ARTICLE_CONTENT_STEP_UP: StepUp = { minClassification: 'CONFIDENTIAL' };

async function resolveGrantee(ctx: RequestContext, input: { userId?: string | null; teamId?: string | null; roleId?: string | null }): Promise<Grantee> {
  const given = [input.userId, input.teamId, input.roleId].filter((v) => v != null);
  if (given.length !== 1) throw badInput('Give exactly one of userId, teamId, roleId', { argument: 'userId' });
  if (input.userId) {
    const id = idOf(input.userId, 'User');
    if (!(await ctx.loaders.user.load(id))) throw notFound('User not found');
    return { userId: id };
  }
  if (input.teamId) {
    const id = idOf(input.teamId, 'Team');
    if (!(await ctx.loaders.team.load(id))) throw notFound('Team not found');
    return { teamId: id };
  }
  const id = idOf(input.roleId!, 'Role');
  if (!(await ctx.loaders.role.load(id))) throw notFound('Role not found');
  return { roleId: id };
}

export async function createGrant(
  tx: Tx,
  granter: Viewer,
  g: { grantee: Grantee; permission: Permission; resourceId: string; expiresAt: Date; reason: string; requestId?: string },
  authority: GrantAuthority = 'ROLE',
): Promise<GrantRow> {
  const resource = await checkGrantable(tx, granter, g.permission, g.resourceId, g.expiresAt, authority);
  return insertGrant(tx, {
    tenantId: granter.tenantId,
    ...g.grantee,
    resourceType: resource.type,
    resourceId: resource.id,
    permission: g.permission,
    reason: g.reason,
    grantedBy: granter.userId,
    requestId: g.requestId,
    expiresAt: g.expiresAt,
  });
}

export async function grantAccess(
  ctx: RequestContext,
  input: { userId?: string | null; teamId?: string | null; roleId?: string | null; resourceId: string; permission: Permission; expiresAt: Date; reason: string },
): Promise<GrantRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'grant.create', resourceType: 'AccessGrant' }, async (tx) => {
    const reason = text(input.reason, 'reason', { max: 500 });
    const grantee = await resolveGrantee(ctx, input);
    const row = await createGrant(tx, viewer, { grantee, permission: input.permission, resourceId: input.resourceId, expiresAt: input.expiresAt, reason });
    return {
      result: row,
      resourceIds: [row.id, row.resourceId],
      detail: { permission: row.permission, resourceType: row.resourceType, grantee, expiresAt: row.expiresAt.toISOString(), reason },
    };
  });
}

export async function revokeGrant(ctx: RequestContext, grantId: string, reasonInput: string): Promise<GrantRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'grant.revoke', resourceType: 'AccessGrant' }, async (tx) => {
    const id = idOf(grantId, 'AccessGrant');
    const reason = text(reasonInput, 'reason', { max: 500 });
    const current = await grantById(tx, id);
    if (!current) throw notFound('Grant not found');
    if (current.revokedAt) throw badInput('The grant is already revoked', { argument: 'id' });
    const row = (await revokeGrantRow(tx, id, viewer.userId, reason))!;
    return { result: row, resourceIds: [id, row.resourceId], detail: { reason, permission: row.permission } };
  });
}

export async function grantPage(ctx: RequestContext, args: { userId?: string | null; resourceId?: string | null; activeOnly?: boolean | null; first?: number | null; after?: string | null }) {
  const page = parsePage(args);
  const rows = await ctx.withTx((tx) =>
    listGrants(tx, page, {
      userId: args.userId ? idOf(args.userId, 'User') : undefined,
      resourceId: args.resourceId ? parseGlobalId(args.resourceId).id : undefined,
      activeOnly: args.activeOnly ?? true,
    }),
  );
  return toConnection(rows.map((r) => ({ ...r.grant, cursorAt: r.cursorAt })), page);
}
