import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client';
import { queryRows } from '../../db/rows';
import { tenants } from '../../db/schema';
import { withTenantTx } from '../../db/tenant-tx';
import { isDatabaseUnavailable } from '../../db/unavailable';
import { every } from '../../lib/interval-job';
import { logger } from '../../lib/logger';
import { metrics } from '../../metrics/registry';
import { effectiveRules, insertAlert, setAlertResponses, type AlertRow } from '../../modules/alerts/alert.repo';
import type { AuditBus } from '../bus';
import { writeAuditEvents } from '../writer';
import { applyResponse } from './responses';
import { candidatesSql, type Candidate, type Coordinate, type RuleConfig } from './rules';

const BATCH = 5000;
/**
 * Commits within this long of the first one waiting are evaluated together. Every instance hears every
 * commit; evaluating on each one cost a transaction of five statements per audited write on every
 * instance (S4: the audited arm at 0.35–0.38 of the unaudited one, 0.83 with detection off). It adds at most
 * this much to the time from an event to its alert.
 */
export const DETECTION_COALESCE_MS = 250;

function summary(rule: RuleConfig, c: Candidate): string {
  const mins = `${rule.windowMinutes} minute${rule.windowMinutes === 1 ? '' : 's'}`;
  switch (rule.kind) {
    case 'BULK_PII_READ':
      return `${c.observed} personal-data values read in ${mins} (threshold ${rule.threshold})`;
    case 'REPEATED_DENIALS':
      return `${c.observed} refusals in ${mins}${c.user_id ? '' : ' from one address'} (threshold ${rule.threshold})`;
    case 'OFF_HOURS_ACCESS':
      return `${c.observed} access${c.observed === 1 ? '' : 'es'} outside working hours (${rule.offHours.timeZone})`;
    case 'INACTIVE_CREDENTIALS':
      return `credentials of a suspended or offboarded account used ${c.observed} time${c.observed === 1 ? '' : 's'}`;
    case 'REFRESH_TOKEN_REUSE':
      return 'a rotated refresh token was presented again';
    case 'MASS_EXPORT':
      return `${c.observed} records exported in ${mins} (threshold ${rule.threshold})`;
    case 'BREAK_GLASS':
      return 'break-glass access was used';
  }
}

/**
 * Detection close to the writes, without a round trip in any request: each instance's detector is fed by
 * the audit bus (a notification per committed event) and evaluates the tenant's rules with SQL aggregates
 * over the positions it has not seen, then writes alerts, their audit events and automatic responses in
 * one transaction of its own. The tenant's detection_state row is locked for the evaluation and carries
 * the last evaluated position, so each position is evaluated once across all instances; a periodic sweep
 * catches anything a lost notification left behind.
 */
export class Detector {
  /** Per tenant: an evaluation running, another one due, and since when (ms) commits have waited for one. */
  private readonly pending = new Map<string, { running: boolean; again: boolean; since?: number }>();
  private readonly onCommit = (tenantId: string) => this.schedule(tenantId);
  /** After notifications were lost (the database was unreachable): every tenant may have new positions. */
  private readonly onRestored = () => {
    const run = this.evaluateAll().then(
      () => undefined,
      (err: unknown) => logger.warn('detection after reconnecting failed; the sweep retries', { err }),
    );
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  };
  private sweep: { stop(): void } | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  /** Alerts raised by this instance (tests and logs). */
  raised = 0;

  constructor(
    private readonly db: Db,
    private readonly bus: AuditBus,
    private readonly pii: readonly Coordinate[],
    private readonly coalesceMs = DETECTION_COALESCE_MS,
  ) {}

  start(sweepMs = 30_000): this {
    this.bus.commits.on('commit', this.onCommit);
    this.bus.commits.on('restored', this.onRestored);
    this.sweep = every(sweepMs, 'detection sweep', () => this.evaluateAll());
    return this;
  }

