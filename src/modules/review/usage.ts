import { sql, type SQL } from 'drizzle-orm';
import { PERMISSIONS, type Permission } from '../../authz/permissions';

/**
 * Audited evidence that a permission was used: the events (by the holder, ALLOWED) each permission
 * produces. Reading articles, customers or the audit log and explaining access are not audited per
 * use, so for those a sign-in counts as use (the holder was at least active).
 */
const EVIDENCE: Record<Permission, SQL> = {
  ARTICLE_READ: sql`e.action in ('auth.login', 'auth.refresh')`,
  ARTICLE_WRITE: sql`e.action like 'article.%'`,
  ARTICLE_PUBLISH: sql`e.action like 'article.%'`,
  ARTICLE_INTERNAL_NOTES_READ: sql`e.action = 'sensitive.read' and e.field = 'internalNotes'`,
  CUSTOMER_READ: sql`e.action in ('auth.login', 'auth.refresh')`,
  CUSTOMER_WRITE: sql`e.action like 'customer.%'`,
  PII_READ_MASKED: sql`e.action = 'sensitive.read' and e.detail->>'mode' = 'MASKED'`,
  PII_READ_FULL: sql`e.action = 'sensitive.read' and e.detail->>'mode' = 'FULL'`,
  PII_REVEAL: sql`e.action = 'field.reveal'`,
  AUDIT_READ: sql`e.action in ('auth.login', 'auth.refresh')`,
  GRANT_MANAGE: sql`(e.action like 'grant.%' or e.action in ('access_request.approve', 'access_request.deny'))`,
  ROLE_MANAGE: sql`e.action like 'role.%'`,
  USER_MANAGE: sql`e.action like 'user.%'`,
  TEAM_MANAGE: sql`e.action like 'team.%'`,
  BREAK_GLASS: sql`e.action = 'break_glass.use'`,
  ACCESS_EXPLAIN: sql`e.action in ('auth.login', 'auth.refresh')`,
  KNOWLEDGE_MANAGE: sql`(e.action like 'space.%' or e.action like 'category.%')`,
  TICKET_READ: sql`e.action in ('auth.login', 'auth.refresh')`,
  TICKET_WRITE: sql`e.action like 'ticket.%'`,
  FEEDBACK_READ: sql`e.action in ('auth.login', 'auth.refresh')`,
  FEEDBACK_WRITE: sql`e.action like 'feedback.%'`,
  STATS_READ: sql`e.action in ('auth.login', 'auth.refresh')`,
  AUDIT_MANAGE: sql`e.action like 'audit.%'`,
  ALERT_MANAGE: sql`(e.action like 'alert.%' or e.action like 'detection.%')`,
  REVIEW_MANAGE: sql`(e.action like 'access_review.%' or e.action = 'break_glass.review')`,
  LOCKDOWN: sql`e.action like 'lockdown.%'`,
};

/** An SQL condition on `audit_events e`: the event used one of the permissions in the text[] expression. */
export function usedAnyOf(permissions: SQL): SQL {
  return sql.join(
    PERMISSIONS.map((p) => sql`(${p} = any(${permissions}) and ${EVIDENCE[p]})`),
    sql` or `,
  );
}
