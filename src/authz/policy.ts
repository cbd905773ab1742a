import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { classificationRank, classificationsUpTo, type Permission } from './permissions';
import type { Viewer } from './viewer';

/**
 * One policy, three uses (ARCHITECTURE.md, guarantee 3): `can` answers for shield rules and resolvers,
 * the `*Predicate` functions compile the same decision into SQL for lists, counts and lookups, and
 * `explain` says why. Pure functions of the viewer and data already loaded: no SQL here.
 */

export const hasPermission = (viewer: Viewer, permission: Permission): boolean => viewer.permissions.has(permission);

export type Resource =
  | { type: 'Article'; classification: string }
  | { type: 'Customer' }
  | { type: 'Ticket' }
  | { type: 'Feedback' };

export type Action = 'read';

export type Decision = { allowed: boolean; reasons: string[] };

export function explain(viewer: Viewer, action: Action, resource: Resource): Decision {
  switch (resource.type) {
    case 'Article': {
      if (!hasPermission(viewer, 'ARTICLE_READ')) return { allowed: false, reasons: ['missing permission ARTICLE_READ'] };
      const cleared = classificationRank(resource.classification) <= classificationRank(viewer.clearance);
      return cleared
        ? { allowed: true, reasons: ['ARTICLE_READ from role', `clearance ${viewer.clearance} covers ${resource.classification}`] }
        : { allowed: false, reasons: [`clearance ${viewer.clearance} does not cover ${resource.classification}`] };
    }
    case 'Customer':
      return explainScope(scopeOf(viewer, 'CUSTOMER_READ'), 'CUSTOMER_READ');
    case 'Ticket':
      return explainScope(scopeOf(viewer, 'TICKET_READ'), 'TICKET_READ');
    case 'Feedback':
      return explainScope(scopeOf(viewer, 'FEEDBACK_READ'), 'FEEDBACK_READ');
  }
  return { allowed: false, reasons: [`no rule for ${action}`] };
}

export const can = (viewer: Viewer, action: Action, resource: Resource): boolean =>
  explain(viewer, action, resource).allowed;

/** Articles the viewer may read, as a SQL predicate (same rule as `can(viewer, 'read', article)`). */
export function articleReadPredicate(viewer: Viewer, columns: { tenantId: PgColumn; classification: PgColumn }): SQL {
  if (!hasPermission(viewer, 'ARTICLE_READ')) return sql`false`;
  return and(eq(columns.tenantId, viewer.tenantId), inArray(columns.classification, classificationsUpTo(viewer.clearance)))!;
}

/**
 * How far a permission reaches for a viewer. Every role grant is tenant-wide today; team and own-record
 * scopes (a later issue) become further cases here, in `scopePredicate` and in `explainScope`, and every
 * CRM list, lookup, count and statistic follows, since they all go through the predicates below.
 */
export type Scope = { kind: 'NONE' } | { kind: 'TENANT' };

export const scopeOf = (viewer: Viewer, permission: Permission): Scope =>
  hasPermission(viewer, permission) ? { kind: 'TENANT' } : { kind: 'NONE' };

/** Columns a scope may test: the tenant now; the owner and team columns once scopes arrive. */
export type ScopedColumns = { tenantId: PgColumn; ownerId?: PgColumn; teamId?: PgColumn };

function scopePredicate(viewer: Viewer, scope: Scope, columns: ScopedColumns): SQL {
  switch (scope.kind) {
    case 'TENANT':
      return eq(columns.tenantId, viewer.tenantId);
    case 'NONE':
      return sql`false`;
  }
}

function explainScope(scope: Scope, permission: Permission): Decision {
  return scope.kind === 'TENANT'
    ? { allowed: true, reasons: [`${permission} from role, tenant-wide`] }
    : { allowed: false, reasons: [`missing permission ${permission}`] };
}

/** Customers the viewer may read, as a SQL predicate. */
export function customerReadPredicate(viewer: Viewer, columns: ScopedColumns): SQL {
  return scopePredicate(viewer, scopeOf(viewer, 'CUSTOMER_READ'), columns);
}

/** Tickets (service records) the viewer may read. */
export function ticketReadPredicate(viewer: Viewer, columns: ScopedColumns): SQL {
  return scopePredicate(viewer, scopeOf(viewer, 'TICKET_READ'), columns);
}

/** Customer feedback the viewer may read. */
export function feedbackReadPredicate(viewer: Viewer, columns: ScopedColumns): SQL {
  return scopePredicate(viewer, scopeOf(viewer, 'FEEDBACK_READ'), columns);
}

/** Feedback that satisfaction statistics may aggregate for this viewer. */
export function statsPredicate(viewer: Viewer, columns: ScopedColumns): SQL {
  return scopePredicate(viewer, scopeOf(viewer, 'STATS_READ'), columns);
}

/** How a viewer may see a field marked @sensitive at a level. */
export type FieldMode = 'FULL' | 'MASKED' | 'HIDDEN';

export const SENSITIVE_LEVELS = {
  /** Customer personal data: full for PII_READ_FULL, masked for PII_READ_MASKED. */
  PII: { full: 'PII_READ_FULL', masked: 'PII_READ_MASKED' },
  /** Internal notes on articles: all or nothing. */
  INTERNAL: { full: 'ARTICLE_INTERNAL_NOTES_READ', masked: undefined },
} as const satisfies Record<string, { full: Permission; masked: Permission | undefined }>;

export type SensitiveLevel = keyof typeof SENSITIVE_LEVELS;

export function fieldMode(viewer: Viewer, level: SensitiveLevel, maskable: boolean): FieldMode {
  const { full, masked } = SENSITIVE_LEVELS[level];
  if (hasPermission(viewer, full)) return 'FULL';
  if (maskable && masked && hasPermission(viewer, masked)) return 'MASKED';
  return 'HIDDEN';
}
