import { eq, sql } from 'drizzle-orm';
import { detectionRules } from '../../db/schema';
import { withTenantTx } from '../../db/tenant-tx';
import { badInput, notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import { parsePage, toConnection } from '../../lib/pagination';
import { text } from '../../lib/validate';
import { queryRows } from '../../db/rows';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { RESPONSE_KINDS, SEVERITIES, type RuleConfig, type RuleKind, type Severity } from '../../audit/detection/rules';
import { streamGuard, type Guarded } from '../../audit/stream-guard';
import { alertForUpdate, alertsByIds, effectiveRules, listAlerts, updateAlert, type AlertRow } from './alert.repo';

export async function alertPage(ctx: RequestContext, args: { filter?: { status?: string | null; severity?: string | null; rule?: string | null } | null; first?: number | null; after?: string | null }) {
  const page = parsePage(args);
  const f = args.filter ?? {};
  const rows = await ctx.withTx((tx) => listAlerts(tx, page, { status: f.status ?? undefined, severity: f.severity ?? undefined, rule: f.rule ?? undefined }));
  return toConnection(rows.map((r) => ({ ...r.alert, cursorAt: r.cursorAt })), page);
}

export const detectionRuleList = (ctx: RequestContext) => ctx.withTx(effectiveRules);

export type RuleInput = {
  kind: RuleKind;
  enabled?: boolean | null;
  threshold?: number | null;
  windowMinutes?: number | null;
  severity?: Severity | null;
  responses?: string[] | null;
  timeZone?: string | null;
  workdayStartHour?: number | null;
  workdayEndHour?: number | null;
  weekendsAreOffHours?: boolean | null;
};

const intIn = (v: number, min: number, max: number, argument: string) => {
  if (!Number.isInteger(v) || v < min || v > max) throw badInput(`${argument} must be between ${min} and ${max}`, { argument });
  return v;
};

export async function configureDetectionRule(ctx: RequestContext, input: RuleInput): Promise<RuleConfig> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'detection.rule_configure', resourceType: 'DetectionRule' }, async (tx) => {
    const current = (await effectiveRules(tx)).find((r) => r.kind === input.kind);
    if (!current) throw badInput('Unknown rule', { argument: 'kind' });
    const next: RuleConfig = {
      ...current,
      enabled: input.enabled ?? current.enabled,
      threshold: input.threshold != null ? intIn(input.threshold, 0, 1_000_000, 'threshold') : current.threshold,
      windowMinutes: input.windowMinutes != null ? intIn(input.windowMinutes, 1, 1440, 'windowMinutes') : current.windowMinutes,
      severity: input.severity ?? current.severity,
      responses: input.responses ? [...new Set(input.responses)].filter((r): r is RuleConfig['responses'][number] => (RESPONSE_KINDS as readonly string[]).includes(r)) : current.responses,
      offHours: {
        timeZone: input.timeZone != null ? text(input.timeZone, 'timeZone', { max: 64 }) : current.offHours.timeZone,
        workdayStartHour: input.workdayStartHour != null ? intIn(input.workdayStartHour, 0, 23, 'workdayStartHour') : current.offHours.workdayStartHour,
        workdayEndHour: input.workdayEndHour != null ? intIn(input.workdayEndHour, 0, 24, 'workdayEndHour') : current.offHours.workdayEndHour,
        weekendsAreOffHours: input.weekendsAreOffHours ?? current.offHours.weekendsAreOffHours,
      },
      custom: true,
    };
    if (!SEVERITIES.includes(next.severity)) throw badInput('Unknown severity', { argument: 'severity' });
    if (next.kind === 'BREAK_GLASS' && (!next.enabled || next.severity !== 'CRITICAL')) {
      throw badInput('Break-glass use always raises a CRITICAL alert: only its responses can be changed', { argument: 'kind' });
    }
    if (input.timeZone != null) {
      const [known] = await queryRows<{ ok: boolean }>(tx, sql`select exists (select 1 from pg_timezone_names where name = ${next.offHours.timeZone}) as ok`);
      if (!known.ok) throw badInput(`Unknown time zone ${next.offHours.timeZone}`, { argument: 'timeZone' });
    }
    const values = {
      enabled: next.enabled,
      threshold: next.threshold,
      windowMinutes: next.windowMinutes,
      severity: next.severity,
      responses: next.responses,
      params: next.offHours,
      updatedBy: viewer.userId,
      updatedAt: new Date(),
    };
    await tx.insert(detectionRules).values({ tenantId: viewer.tenantId, kind: next.kind, ...values }).onConflictDoUpdate({ target: [detectionRules.tenantId, detectionRules.kind], set: values });
    const { custom: _c, ...before } = current;
    const { custom: _n, ...after } = next;
    return { result: next, resourceIds: [], detail: { kind: next.kind, before, after } };
  });
}

