import { badInput } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import type { RequestContext } from '../../server/context';
import { satisfactionBuckets, type StatsQuery, type StatsResult } from './stats.repo';

export const MAX_BUCKETS = 1000;

const UNITS = { DAY: 'day', WEEK: 'week', MONTH: 'month', QUARTER: 'quarter', YEAR: 'year' } as const;

/** An IANA zone name both Node and PostgreSQL know (e.g. Asia/Shanghai), or BAD_USER_INPUT. */
function validTimeZone(tz: string): string {
  const plausible = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(tz) && tz.length <= 64;
  try {
    if (plausible && new Intl.DateTimeFormat('en', { timeZone: tz }).resolvedOptions().timeZone) return tz;
  } catch {
    // fall through
  }
  throw badInput('timeZone must be an IANA time zone such as UTC or Asia/Shanghai', { argument: 'timeZone' });
}

type Args = {
  filter?: { from?: Date | null; to?: Date | null; teamId?: string | null } | null;
  groupBy?: 'TEAM' | 'PERIOD' | 'TEAM_AND_PERIOD' | null;
  period?: keyof typeof UNITS | null;
  timeZone?: string | null;
};

/** Satisfaction statistics for managers: aggregates computed in SQL over the feedback the policy allows. */
export async function satisfactionStats(ctx: RequestContext, args: Args): Promise<StatsResult> {
  const groupBy = args.groupBy ?? 'TEAM';
  const { from, to, teamId } = args.filter ?? {};
  if (from && to && from >= to) throw badInput('from must be before to', { argument: 'filter' });
  const query: StatsQuery = {
    byTeam: groupBy !== 'PERIOD',
    period: groupBy === 'TEAM' ? null : UNITS[args.period ?? 'MONTH'],
    timeZone: validTimeZone(args.timeZone ?? 'UTC'),
    from: from ?? undefined,
    to: to ?? undefined,
    teamId: teamId ? idOf(teamId, 'Team') : undefined,
    limit: MAX_BUCKETS,
  };
  const viewer = await ctx.requireViewer();
  const result = await ctx.withTx((tx) => satisfactionBuckets(tx, viewer, query));
  if (result.truncated) throw badInput(`More than ${MAX_BUCKETS} buckets: narrow the range or use a longer period`, { argument: 'period' });
  return { overall: result.overall, buckets: result.buckets };
}
