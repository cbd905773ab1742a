import { sql, type SQL } from 'drizzle-orm';

/**
 * Detection rules: each is a condition on audit events, a subject to group them by, a weight to sum,
 * and (per tenant) a threshold over a sliding window. All of them are evaluated in SQL aggregates over
 * the audit table, so the detector needs nothing but the chain positions it has not seen yet.
 */
export const RULE_KINDS = ['BULK_PII_READ', 'REPEATED_DENIALS', 'OFF_HOURS_ACCESS', 'INACTIVE_CREDENTIALS', 'REFRESH_TOKEN_REUSE', 'MASS_EXPORT', 'BREAK_GLASS'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
export const RESPONSE_KINDS = ['REQUIRE_STEP_UP', 'REVOKE_SESSIONS', 'LOCK_ACCOUNT'] as const;
export type ResponseKind = (typeof RESPONSE_KINDS)[number];
export const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type OffHours = { timeZone: string; workdayStartHour: number; workdayEndHour: number; weekendsAreOffHours: boolean };
export type RuleConfig = {
  kind: RuleKind;
  enabled: boolean;
  /** Raise when the weighted count in the window exceeds this. */
  threshold: number;
  /** The sliding window, and the quiet period per subject after an alert. */
  windowMinutes: number;
  severity: Severity;
  responses: ResponseKind[];
  offHours: OffHours;
  /** True when the tenant configured it, false for the built-in default. */
  custom: boolean;
};

const OFF_HOURS_DEFAULT: OffHours = { timeZone: 'UTC', workdayStartHour: 8, workdayEndHour: 19, weekendsAreOffHours: true };

export const DEFAULT_RULES: Record<RuleKind, Omit<RuleConfig, 'kind' | 'custom' | 'offHours'>> = {
  BULK_PII_READ: { enabled: true, threshold: 200, windowMinutes: 5, severity: 'HIGH', responses: ['REVOKE_SESSIONS'] },
  REPEATED_DENIALS: { enabled: true, threshold: 20, windowMinutes: 10, severity: 'MEDIUM', responses: [] },
  // Off by default: it needs the tenant's working hours and time zone.
  OFF_HOURS_ACCESS: { enabled: false, threshold: 0, windowMinutes: 60, severity: 'LOW', responses: [] },
  INACTIVE_CREDENTIALS: { enabled: true, threshold: 0, windowMinutes: 60, severity: 'HIGH', responses: [] },
  REFRESH_TOKEN_REUSE: { enabled: true, threshold: 0, windowMinutes: 60, severity: 'HIGH', responses: ['REVOKE_SESSIONS'] },
  MASS_EXPORT: { enabled: true, threshold: 5000, windowMinutes: 60, severity: 'HIGH', responses: [] },
  BREAK_GLASS: { enabled: true, threshold: 0, windowMinutes: 1, severity: 'CRITICAL', responses: [] },
};

export const RULE_DESCRIPTIONS: Record<RuleKind, string> = {
  BULK_PII_READ: 'More than `threshold` personal-data field values read by one user within the window',
  REPEATED_DENIALS: 'More than `threshold` refused requests or sign-ins by one user (or from one address) within the window',
  OFF_HOURS_ACCESS: 'Sign-ins, personal-data reads, reveals or exports outside the tenant\'s working hours',
  INACTIVE_CREDENTIALS: 'A suspended or offboarded account\'s password, access token or refresh token was used',
  REFRESH_TOKEN_REUSE: 'A rotated refresh token was presented again (stolen or replayed)',
  MASS_EXPORT: 'More than `threshold` records exported by one user within the window',
  BREAK_GLASS: 'Break-glass access was used (always raised, CRITICAL)',
};

export function withDefaults(kind: RuleKind, row?: { enabled: boolean; threshold: number; windowMinutes: number; severity: string; responses: string[]; params: unknown }): RuleConfig {
  if (!row) return { kind, ...DEFAULT_RULES[kind], offHours: OFF_HOURS_DEFAULT, custom: false };
  return {
    kind,
    enabled: row.enabled,
    threshold: row.threshold,
    windowMinutes: row.windowMinutes,
    severity: row.severity as Severity,
    responses: row.responses.filter((r): r is ResponseKind => (RESPONSE_KINDS as readonly string[]).includes(r)),
    offHours: { ...OFF_HOURS_DEFAULT, ...((row.params ?? {}) as Partial<OffHours>) },
    custom: true,
  };
}

/** A personal-data field as the audit log names it (resource_type, field). */
export type Coordinate = { type: string; field: string };

type RuleSql = { where: SQL; subject: SQL; user: SQL; weight: SQL };

const reason = sql`coalesce(e.detail->>'reason', '')`;

/** The SQL of each rule, over `audit_events e`. */
export function ruleSql(rule: RuleConfig, pii: readonly Coordinate[]): RuleSql {
  const actor = { subject: sql`e.actor_id::text`, user: sql`e.actor_id` };
  switch (rule.kind) {
    case 'BULK_PII_READ': {
      const coords = pii.length ? sql.join(pii.map((c) => sql`(${c.type}, ${c.field})`), sql`, `) : sql`(null, null)`;
      return {
        where: sql`e.action = 'sensitive.read' and e.actor_id is not null and (e.resource_type, e.field) in (${coords})`,
        ...actor,
        weight: sql`coalesce((e.detail->>'count')::int, cardinality(e.resource_ids))`,
      };
    }
    case 'REPEATED_DENIALS':
      return {
        where: sql`e.outcome = 'DENIED' and coalesce(e.actor_id::text, e.detail->>'ip') is not null`,
        subject: sql`coalesce(e.actor_id::text, 'ip:' || (e.detail->>'ip'))`,
        user: sql`e.actor_id`,
        weight: sql`1`,
      };
    case 'OFF_HOURS_ACCESS': {
      const { timeZone, workdayStartHour: start, workdayEndHour: end, weekendsAreOffHours } = rule.offHours;
      const local = sql`(e.occurred_at at time zone ${timeZone})`;
      const hour = sql`extract(hour from ${local})::int`;
      // Working hours are [start, end); start = end means none at all.
      const outside = start < end ? sql`(${hour} < ${start} or ${hour} >= ${end})` : start > end ? sql`(${hour} < ${start} and ${hour} >= ${end})` : sql`true`;
      const weekend = weekendsAreOffHours ? sql` or extract(isodow from ${local}) >= 6` : sql``;
      return {
        where: sql`e.actor_id is not null and e.outcome = 'ALLOWED'
          and (e.action in ('auth.login', 'sensitive.read', 'field.reveal', 'break_glass.use') or e.action like '%.export')
          and (${outside}${weekend})`,
        ...actor,
        weight: sql`1`,
      };
    }
    case 'INACTIVE_CREDENTIALS':
      return {
        where: sql`e.actor_id is not null and ((e.action like 'auth.%' and e.outcome = 'DENIED' and ${reason} ~* '(suspended|disabled|offboard)')
          or e.action = 'security.leaver_access_attempt')`,
        ...actor,
        weight: sql`1`,
      };
    case 'REFRESH_TOKEN_REUSE':
      return {
        where: sql`e.actor_id is not null and ((e.action = 'auth.refresh' and e.outcome = 'DENIED' and ${reason} ilike '%reuse%')
          or e.action = 'security.refresh_token_reuse')`,
        ...actor,
        weight: sql`1`,
      };
    case 'MASS_EXPORT':
      return {
        where: sql`e.actor_id is not null and e.outcome = 'ALLOWED' and (e.action like '%.export' or e.action = 'audit.archive')`,
        ...actor,
        weight: sql`coalesce((e.detail->>'count')::int, cardinality(e.resource_ids), 1)`,
      };
    case 'BREAK_GLASS':
      // Every use is its own alert.
      return { where: sql`e.action = 'break_glass.use' and e.outcome = 'ALLOWED'`, subject: sql`'break-glass:' || e.seq`, user: sql`e.actor_id`, weight: sql`1` };
  }
}

export type Candidate = { rule: RuleKind; subject: string; user_id: string | null; observed: number; since: string; until: string; seqs: number[] | string };

/**
 * One statement for every enabled rule: for each subject with events among the new positions (after,
 * through], the weighted count over the window ending at its newest event; subjects over the threshold
 * and not alerted for this rule within the window are the candidates.
 */
export function candidatesSql(rules: RuleConfig[], pii: readonly Coordinate[], after: number, through: number): SQL | null {
  const enabled = rules.filter((r) => r.enabled);
  if (!enabled.length) return null;
  const parts = enabled.map((rule) => {
    const r = ruleSql(rule, pii);
    const window = sql`make_interval(mins => ${Math.max(rule.windowMinutes, 1)}::int)`;
    return sql`(select ${rule.kind}::text as rule, a.subject, a.user_id, a.observed, a.since, a.until, a.seqs from (
        select f.subject, f.until, sum(${r.weight})::int as observed, min(e.occurred_at) as since,
          (array_agg(e.seq order by e.seq desc))[1:50] as seqs,
          (array_agg(${r.user}) filter (where ${r.user} is not null))[1] as user_id
        from (select ${r.subject} as subject, max(e.occurred_at) as until from audit_events e
              where e.seq > ${after} and e.seq <= ${through} and ${r.where} group by 1) f
        join audit_events e on ${r.subject} = f.subject and e.seq <= ${through}
          and e.occurred_at > f.until - ${window} and e.occurred_at <= f.until and ${r.where}
        group by f.subject, f.until) a
      where a.observed > ${rule.threshold}
        and not exists (select 1 from security_alerts s where s.rule = ${rule.kind} and s.subject_key = a.subject
                        and s.created_at > now() - ${window}))`;
  });
  return sql.join(parts, sql` union all `);
}