export async function resetDetectionRule(ctx: RequestContext, kind: RuleKind): Promise<RuleConfig> {
  return auditedMutation(ctx, { action: 'detection.rule_reset', resourceType: 'DetectionRule' }, async (tx) => {
    await tx.delete(detectionRules).where(eq(detectionRules.kind, kind));
    return { result: (await effectiveRules(tx)).find((r) => r.kind === kind)!, resourceIds: [], detail: { kind } };
  });
}

async function changeAlert(ctx: RequestContext, alertId: string, action: 'acknowledge' | 'resolve', noteInput?: string) {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: `alert.${action}`, resourceType: 'SecurityAlert' }, async (tx) => {
    const id = idOf(alertId, 'SecurityAlert');
    const note = action === 'resolve' ? text(noteInput ?? '', 'note', { max: 2000 }) : undefined;
    const alert = await alertForUpdate(tx, id);
    if (!alert) throw notFound('Alert not found');
    if (alert.status === 'RESOLVED') throw badInput('The alert is already resolved', { argument: 'id' });
    if (action === 'acknowledge' && alert.status !== 'OPEN') throw badInput('The alert is already acknowledged', { argument: 'id' });
    const row =
      action === 'acknowledge'
        ? await updateAlert(tx, id, { status: 'ACKNOWLEDGED', acknowledgedBy: viewer.userId, acknowledgedAt: new Date() })
        : await updateAlert(tx, id, {
            status: 'RESOLVED',
            resolvedBy: viewer.userId,
            resolvedAt: new Date(),
            resolutionNote: note,
            ...(alert.status === 'OPEN' && { acknowledgedBy: viewer.userId, acknowledgedAt: new Date() }),
          });
    return { result: row, resourceIds: [id], detail: { rule: row.rule, ...(note && { note }) } };
  });
}

export const acknowledgeAlert = (ctx: RequestContext, id: string) => changeAlert(ctx, id, 'acknowledge');
export const resolveAlert = (ctx: RequestContext, id: string, note: string) => changeAlert(ctx, id, 'resolve', note);

/** One read per alert event per instance, shared by every subscriber of the tenant. */
const alertReads = new Map<string, Promise<AlertRow | undefined>>();
function readAlertOnce(ctx: RequestContext, tenantId: string, seq: number, alertId: string): Promise<AlertRow | undefined> {
  const key = `${tenantId}:${seq}`;
  let read = alertReads.get(key);
  if (!read) {
    read = withTenantTx(ctx.services.database.db, tenantId, (tx) => alertsByIds(tx, [alertId])).then((rows) => rows[0]);
    alertReads.set(key, read);
    // A read that failed (the database unavailable) is not remembered: the next subscriber reads again.
    read.catch(() => alertReads.delete(key));
    if (alertReads.size > 200) alertReads.delete(alertReads.keys().next().value!);
  }
  return read;
}

const SEVERITY_RANK = Object.fromEntries(SEVERITIES.map((s, i) => [s, i])) as Record<Severity, number>;

/**
 * New alerts and alert changes of the viewer's tenant: every alert change is an audit event
 * (alert.raised, alert.acknowledge, alert.resolve), so this rides on the audit bus; the alert row is
 * read once per alert event on each instance.
 */
export async function alertStream(ctx: RequestContext, minSeverity: Severity): Promise<AsyncIterableIterator<Guarded<AlertRow>>> {
  const viewer = await ctx.requireViewer();
  const guard = streamGuard(ctx, 'Subscription.securityAlerts', ['AUDIT_READ']);
  const live = ctx.services.auditBus.events(viewer.tenantId);
  const next = async (): Promise<IteratorResult<Guarded<AlertRow>>> => {
    for (;;) {
      const r = await live.next();
      if (r.done) return { done: true, value: undefined };
      const row = r.value;
      if (row.resourceType !== 'SecurityAlert' || !row.action.startsWith('alert.') || row.outcome !== 'ALLOWED') continue;
      const decision = await guard(row.tenantId);
      if (decision === 'skip') continue;
      if (decision !== true) {
        await live.return?.();
        return { done: false, value: { refused: decision } };
      }
      const alert = await readAlertOnce(ctx, viewer.tenantId, row.seq, row.resourceIds[0]);
      if (alert && SEVERITY_RANK[alert.severity as Severity] >= SEVERITY_RANK[minSeverity]) return { done: false, value: alert };
    }
  };
  const iterator: AsyncIterableIterator<Guarded<AlertRow>> = {
    next,
    return: async () => {
      await live.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
