import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { queryRows } from '../../db/rows';
import { customerFeedback, tickets } from '../../db/schema';
import { statsPredicate } from '../../authz/predicates';
import type { Viewer } from '../../authz/viewer';

export type StatsBucketRow = {
  teamId: string | null;
  periodStart: Date | null;
  responses: number;
  averageScore: number | null;
  satisfiedShare: number | null;
  scoreCounts: number[];
};
export type StatsResult = { overall: StatsBucketRow; buckets: StatsBucketRow[] };

export type StatsQuery = {
  byTeam: boolean;
  /** date_trunc unit, from a fixed list (src/modules/feedback/stats.service.ts). */
  period: 'day' | 'week' | 'month' | 'quarter' | 'year' | null;
  timeZone: string;
  from?: Date;
  to?: Date;
  teamId?: string;
  limit: number;
};

type Raw = { team_id: string | null; period_start: string | Date | null; is_total: boolean; responses: number; average_score: number | null; satisfied_share: number | null; score_counts: number[] };

/**
 * Satisfaction aggregates in one statement: the viewer's feedback (policy predicate) joined with the
 * ticket's team, grouped by team and/or period with GROUPING SETS so the overall figures come with the
 * buckets. The CTE names the grouping columns once, so parameters (unit, time zone) appear only there.
 */
export async function satisfactionBuckets(tx: Tx, viewer: Viewer, q: StatsQuery): Promise<StatsResult & { truncated: boolean }> {
  const dims = [...(q.period ? ['period_start'] : []), ...(q.byTeam ? ['team_id'] : [])];
  const dimList = sql.raw(dims.join(', '));
  const where = and(
    statsPredicate(viewer),
    q.from ? gte(customerFeedback.createdAt, q.from) : undefined,
    q.to ? lt(customerFeedback.createdAt, q.to) : undefined,
    q.teamId ? eq(tickets.teamId, q.teamId) : undefined,
  );
  const rows = await queryRows<Raw>(
    tx,
    sql`with f as (
          select ${customerFeedback.score} as score, ${tickets.teamId} as team_id,
                 ${q.period ? sql`date_trunc(${q.period}, ${customerFeedback.createdAt}, ${q.timeZone})` : sql`null::timestamptz`} as period_start
          from ${customerFeedback}
          left join ${tickets} on ${tickets.tenantId} = ${customerFeedback.tenantId} and ${tickets.id} = ${customerFeedback.ticketId}
          where ${where})
        select ${q.byTeam ? sql`team_id` : sql`null::uuid`} as team_id,
               ${q.period ? sql`period_start` : sql`null::timestamptz`} as period_start,
               grouping(${dimList}) <> 0 as is_total,
               count(*)::int as responses,
               avg(score)::float8 as average_score,
               (count(*) filter (where score >= 4))::float8 / nullif(count(*), 0) as satisfied_share,
               array[count(*) filter (where score = 1), count(*) filter (where score = 2), count(*) filter (where score = 3),
                     count(*) filter (where score = 4), count(*) filter (where score = 5)]::int[] as score_counts
        from f
        group by grouping sets ((${dimList}), ())
        order by is_total desc, ${sql.raw(dims.map((d) => `${d} nulls last`).join(', '))}
        limit ${q.limit + 2}`,
  );
  const toBucket = (r: Raw): StatsBucketRow => ({
    teamId: r.team_id,
    periodStart: r.period_start === null ? null : new Date(r.period_start),
    responses: Number(r.responses),
    averageScore: r.average_score === null ? null : Number(r.average_score),
    satisfiedShare: r.satisfied_share === null ? null : Number(r.satisfied_share),
    scoreCounts: r.score_counts.map(Number),
  });
  const total = rows.find((r) => r.is_total);
  const buckets = rows.filter((r) => !r.is_total).map(toBucket);
  const empty: StatsBucketRow = { teamId: null, periodStart: null, responses: 0, averageScore: null, satisfiedShare: null, scoreCounts: [0, 0, 0, 0, 0] };
  return { overall: total ? toBucket(total) : empty, buckets: buckets.slice(0, q.limit), truncated: buckets.length > q.limit };
}
