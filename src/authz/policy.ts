import { and, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { classificationRank, classificationsUpTo, type Classification, type Permission } from './permissions';
import type { Assignment, DecisionState, Grant, Scope } from './viewer';

/**
 * One policy, three uses (docs/architecture.md, guarantee 3):
 *  - `explain` / `can` decide for one user, one permission, one resource (shield rules, services, masks);
 *  - `predicate` compiles the same decision into SQL for lists, searches, counts and lookups;
 *  - `explain` returns the chain that decided, for explainAccess and whoCanAccess.
 * Everything here is a pure function of a DecisionState and the resource's own fields: no SQL runs here.
 *
 * The rule: a user holds `permission` on a resource if
 *  (a) one of their role assignments includes it, the assignment's scope covers the resource, and (for
 *      classified resources) the assignment's clearance covers the classification (RESTRICTED never); or
 *  (b) a live time-bound grant gives exactly that permission on exactly that resource.
 */

/** What the policy needs to know about a row. */
export type Resource = {
  type: string;
  id: string;
  classification?: string | null;
  ownerId?: string | null;
  teamId?: string | null;
  spaceId?: string | null;
  /** Workflow status, for articles: only PUBLISHED ones are seen by mere readers. */
  status?: string | null;
};

/** The columns that hold those fields, to compile the same rule into SQL. */
export type ResourceColumns = {
  type: string;
  tenantId: PgColumn;
  id: PgColumn;
  classification?: PgColumn;
  ownerId?: PgColumn;
  teamId?: PgColumn;
  spaceId?: PgColumn;
  /** A column, or a constant (a version is decided as a draft). */
  status?: PgColumn | SQL;
};

export type Step =
  | { kind: 'ROLE'; roleKey: string; scope: Scope; allowed: true }
  | { kind: 'SCOPE'; roleKey: string; scope: Scope; allowed: false }
  | { kind: 'CLASSIFICATION'; roleKey: string; clearance: Classification; classification: string; allowed: boolean }
  | { kind: 'STATUS'; status: string; allowed: false }
  | { kind: 'GRANT'; grantId: string; via: Grant['via']; expiresAt: Date; allowed: true }
  | { kind: 'NO_ROLE'; allowed: false };

export type Decision = { allowed: boolean; chain: Step[] };

function scopeCovers(state: DecisionState, scope: Scope, r: Resource): boolean {
  switch (scope.type) {
    case 'TENANT':
      return true;
    case 'OWN':
      return !!r.ownerId && r.ownerId === state.userId;
    case 'TEAM':
      return !!r.teamId && r.teamId === scope.id;
    case 'SPACE':
      return !!r.spaceId && r.spaceId === scope.id;
  }
}

const clearanceCovers = (clearance: Classification, classification: string) =>
  classification !== 'RESTRICTED' && classificationRank(classification) >= 0 && classificationRank(classification) <= classificationRank(clearance);

/**
 * The workflow rule, the one place where one permission needs another on the same record: an article
 * that is not PUBLISHED (a draft, in review, archived) is read by those who also write or publish it.
 * Each permission is decided on its own (any assignment or grant may give it), so permissions add up:
 * ARTICLE_READ from one role and ARTICLE_WRITE from another, or ARTICLE_WRITE through a grant, show the
 * draft; a read grant alone on a draft does not.
 */
export const EDITOR_PERMISSIONS: readonly Permission[] = ['ARTICLE_WRITE', 'ARTICLE_PUBLISH'];
const needsEditor = (permission: Permission, r: { type: string; status?: string | null }) =>
  permission === 'ARTICLE_READ' && r.type === 'Article' && r.status != null && r.status !== 'PUBLISHED';

const liveGrants = (state: DecisionState, permission: Permission) => state.grants.filter((g) => g.permission === permission && g.expiresAt.getTime() > state.at.getTime());

/**
 * A viewer's grants by permission and resource, built once per grants list: a decision on one row
 * looks its grant up instead of scanning them all, so it costs the same with 1 grant or 500 (S5).
 */
const grantIndexes = new WeakMap<readonly Grant[], Map<string, Grant[]>>();
const grantKey = (permission: string, type: string, id: string) => `${permission}\u0000${type}\u0000${id}`;
function liveGrantOn(state: DecisionState, permission: Permission, r: Resource): Grant | undefined {
  let index = grantIndexes.get(state.grants);
  if (!index) {
    index = new Map();
    for (const g of state.grants) {
      const key = grantKey(g.permission, g.resourceType, g.resourceId);
      const same = index.get(key);
      if (same) same.push(g);
      else index.set(key, [g]);
    }
    grantIndexes.set(state.grants, index);
  }
  return index.get(grantKey(permission, r.type, r.id))?.find((g) => g.expiresAt.getTime() > state.at.getTime());
}

/** One permission on one resource: a role assignment (scope, clearance) or a live grant. */
function explainOne(state: DecisionState, permission: Permission, r: Resource): Decision {
  const chain: Step[] = [];
  for (const a of state.assignments) {
    if (!a.permissions.has(permission)) continue;
    if (!scopeCovers(state, a.scope, r)) {
      chain.push({ kind: 'SCOPE', roleKey: a.roleKey, scope: a.scope, allowed: false });
      continue;
    }
    if (r.classification != null) {
      const ok = clearanceCovers(a.clearance, r.classification);
      chain.push({ kind: 'CLASSIFICATION', roleKey: a.roleKey, clearance: a.clearance, classification: r.classification, allowed: ok });
      if (!ok) continue;
    }
    return { allowed: true, chain: [{ kind: 'ROLE', roleKey: a.roleKey, scope: a.scope, allowed: true }, ...chain.filter((s) => s.allowed)] };
  }
  const grant = liveGrantOn(state, permission, r);
  if (grant) return { allowed: true, chain: [{ kind: 'GRANT', grantId: grant.id, via: grant.via, expiresAt: grant.expiresAt, allowed: true }] };
  return { allowed: false, chain: chain.length ? chain : [{ kind: 'NO_ROLE', allowed: false }] };
}

export function explain(state: DecisionState, permission: Permission, r: Resource): Decision {
  const decision = explainOne(state, permission, r);
  if (!decision.allowed || !needsEditor(permission, r)) return decision;
  for (const editor of EDITOR_PERMISSIONS) {
    const e = explainOne(state, editor, r);
    if (e.allowed) return { allowed: true, chain: [...decision.chain, ...e.chain] };
  }
  return { allowed: false, chain: [...decision.chain, { kind: 'STATUS', status: r.status!, allowed: false }] };
}

export const can = (state: DecisionState, permission: Permission, r: Resource): boolean => explain(state, permission, r).allowed;

/** Viewer-only gate: does the user hold `permission` anywhere (a role in any scope, or a live grant)? */
export const holds = (state: DecisionState, permission: Permission): boolean =>
  state.permissions.has(permission) || liveGrants(state, permission).length > 0;

function scopeSql(state: DecisionState, scope: Scope, cols: ResourceColumns): SQL | undefined {
  switch (scope.type) {
    case 'TENANT':
      return sql`true`;
    case 'OWN':
      return cols.ownerId ? eq(cols.ownerId, state.userId) : undefined;
    case 'TEAM':
      return cols.teamId ? eq(cols.teamId, scope.id) : undefined;
    case 'SPACE':
      return cols.spaceId ? eq(cols.spaceId, scope.id) : undefined;
  }
}

/** Per grants list: the array literal of the resources of one type a permission is granted on, built once. */
const grantedLiterals = new WeakMap<readonly Grant[], Map<string, string | null>>();

/**
 * The ids of `type` resources on which `permission` is live-granted, as one array parameter however
 * many grants (ids are uuids from our own rows, so the literal is safe); null for none. Memoised per
 * grants list and moment, so a request's statements do not rebuild it from 500 grants each time.
 */
function grantedIdsLiteral(state: DecisionState, permission: Permission, type: string): string | null {
  let byKey = grantedLiterals.get(state.grants);
  if (!byKey) grantedLiterals.set(state.grants, (byKey = new Map()));
  const key = `${permission}\u0000${type}\u0000${state.at.getTime()}`;
  let literal = byKey.get(key);
  if (literal === undefined) {
    const ids = new Set(liveGrants(state, permission).filter((g) => g.resourceType === type).map((g) => g.resourceId));
    literal = ids.size ? `{${[...ids].join(',')}}` : null;
    byKey.set(key, literal);
  }
  return literal;
}

const scopeKey = (s: Scope) => ('id' in s ? `${s.type}:${s.id}` : s.type);

/** The rows of `cols.type` on which one permission is held (explainOne in SQL), without the tenant condition. */
function predicateOne(state: DecisionState, permission: Permission, cols: ResourceColumns): SQL | undefined {
  // Per scope, the highest clearance an assignment gives there: one term per scope.
  const best = new Map<string, Assignment>();
  for (const a of state.assignments) {
    if (!a.permissions.has(permission)) continue;
    const key = scopeKey(a.scope);
    const prev = best.get(key);
    if (!prev || classificationRank(a.clearance) > classificationRank(prev.clearance)) best.set(key, a);
  }
  const terms: SQL[] = [];
  for (const a of best.values()) {
    const where = scopeSql(state, a.scope, cols);
    if (!where) continue;
    const cleared = classificationsUpTo(a.clearance).filter((c) => c !== 'RESTRICTED');
    terms.push(cols.classification ? and(where, inArray(cols.classification, cleared))! : where);
  }
  const granted = grantedIdsLiteral(state, permission, cols.type);
  if (granted) terms.push(sql`${cols.id} = any(${granted}::uuid[])`);
  if (terms.length === 0) return undefined;
  return terms.length === 1 ? terms[0] : or(...terms);
}

/**
 * The rows of `cols.type` on which the user holds `permission`, as one SQL condition: the same rule as
 * `can` (the workflow rule included), so that a list, a count and a lookup never contain a row `can`
 * refuses, nor miss one it allows.
 */
export function predicate(state: DecisionState, permission: Permission, cols: ResourceColumns): SQL {
  let held = predicateOne(state, permission, cols);
  if (held && permission === 'ARTICLE_READ' && cols.type === 'Article' && cols.status) {
    const editors = EDITOR_PERMISSIONS.map((p) => predicateOne(state, p, cols)).filter((t): t is SQL => t !== undefined);
    const published = sql`${cols.status} = 'PUBLISHED'`;
    held = and(held, editors.length ? or(published, ...editors) : published);
  }
  if (!held) return sql`false`;
  return and(eq(cols.tenantId, state.tenantId), held)!;
}

/** How a user may see a field marked @sensitive at a level, on one row. */
export type FieldMode = 'FULL' | 'MASKED' | 'HIDDEN';

export const SENSITIVE_LEVELS = {
  /** Customer personal data: full for PII_READ_FULL, masked for PII_READ_MASKED. */
  PII: { full: 'PII_READ_FULL', masked: 'PII_READ_MASKED' },
  /** Internal notes on articles: all or nothing. */
  INTERNAL: { full: 'ARTICLE_INTERNAL_NOTES_READ', masked: undefined },
} as const satisfies Record<string, { full: Permission; masked: Permission | undefined }>;

export type SensitiveLevel = keyof typeof SENSITIVE_LEVELS;

/** Viewer-only: could this user see the field on some row (shield gate, once per operation)? */
export function fieldModeAnywhere(state: DecisionState, level: SensitiveLevel, maskable: boolean): FieldMode {
  const { full, masked } = SENSITIVE_LEVELS[level];
  if (holds(state, full)) return 'FULL';
  if (maskable && masked && holds(state, masked)) return 'MASKED';
  return 'HIDDEN';
}

/** On this row: a cheap pure function of data already loaded, no SQL. */
export function fieldMode(state: DecisionState, level: SensitiveLevel, maskable: boolean, r: Resource): FieldMode {
  const { full, masked } = SENSITIVE_LEVELS[level];
  if (can(state, full, r)) return 'FULL';
  if (maskable && masked && can(state, masked, r)) return 'MASKED';
  return 'HIDDEN';
}
