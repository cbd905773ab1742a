import type { Resolvers } from '../../__generated__/resolvers-types';
import { auditEventsBySeqs } from '../../audit/audit.repo';
import { toEventModel } from '../../audit/event-view';
import { isRefusal, type Guarded } from '../../audit/stream-guard';
import { toGlobalId } from '../../lib/global-id';
import type { RequestContext } from '../../server/context';
import { requestLoader } from '../../server/request-loader';
import type { AuditRow } from '../../audit/audit.repo';
import { acknowledgeAlert, alertPage, alertStream, configureDetectionRule, detectionRuleList, resetDetectionRule, resolveAlert } from './alert.service';
import { RULE_DESCRIPTIONS } from '../../audit/detection/rules';
import type { AlertRow } from './alert.repo';

const user = (ctx: RequestContext, id: string | null) => (id ? ctx.loaders.user.load(id).then((u) => u ?? null) : null);
/** Evidence of every alert on a page in one statement (events by chain position, in the viewer's tenant). */
const eventsBySeq = requestLoader<number, AuditRow>(async (ctx, seqs) => {
  const viewer = await ctx.requireViewer();
  const rows = await ctx.withTx((tx) => auditEventsBySeqs(tx, viewer.tenantId, seqs));
  return seqs.map((s) => rows.find((r) => r.seq === Number(s)));
});

type Outcome = { kind: 'REQUIRE_STEP_UP' | 'REVOKE_SESSIONS' | 'LOCK_ACCOUNT'; status: 'APPLIED' | 'NOT_AVAILABLE' | 'SKIPPED'; detail?: unknown };

export const alertResolvers: Resolvers = {
  Query: {
    securityAlerts: (_, args, ctx) => alertPage(ctx, args),
    detectionRules: (_, __, ctx) => detectionRuleList(ctx),
  },
  Mutation: {
    configureDetectionRule: (_, { input }, ctx) => configureDetectionRule(ctx, input),
    resetDetectionRule: (_, { kind }, ctx) => resetDetectionRule(ctx, kind),
    acknowledgeAlert: (_, { id }, ctx) => acknowledgeAlert(ctx, id),
    resolveAlert: (_, { id, note }, ctx) => resolveAlert(ctx, id, note),
  },
  Subscription: {
    securityAlerts: {
      subscribe: (_, { minSeverity }, ctx) => alertStream(ctx, minSeverity ?? 'LOW'),
      resolve: (item: Guarded<AlertRow>) => {
        if (isRefusal(item)) throw item.refused;
        return item;
      },
    },
  },
  SecurityAlert: {
    id: (a) => toGlobalId('SecurityAlert', a.id),
    rule: (a) => a.rule as 'BULK_PII_READ',
    severity: (a) => a.severity as 'HIGH',
    status: (a) => a.status as 'OPEN',
    subject: (a, _, ctx) => user(ctx, a.subjectUserId),
    subjectAddress: (a) => (a.subjectKey.startsWith('ip:') ? a.subjectKey.slice(3) : null),
    evidenceSeqs: (a) => a.evidenceSeqs.map(Number),
    // Archived events are no longer there: the evidence shows what the table still holds.
    evidence: async (a, _, ctx) => (await eventsBySeq(ctx).loadMany(a.evidenceSeqs.map(Number))).flatMap((e) => (e && !(e instanceof Error) ? [toEventModel(e)] : [])),
    responses: (a) => (a.responses as Outcome[]).map((o) => ({ kind: o.kind, status: o.status, detail: JSON.stringify(o.detail ?? {}) })),
    acknowledgedBy: (a, _, ctx) => user(ctx, a.acknowledgedBy),
    resolvedBy: (a, _, ctx) => user(ctx, a.resolvedBy),
  },
  DetectionRule: {
    description: (r) => RULE_DESCRIPTIONS[r.kind],
    timeZone: (r) => r.offHours.timeZone,
    workdayStartHour: (r) => r.offHours.workdayStartHour,
    workdayEndHour: (r) => r.offHours.workdayEndHour,
    weekendsAreOffHours: (r) => r.offHours.weekendsAreOffHours,
  },
};
