import { sql, type SQL } from 'drizzle-orm';
import { classificationRank, isPermission, ROLE_CLEARANCES, type Classification, type Permission } from './permissions';
import type { Assignment, DecisionState, Grant, Scope } from './viewer';

/**
 * SQL columns that load a user's decision state as of `at`: role assignments (with scope) live at
 * that moment, team ids, and grants live at that moment (to the user, their teams or their roles).
 * Used inside the per-request viewer statement and by explainAccess, so both read the same facts.
 * `userId` and `at` are SQL expressions; the outer query supplies `u` (users).
 */
export function decisionStateColumns(at: SQL): SQL {
  return sql`
    coalesce((select json_agg(json_build_object(
        'id', ra.id, 'roleId', r.id, 'roleKey', r.key, 'permissions', r.permissions, 'clearance', r.clearance,
        'scopeType', ra.scope_type, 'scopeId', ra.scope_id))
      from role_assignments ra join roles r on r.tenant_id = ra.tenant_id and r.id = ra.role_id
      where ra.tenant_id = u.tenant_id and ra.user_id = u.id
        and ra.created_at <= ${at} and (ra.revoked_at is null or ra.revoked_at > ${at})), '[]'::json) as assignments,
    coalesce((select array_agg(tm.team_id) from team_members tm
      where tm.tenant_id = u.tenant_id and tm.user_id = u.id), '{}')::text[] as team_ids,
    coalesce((select json_agg(json_build_object(
        'id', g.id, 'resourceType', g.resource_type, 'resourceId', g.resource_id, 'permission', g.permission,
        'expiresAt', g.expires_at, 'via', case when g.user_id is not null then 'USER' when g.team_id is not null then 'TEAM' else 'ROLE' end))
      from access_grants g
      where g.tenant_id = u.tenant_id and g.created_at <= ${at} and g.expires_at > ${at}
        and (g.revoked_at is null or g.revoked_at > ${at})
        and (g.user_id = u.id
          or g.team_id in (select tm.team_id from team_members tm where tm.tenant_id = u.tenant_id and tm.user_id = u.id)
          or g.role_id in (select ra.role_id from role_assignments ra where ra.tenant_id = u.tenant_id and ra.user_id = u.id
                            and ra.created_at <= ${at} and (ra.revoked_at is null or ra.revoked_at > ${at})))), '[]'::json) as grants`;
}

export type DecisionStateRow = {
  assignments: { id: string; roleId: string; roleKey: string; permissions: string[]; clearance: string; scopeType: string; scopeId: string | null }[] | string;
  team_ids: string[];
  grants: { id: string; resourceType: string; resourceId: string; permission: string; expiresAt: string; via: Grant['via'] }[] | string;
};

const parseJson = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

function toScope(type: string, id: string | null): Scope | null {
  if (type === 'TENANT') return { type };
  if (type === 'OWN') return { type };
  if ((type === 'TEAM' || type === 'SPACE') && id) return { type, id };
  return null; // an unknown scope grants nothing (fail closed)
}

/** Build the decision state from the loaded row (pure). Unknown permissions, scopes and clearances count for nothing. */
export function toDecisionState(tenantId: string, userId: string, row: DecisionStateRow, at: Date): DecisionState {
  const assignments: Assignment[] = [];
  for (const a of parseJson(row.assignments)) {
    const scope = toScope(a.scopeType, a.scopeId);
    if (!scope) continue;
    assignments.push({
      id: a.id,
      roleId: a.roleId,
      roleKey: a.roleKey,
      permissions: new Set(a.permissions.filter(isPermission)),
      clearance: ROLE_CLEARANCES.includes(a.clearance as Classification) ? (a.clearance as Classification) : 'PUBLIC',
      scope,
    });
  }
  const grants: Grant[] = parseJson(row.grants)
    .filter((g) => isPermission(g.permission))
    .map((g) => ({ ...g, permission: g.permission as Permission, resourceId: g.resourceId.toLowerCase(), expiresAt: new Date(g.expiresAt) }))
    .filter((g) => g.expiresAt.getTime() > at.getTime());
  const permissions = new Set<Permission>(assignments.flatMap((a) => [...a.permissions]));
  const clearance = assignments
    .filter((a) => a.scope.type === 'TENANT')
    .reduce<Classification>((best, a) => (classificationRank(a.clearance) > classificationRank(best) ? a.clearance : best), 'PUBLIC');
  return { tenantId, userId, assignments, grants, teamIds: row.team_ids, at, permissions, clearance };
}
