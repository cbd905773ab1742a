import { ROLE_CLEARANCES, type Classification, type Permission } from '../../authz/permissions';
import { can, type Resource } from '../../authz/policy';
import { resourceTypeOfPermission } from '../../authz/resources';
import { SCOPE_TYPES, type Scope, type ScopeType, type Viewer } from '../../authz/viewer';
import { badInput, forbidden, notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import { text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { assignmentsOfUser, countAssignments, deleteRoleRow, insertAssignment, insertRole, listRoles, revokeAssignmentRow, roleById, updateRoleRow } from './role.repo';

const KEY = /^[a-z][a-z0-9_]{1,49}$/;

function checkClearance(clearance: string): Classification {
  if (!ROLE_CLEARANCES.includes(clearance as Classification)) {
    throw badInput('A role clears at most CONFIDENTIAL; RESTRICTED is reached only through a grant', { argument: 'clearance' });
  }
  return clearance as Classification;
}

/** A role may only carry permissions its creator holds: roles are no way around escalation checks. */
function checkPermissions(ctxPermissions: ReadonlySet<Permission>, permissions: Permission[]): Permission[] {
  const beyond = permissions.filter((p) => !ctxPermissions.has(p));
  if (beyond.length) throw forbidden(`You cannot give permissions you do not hold: ${beyond.join(', ')}`);
  return [...new Set(permissions)].sort();
}

/**
 * No delegation beyond one's own sight: an assignment of a role in a scope may give only what the
 * assigner could use there themselves. For each permission about records, the policy's own call decides
 * it for the assigner on the record the scope is defined by (a team's, a space's, the assignee's own
 * records, or any record for TENANT) at the role's clearance; roles only (a grant covers one record,
 * never a scope). Viewer-only permissions (no records) need only be held.
 */
export function checkAssignable(assigner: Viewer, role: { key: string; permissions: string[]; clearance: string }, scope: Scope, assigneeId: string) {
  checkPermissions(assigner.permissions, role.permissions as Permission[]);
  const own = { ...assigner, grants: [] };
  const beyond = (role.permissions as Permission[]).filter((p) => {
    const type = resourceTypeOfPermission(p);
    if (!type) return false;
    const covered: Resource = {
      type,
      id: '',
      ...(type === 'Article' && { classification: role.clearance }),
      ...(scope.type === 'TEAM' && { teamId: scope.id }),
      ...(scope.type === 'SPACE' && { spaceId: scope.id }),
      ...(scope.type === 'OWN' && { ownerId: assigneeId }),
    };
    return !can(own, p, covered);
  });
  if (beyond.length) {
    throw forbidden(
      `You cannot assign ${role.key} in scope ${scope.type}: it would give ${beyond.join(', ')} beyond what your own roles' scope or clearance (${role.clearance} needed) let you use`,
    );
  }
}

export const roles = (ctx: RequestContext) => ctx.withTx(listRoles);

export async function createRole(ctx: RequestContext, input: { key: string; name: string; permissions: Permission[]; clearance?: string | null }) {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'role.create', resourceType: 'Role' }, async (tx) => {
    if (!KEY.test(input.key)) throw badInput('key must be 2-50 characters: lower-case letters, digits and _', { argument: 'key' });
    const row = await insertRole(tx, {
      tenantId: viewer.tenantId,
      key: input.key,
      name: text(input.name, 'name', { max: 100 }),
      permissions: checkPermissions(viewer.permissions, input.permissions),
      clearance: checkClearance(input.clearance ?? 'PUBLIC'),
    }).catch((err: unknown) => {
      if (/roles_tenant_key_key/.test(String((err as { cause?: unknown }).cause ?? err))) throw badInput(`A role with key ${input.key} exists`, { argument: 'key' });
      throw err;
    });
    return { result: row, resourceIds: [row.id], detail: { key: row.key, permissions: row.permissions, clearance: row.clearance } };
  });
}

