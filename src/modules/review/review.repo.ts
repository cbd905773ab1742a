import { and, asc, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { queryRows } from '../../db/rows';
import { accessReviewItems, accessReviews, securityPolicies } from '../../db/schema';
import { usedAnyOf } from './usage';

export type ReviewRow = typeof accessReviews.$inferSelect;
export type ReviewItemRow = typeof accessReviewItems.$inferSelect;
export type ReviewScope = { type: 'TENANT' } | { type: 'TEAM'; id: string } | { type: 'ROLE'; id: string };

export async function reviewPolicy(tx: Tx): Promise<{ missedDecision: 'REVOKE' | 'ESCALATE'; unusedDays: number }> {
  const [row] = await tx.select().from(securityPolicies);
  return { missedDecision: (row?.reviewMissedDecision as 'REVOKE' | 'ESCALATE') ?? 'REVOKE', unusedDays: row?.reviewUnusedDays ?? 90 };
}

export async function insertReview(tx: Tx, values: typeof accessReviews.$inferInsert): Promise<ReviewRow> {
  const [row] = await tx.insert(accessReviews).values(values).returning();
  return row;
}

/** Default reviewer of a user's access: the lead of one of their teams (not themselves), else the fallback. */
const reviewerOf = (userId: SQL, fallback: string | null) => sql`coalesce(
  (select t.lead_user_id from team_members tm join teams t on t.tenant_id = tm.tenant_id and t.id = tm.team_id
   where tm.user_id = ${userId} and t.lead_user_id is not null and t.lead_user_id <> ${userId}
   order by t.name limit 1),
  case when ${fallback}::uuid <> ${userId} then ${fallback}::uuid end)`;

/**
 * Snapshot every active role assignment and grant in scope into review items, with the last audited use
 * of the access and a reviewer each, in two statements. An assignment's use is an event of its holder
 * that exercised one of the role's permissions (see usage.ts); a grant's, an event of the grantee (or,
 * for team and role grants, of anyone) naming the granted record.
 */
export async function snapshotItems(tx: Tx, review: ReviewRow, scope: ReviewScope, fallbackReviewer: string | null): Promise<number> {
  const since = sql`now() - make_interval(days => ${review.unusedDays}::int)`;
  const assignmentScope =
    scope.type === 'TEAM'
      ? sql`and ra.user_id in (select tm.user_id from team_members tm where tm.team_id = ${scope.id})`
      : scope.type === 'ROLE'
        ? sql`and ra.role_id = ${scope.id}`
        : sql``;
  const assignments = await queryRows<{ id: string }>(
    tx,
    sql`insert into access_review_items (tenant_id, review_id, kind, assignment_id, user_id, snapshot, last_used_at, unused, reviewer_id)
        select ra.tenant_id, ${review.id}, 'ASSIGNMENT', ra.id, ra.user_id,
          jsonb_build_object('roleId', r.id, 'roleKey', r.key, 'roleName', r.name, 'permissions', to_jsonb(r.permissions), 'clearance', r.clearance,
                             'scopeType', ra.scope_type, 'scopeId', ra.scope_id, 'since', ra.created_at),
          u.last_used, u.last_used is null or u.last_used < ${since},
          ${reviewerOf(sql`ra.user_id`, fallbackReviewer)}
        from role_assignments ra
        join roles r on r.tenant_id = ra.tenant_id and r.id = ra.role_id
        cross join lateral (select max(e.occurred_at) as last_used from audit_events e
          where e.tenant_id = ra.tenant_id and e.actor_id = ra.user_id and e.outcome = 'ALLOWED' and (${usedAnyOf(sql`r.permissions`)})) u
        where ra.revoked_at is null ${assignmentScope}
        returning id`,
  );
  const grantScope =
    scope.type === 'TEAM'
      ? sql`and (g.team_id = ${scope.id} or g.user_id in (select tm.user_id from team_members tm where tm.team_id = ${scope.id}))`
      : scope.type === 'ROLE'
        ? sql`and g.role_id = ${scope.id}`
        : sql``;
  const grants = await queryRows<{ id: string }>(
    tx,
    sql`insert into access_review_items (tenant_id, review_id, kind, grant_id, user_id, snapshot, last_used_at, unused, reviewer_id)
        select g.tenant_id, ${review.id}, 'GRANT', g.id, g.user_id,
          jsonb_build_object('permission', g.permission, 'resourceType', g.resource_type, 'resourceId', g.resource_id,
                             'teamId', g.team_id, 'roleId', g.role_id, 'expiresAt', g.expires_at, 'reason', g.reason, 'grantedBy', g.granted_by, 'since', g.created_at),
          u.last_used, u.last_used is null or u.last_used < ${since},
          case when g.user_id is not null then ${reviewerOf(sql`g.user_id`, fallbackReviewer)}
               when g.team_id is not null then (select t.lead_user_id from teams t where t.id = g.team_id)
               else ${fallbackReviewer}::uuid end
        from access_grants g
        cross join lateral (select max(e.occurred_at) as last_used from audit_events e
          where e.tenant_id = g.tenant_id and e.outcome = 'ALLOWED' and e.resource_ids @> array[g.resource_id]
            and (g.user_id is null or e.actor_id = g.user_id)) u
        where g.revoked_at is null and g.expires_at > now() ${grantScope}
        returning id`,
  );
  return assignments.length + grants.length;
}

export const listReviews = (tx: Tx) => tx.select().from(accessReviews).orderBy(desc(accessReviews.createdAt)).limit(200);

export async function reviewById(tx: Tx, id: string): Promise<ReviewRow | undefined> {
  const [row] = await tx.select().from(accessReviews).where(eq(accessReviews.id, id));
  return row;
}

export async function reviewsByIds(tx: Tx, ids: readonly string[]): Promise<ReviewRow[]> {
  if (!ids.length) return [];
  return tx.select().from(accessReviews).where(sql`${accessReviews.id} = any(${`{${ids.join(',')}}`}::uuid[])`);
}

export const itemsOfReview = (tx: Tx, reviewId: string, status?: string) =>
  tx
    .select()
    .from(accessReviewItems)
    .where(and(eq(accessReviewItems.reviewId, reviewId), status ? eq(accessReviewItems.status, status) : undefined))
    .orderBy(asc(accessReviewItems.kind), asc(accessReviewItems.id));

export const itemsOfReviewer = (tx: Tx, reviewerId: string, status?: string) =>
  tx
    .select()
    .from(accessReviewItems)
    .where(and(eq(accessReviewItems.reviewerId, reviewerId), status ? eq(accessReviewItems.status, status) : undefined))
    .orderBy(asc(accessReviewItems.reviewId), asc(accessReviewItems.id))
    .limit(500);

export async function itemForDecision(tx: Tx, id: string): Promise<ReviewItemRow | undefined> {
  const [row] = await tx.select().from(accessReviewItems).where(eq(accessReviewItems.id, id)).for('update');
  return row;
}

export async function decideItem(tx: Tx, id: string, d: { status: string; by: string | null; note: string | null; change?: unknown }): Promise<ReviewItemRow> {
  const [row] = await tx
    .update(accessReviewItems)
    .set({ status: d.status, decidedBy: d.by, decidedAt: sql`now()`, note: d.note, change: d.change ?? null })
    .where(eq(accessReviewItems.id, id))
    .returning();
  return row;
}

/** Mark the campaign completed when no item is pending any more. */
export async function completeIfDone(tx: Tx, reviewId: string): Promise<void> {
  await tx.execute(sql`update access_reviews set completed_at = now()
    where id = ${reviewId} and completed_at is null
      and not exists (select 1 from access_review_items i where i.review_id = ${reviewId} and i.status = 'PENDING')`);
}

export type ReportRow = { status: string; unused: boolean; escalated: boolean; reviewer_id: string | null; n: number };

export const reportRows = (tx: Tx, reviewId: string) =>
  queryRows<ReportRow>(
    tx,
    sql`select status, unused, escalated_at is not null as escalated, reviewer_id, count(*)::int as n
        from access_review_items where review_id = ${reviewId} group by 1, 2, 3, 4`,
  );
