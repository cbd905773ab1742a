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
  | { type: 'Article'; classification: string; status: string }
  | { type: 'ArticleVersion'; article: { classification: string; status: string }; classification: string }
  | { type: 'Customer' };

export type Action = 'read';

export type Decision = { allowed: boolean; reasons: string[] };

/** Drafts, articles in review and archived ones are seen by those who write or publish them, not by readers. */
export const seesUnpublished = (viewer: Viewer): boolean => hasPermission(viewer, 'ARTICLE_WRITE') || hasPermission(viewer, 'ARTICLE_PUBLISH');

const covers = (viewer: Viewer, classification: string) => classificationRank(classification) <= classificationRank(viewer.clearance);

function explainArticle(viewer: Viewer, article: { classification: string; status: string }): Decision {
  if (!hasPermission(viewer, 'ARTICLE_READ')) return { allowed: false, reasons: ['missing permission ARTICLE_READ'] };
  if (!covers(viewer, article.classification)) {
    return { allowed: false, reasons: [`clearance ${viewer.clearance} does not cover ${article.classification}`] };
  }
  if (article.status !== 'PUBLISHED' && !seesUnpublished(viewer)) {
    return { allowed: false, reasons: [`${article.status} articles are seen by writers and publishers only`] };
  }
  return { allowed: true, reasons: ['ARTICLE_READ from role', `clearance ${viewer.clearance} covers ${article.classification}`] };
}

export function explain(viewer: Viewer, action: Action, resource: Resource): Decision {
  switch (resource.type) {
    case 'Article':
      return explainArticle(viewer, resource);
    case 'ArticleVersion': {
      // History holds unpublished states and past classifications: writers only, cleared for that version.
      const article = explainArticle(viewer, resource.article);
      if (!article.allowed) return article;
      if (!seesUnpublished(viewer)) return { allowed: false, reasons: ['versions are seen by writers and publishers only'] };
      return covers(viewer, resource.classification)
        ? { allowed: true, reasons: [...article.reasons, `clearance covers the version's ${resource.classification}`] }
        : { allowed: false, reasons: [`clearance ${viewer.clearance} does not cover this version's ${resource.classification}`] };
    }
    case 'Customer':
      return hasPermission(viewer, 'CUSTOMER_READ')
        ? { allowed: true, reasons: ['CUSTOMER_READ from role'] }
        : { allowed: false, reasons: ['missing permission CUSTOMER_READ'] };
  }
  return { allowed: false, reasons: [`no rule for ${action}`] };
}

export const can = (viewer: Viewer, action: Action, resource: Resource): boolean =>
  explain(viewer, action, resource).allowed;

type ArticleColumns = { tenantId: PgColumn; classification: PgColumn; status: PgColumn };

/**
 * Articles the viewer may read, as a SQL predicate (same rule as `can(viewer, 'read', article)`). Lists,
 * search pages, counts, facets, relations and node lookups all use this one; narrower scopes (spaces,
 * teams) belong here too when they come.
 */
export function articleReadPredicate(viewer: Viewer, columns: ArticleColumns): SQL {
  if (!hasPermission(viewer, 'ARTICLE_READ')) return sql`false`;
  return and(
    eq(columns.tenantId, viewer.tenantId),
    inArray(columns.classification, classificationsUpTo(viewer.clearance)),
    seesUnpublished(viewer) ? undefined : eq(columns.status, 'PUBLISHED'),
  )!;
}

/** Versions the viewer may read: of an article they may read, as a writer, cleared for the version's classification. */
export function articleVersionReadPredicate(viewer: Viewer, article: ArticleColumns, version: { classification: PgColumn }): SQL {
  if (!seesUnpublished(viewer)) return sql`false`;
  return and(articleReadPredicate(viewer, article), inArray(version.classification, classificationsUpTo(viewer.clearance)))!;
}

/** Spaces, categories and tags: the knowledge base's structure, visible to every reader of the tenant. */
export function knowledgeStructurePredicate(viewer: Viewer, columns: { tenantId: PgColumn }): SQL {
  return hasPermission(viewer, 'ARTICLE_READ') ? eq(columns.tenantId, viewer.tenantId) : sql`false`;
}

/** Customers the viewer may read, as a SQL predicate. */
export function customerReadPredicate(viewer: Viewer, columns: { tenantId: PgColumn }): SQL {
  return hasPermission(viewer, 'CUSTOMER_READ') ? eq(columns.tenantId, viewer.tenantId) : sql`false`;
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
