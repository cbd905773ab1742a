import type { LockdownState } from './lockdown';
import type { Classification, Permission } from './permissions';

/** The session's second-factor state, loaded with the viewer (same statement). */
export type ViewerMfa = {
  /** When this session last passed a second factor. */
  at: Date | null;
  enrolled: boolean;
  /** The tenant's policy requires a second factor for one of the viewer's roles. */
  required: boolean;
  /** Step-up age for @mfa fields, seconds. */
  maxAgeSeconds: number;
};

/** Where a role assignment applies. */
export type Scope =
  | { type: 'TENANT' }
  | { type: 'TEAM'; id: string }
  | { type: 'SPACE'; id: string }
  | { type: 'OWN' };

export const SCOPE_TYPES = ['TENANT', 'TEAM', 'SPACE', 'OWN'] as const;
export type ScopeType = (typeof SCOPE_TYPES)[number];

/** One role held in one scope: its permissions and the highest classification it clears there. */
export type Assignment = {
  id: string;
  roleId: string;
  roleKey: string;
  permissions: ReadonlySet<Permission>;
  clearance: Classification;
  scope: Scope;
};

/** A live time-bound grant of one permission on one resource. */
export type Grant = {
  id: string;
  resourceType: string;
  resourceId: string;
  permission: Permission;
  expiresAt: Date;
  via: 'USER' | 'TEAM' | 'ROLE';
};

/**
 * Everything a decision about one user needs, loaded once (per request, or for explainAccess at a
 * moment). Decisions are pure functions of this and of the resource's own fields.
 */
export type DecisionState = {
  tenantId: string;
  userId: string;
  assignments: readonly Assignment[];
  grants: readonly Grant[];
  teamIds: readonly string[];
  /** The moment decisions are made for: grants that expired before it do not count. */
  at: Date;
  /** Union of role permissions in any scope (viewer-only gates: "may this user list customers at all?"). */
  permissions: ReadonlySet<Permission>;
  /** Highest clearance among tenant-wide assignments (what `me` shows). */
  clearance: Classification;
};

/** Who is asking: the decision state of the signed-in user, with their session. */
export type Viewer = DecisionState & {
  sessionId: string;
  email: string;
  roleKeys: readonly string[];
  /** Absent for viewers built outside a request (tests, jobs): treated as never having passed MFA. */
  mfa?: ViewerMfa;
  /** The tenant's active lockdown, read in the same viewer statement; null when none. */
  lockdown?: LockdownState | null;
};
