import { toDecisionState } from '../../authz/decision-state';
import type { Permission } from '../../authz/permissions';
import { explain, type Decision } from '../../authz/policy';
import type { DecisionState } from '../../authz/viewer';
import { notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import type { RequestContext } from '../../server/context';
import { loadAllDecisionStateRows, loadDecisionStateRow } from '../identity/identity.repo';
import { loadResource } from './resource.repo';
import { rolesByIds } from './role.repo';

export type Explanation = Decision & { at: Date };
export type Holder = { userId: string; explanation: Explanation };

/**
 * explainAccess: the same `explain` the requests use, on the user's decision state at `at`, read from
 * assignment and grant history. Team membership and a role's permission set are taken as they are now.
 */
export async function explainAccess(ctx: RequestContext, args: { userId: string; resourceId: string; permission: Permission; at?: Date | null }): Promise<Explanation> {
  const viewer = await ctx.requireViewer();
  const userId = idOf(args.userId, 'User');
  const at = args.at ?? new Date();
  return ctx.withTx(async (tx) => {
    const resource = await loadResource(tx, args.resourceId);
    const row = await loadDecisionStateRow(tx, userId, at);
    if (!row) throw notFound('User not found');
    return { ...explain(toDecisionState(viewer.tenantId, userId, row, at), args.permission, resource), at };
  });
}

export async function whoCanAccess(ctx: RequestContext, args: { resourceId: string; permission: Permission }): Promise<Holder[]> {
  const viewer = await ctx.requireViewer();
  const at = new Date();
  return ctx.withTx(async (tx) => {
    const resource = await loadResource(tx, args.resourceId);
    const rows = await loadAllDecisionStateRows(tx);
    return rows
      .map((row) => ({ userId: row.user_id, explanation: { ...explain(toDecisionState(viewer.tenantId, row.user_id, row, at), args.permission, resource), at } }))
      .filter((h) => h.explanation.allowed);
  });
}

/** What-if: the user's current state with some roles removed and others added tenant-wide. */
export async function simulateAccess(
  ctx: RequestContext,
  args: { userId: string; resourceId: string; permission: Permission; change: { removeRoleIds?: string[] | null; addRoleIds?: string[] | null } },
): Promise<Explanation> {
  const viewer = await ctx.requireViewer();
  const userId = idOf(args.userId, 'User');
  const remove = new Set((args.change.removeRoleIds ?? []).map((id) => idOf(id, 'Role')));
  const addIds = (args.change.addRoleIds ?? []).map((id) => idOf(id, 'Role'));
  const at = new Date();
  return ctx.withTx(async (tx) => {
    const resource = await loadResource(tx, args.resourceId);
    const row = await loadDecisionStateRow(tx, userId, at);
    if (!row) throw notFound('User not found');
    const added = await rolesByIds(tx, addIds);
    if (added.length !== new Set(addIds).size) throw notFound('Role not found');
    const current = toDecisionState(viewer.tenantId, userId, row, at);
    const simulatedRow = {
      ...row,
      assignments: [
        ...current.assignments.filter((a) => !remove.has(a.roleId)).map((a) => ({ ...a, permissions: [...a.permissions], scopeType: a.scope.type, scopeId: 'id' in a.scope ? a.scope.id : null })),
        ...added.map((r) => ({ id: `simulated-${r.id}`, roleId: r.id, roleKey: r.key, permissions: r.permissions, clearance: r.clearance, scopeType: 'TENANT', scopeId: null })),
      ],
    };
    const simulated: DecisionState = toDecisionState(viewer.tenantId, userId, simulatedRow, at);
    return { ...explain(simulated, args.permission, resource), at };
  });
}