  /** Stop listening and wait for evaluations in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.bus.commits.off('commit', this.onCommit);
    this.bus.commits.off('restored', this.onRestored);
    this.sweep?.stop();
    await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Coalesce notifications: one evaluation at a time per tenant, after a short wait that lets a burst of
   * commits join it, and one more (after the same wait) if events came meanwhile.
   */
  schedule(tenantId: string): void {
    const p = this.pending.get(tenantId) ?? { running: false, again: false };
    this.pending.set(tenantId, p);
    p.since ??= performance.now();
    if (p.running) {
      p.again = true;
      return;
    }
    p.running = true;
    const run = (async () => {
      do {
        if (this.coalesceMs > 0) await new Promise((r) => setTimeout(r, this.coalesceMs));
        if (this.stopped) break;
        p.again = false;
        const since = p.since;
        p.since = undefined;
        try {
          await this.evaluate(tenantId);
          if (since !== undefined) metrics.detectionLag((performance.now() - since) / 1000);
        } catch (err) {
          if (!this.stopped) logger[isDatabaseUnavailable(err) ? 'warn' : 'error']('detection failed', { err, tenantId });
        }
      } while (p.again && !this.stopped);
      p.running = false;
    })();
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  async evaluateAll(): Promise<number> {
    const all = await withTenantTx(this.db, null, (tx) => tx.select({ id: tenants.id }).from(tenants));
    let n = 0;
    for (const { id } of all) n += (await this.evaluate(id)).length;
    return n;
  }

  /** Evaluate one tenant's new positions; returns the alerts raised. */
  async evaluate(tenantId: string): Promise<AlertRow[]> {
    const raised: AlertRow[] = [];
    for (;;) {
      const batch = await withTenantTx(this.db, tenantId, (tx) => this.evaluateBatch(tx, tenantId));
      raised.push(...batch.alerts);
      if (!batch.more) return raised;
    }
  }

  private async evaluateBatch(tx: Tx, tenantId: string): Promise<{ alerts: AlertRow[]; more: boolean }> {
    // First evaluation of a tenant: the last hour only, not years of history.
    // The starting point is computed only when the row is missing: over a large log, max(seq) of the
    // events older than an hour is a long scan, and this runs on every batch.
    await tx.execute(sql`insert into detection_state (tenant_id, last_seq)
      select ${tenantId}, coalesce((select max(seq) from audit_events where occurred_at < now() - interval '1 hour'), 0)
      where not exists (select 1 from detection_state where tenant_id = ${tenantId})
      on conflict do nothing`);
    const [state] = await queryRows<{ last_seq: number; head: number | null }>(
      tx,
      // SKIP LOCKED: every instance hears every commit; while one evaluates the tenant the others skip
      // instead of queueing to find nothing new. The one evaluating hears the same commits and runs again.
      sql`select d.last_seq, (select max(seq) from audit_events) as head from detection_state d for update of d skip locked`,
    );
    if (!state) return { alerts: [], more: false };
    const after = Number(state.last_seq);
    const head = state.head === null ? after : Number(state.head);
    if (head <= after) return { alerts: [], more: false };
    const through = Math.min(head, after + BATCH);
    const rules = await effectiveRules(tx);
    const query = candidatesSql(rules, this.pii, after, through);
    const candidates = query ? await queryRows<Candidate>(tx, query) : [];
    const alerts: AlertRow[] = [];
    for (const c of candidates) alerts.push(await this.raise(tx, tenantId, rules.find((r) => r.kind === c.rule)!, c));
    await tx.execute(sql`update detection_state set last_seq = ${through}, evaluated_at = now()`);
    this.raised += alerts.length;
    return { alerts, more: through < head };
  }

  private async raise(tx: Tx, tenantId: string, rule: RuleConfig, c: Candidate): Promise<AlertRow> {
    const seqs = (typeof c.seqs === 'string' ? c.seqs.replace(/[{}]/g, '').split(',') : c.seqs).map(Number).sort((a, b) => a - b);
    const alert = await insertAlert(tx, {
      tenantId,
      rule: rule.kind,
      severity: rule.severity,
      subjectUserId: c.user_id,
      subjectKey: c.subject,
      summary: summary(rule, c),
      observed: Number(c.observed),
      evidenceSeqs: seqs,
      windowStart: new Date(c.since),
      windowEnd: new Date(c.until),
    });
    const system = { tenantId, actorId: null, sessionId: null };
    const outcomes = [];
    for (const kind of rule.responses) outcomes.push(await applyResponse(tx, kind, c.user_id, alert.id));
    await setAlertResponses(tx, alert.id, outcomes);
    await writeAuditEvents(tx, system, null, [
      {
        action: 'alert.raised',
        outcome: 'ALLOWED',
        resourceType: 'SecurityAlert',
        resourceIds: [alert.id],
        detail: { rule: rule.kind, severity: rule.severity, subjectUserId: c.user_id, observed: Number(c.observed), threshold: rule.threshold, evidenceSeqs: seqs.slice(-10) },
      },
      ...outcomes.map((o) => ({
        action: 'alert.response',
        outcome: o.status === 'NOT_AVAILABLE' ? ('FAILED' as const) : ('ALLOWED' as const),
        resourceType: 'User',
        resourceIds: c.user_id ? [c.user_id] : [],
        detail: { alertId: alert.id, response: o.kind, status: o.status, ...o.detail },
      })),
    ]);
    metrics.alert(rule.kind);
    logger.warn('security alert', { tenantId, alertId: alert.id, rule: rule.kind, severity: rule.severity, observed: c.observed });
    return { ...alert, responses: outcomes };
  }
}

/** The personal-data fields of the schema (the BULK_PII_READ rule counts reads of these). */
export function piiCoordinates(requirements: { coordinate: string; sensitive?: { level: string } | undefined }[]): Coordinate[] {
  return requirements.filter((r) => r.sensitive?.level === 'PII').map((r) => {
    const [type, field] = r.coordinate.split('.');
    return { type, field };
  });
}