export async function updateRole(ctx: RequestContext, input: { id: string; name?: string | null; permissions?: Permission[] | null; clearance?: string | null }) {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'role.update', resourceType: 'Role' }, async (tx) => {
    const id = idOf(input.id, 'Role');
    const current = await roleById(tx, id);
    if (!current) throw notFound('Role not found');
    if (current.builtIn) throw badInput('Built-in roles cannot be changed; create a custom role instead', { argument: 'id' });
    const patch = {
      ...(input.name != null && { name: text(input.name, 'name', { max: 100 }) }),
      ...(input.permissions != null && { permissions: checkPermissions(viewer.permissions, input.permissions) }),
      ...(input.clearance != null && { clearance: checkClearance(input.clearance) }),
    };
    const row = await updateRoleRow(tx, id, patch);
    return { result: row, resourceIds: [id], detail: { before: { permissions: current.permissions, clearance: current.clearance }, after: { permissions: row.permissions, clearance: row.clearance } } };
  });
}

export async function deleteRole(ctx: RequestContext, roleId: string): Promise<boolean> {
  return auditedMutation(ctx, { action: 'role.delete', resourceType: 'Role' }, async (tx) => {
    const id = idOf(roleId, 'Role');
    const current = await roleById(tx, id);
    if (!current) throw notFound('Role not found');
    if (current.builtIn) throw badInput('Built-in roles cannot be deleted', { argument: 'id' });
    if ((await countAssignments(tx, id)) > 0) throw badInput('The role has assignments (kept as history); remove its permissions instead', { argument: 'id' });
    await deleteRoleRow(tx, id);
    return { result: true, resourceIds: [id], detail: { key: current.key } };
  });
}

function toScope(input: { type: string; id?: string | null }): Scope {
  if (!SCOPE_TYPES.includes(input.type as ScopeType)) throw badInput('Unknown scope type', { argument: 'scope' });
  if (input.type === 'TENANT' || input.type === 'OWN') {
    if (input.id) throw badInput(`A ${input.type} scope takes no id`, { argument: 'scope.id' });
    return { type: input.type };
  }
  if (!input.id) throw badInput(`A ${input.type} scope needs an id`, { argument: 'scope.id' });
  return { type: input.type as 'TEAM' | 'SPACE', id: idOf(input.id, input.type === 'TEAM' ? 'Team' : 'Space') };
}

export async function assignRole(ctx: RequestContext, input: { userId: string; roleId: string; scope: { type: string; id?: string | null } }) {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'role.assign', resourceType: 'RoleAssignment' }, async (tx) => {
    const userId = idOf(input.userId, 'User');
    const roleId = idOf(input.roleId, 'Role');
    const scope = toScope(input.scope);
    if (!(await ctx.loaders.user.load(userId))) throw notFound('User not found');
    const role = await roleById(tx, roleId);
    if (!role) throw notFound('Role not found');
    if (scope.type === 'TEAM' && !(await ctx.loaders.team.load(scope.id))) throw notFound('Team not found');
    checkAssignable(viewer, role, scope, userId);
    const row = await insertAssignment(tx, { tenantId: viewer.tenantId, userId, roleId, scopeType: scope.type, scopeId: 'id' in scope ? scope.id : null, createdBy: viewer.userId });
    return { result: row, resourceIds: [row.id, userId, roleId], detail: { role: role.key, scope } };
  });
}

export async function unassignRole(ctx: RequestContext, assignmentId: string) {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'role.unassign', resourceType: 'RoleAssignment' }, async (tx) => {
    const id = idOf(assignmentId, 'RoleAssignment');
    const row = await revokeAssignmentRow(tx, id, viewer.userId);
    if (!row) throw notFound('No active assignment with that id');
    return { result: row, resourceIds: [id, row.userId, row.roleId] };
  });
}

export async function roleAssignments(ctx: RequestContext, userGlobalId: string, includeRevoked: boolean) {
  const userId = idOf(userGlobalId, 'User');
  return ctx.withTx((tx) => assignmentsOfUser(tx, userId, includeRevoked));
}
