import { EventEmitter, on } from 'node:events';
import type { Database, Unlisten } from '../db/client';
import { withTenantTx } from '../db/tenant-tx';
import { isDatabaseUnavailable } from '../db/unavailable';
import { filterMap } from '../lib/async-iter';
import { logger } from '../lib/logger';
import { metrics } from '../metrics/registry';
import { auditEventsAfter, type AuditRow } from './audit.repo';

export const AUDIT_CHANNEL = 'warden_audit';
const READ_BATCH = 500;
const RETRY_MS = 1000;

/**
 * Per tenant: the highest seq handed out on this instance, and the highest seq notified; `catchUp`
 * reads to the end of the table instead (after notifications were lost), `failing` while a read
 * could not reach the database (retried, not skipped).
 */
type TenantCursor = { last: number; target: number; draining: boolean; catchUp?: boolean; failing?: boolean };

/**
 * Committed audit events from every instance: the insert trigger NOTIFYs (tenant, seq) at commit, one
 * LISTEN connection per instance receives it, and the rows are read once per instance (not once per
 * subscriber) under that tenant's row-level security and handed to this instance's subscribers of that
 * tenant only.
 *
 * Per tenant, seq is assigned under a lock held until commit, so notifications arrive in seq order;
 * reads are serialised per tenant and ask for everything after the last row handed out, so subscribers
 * see each tenant's events in chain order, without gaps, and a burst of notifications costs few reads.
 */
export class AuditBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  /** `commit` (tenantId, seq) for every notification, before any row is read: the detector listens here. */
  readonly commits = new EventEmitter().setMaxListeners(0);
  private readonly cursors = new Map<string, TenantCursor>();
  private unlisten: Unlisten | undefined;
  private readonly drains = new Set<Promise<void>>();
  /** Rows read from the database since start (tests hold it to one read per row per instance). */
  rowsRead = 0;
  private stopped = false;

  constructor(private readonly database: Database) {}

  async start(): Promise<void> {
    this.unlisten = await this.database.listen(
      AUDIT_CHANNEL,
      (payload) => this.onNotify(payload),
      () => this.restored(),
    );
  }

  /**
   * LISTEN is back after a loss: commits made meanwhile were not notified. Tenants someone here
   * listens to are read to the end of their log; the others are forgotten (their position is
   * unknown now) and start again at their next notification. The detector hears `restored`.
   */
  private restored(): void {
    for (const [tenantId, cursor] of this.cursors) {
      if (this.emitter.listenerCount(tenantId) === 0 && !cursor.draining) {
        this.cursors.delete(tenantId);
        continue;
      }
      cursor.catchUp = true;
      this.startDrain(tenantId, cursor);
    }
    this.commits.emit('restored');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.unlisten?.();
    this.unlisten = undefined;
    await Promise.allSettled([...this.drains]);
    this.emitter.removeAllListeners();
    this.commits.removeAllListeners();
  }

  private onNotify(payload: string): void {
    let tenantId: string;
    let seq: number;
    try {
      const parsed = JSON.parse(payload) as { tenantId: string; seq: number };
      tenantId = parsed.tenantId;
      seq = Number(parsed.seq);
    } catch (err) {
      logger.error('malformed audit notification', { err });
      return;
    }
    this.commits.emit('commit', tenantId, seq);
    const cursor = this.cursors.get(tenantId) ?? { last: seq - 1, target: seq - 1, draining: false };
    this.cursors.set(tenantId, cursor);
    cursor.target = Math.max(cursor.target, seq);
    if (this.emitter.listenerCount(tenantId) === 0 && !cursor.draining) {
      // Nobody here listens to this tenant: nothing to read, but remember where the chain is.
      cursor.last = cursor.target;
      return;
    }
    this.startDrain(tenantId, cursor);
  }

  private startDrain(tenantId: string, cursor: TenantCursor): void {
    if (cursor.draining || this.stopped) return;
    const drain = this.drain(tenantId, cursor);
    this.drains.add(drain);
    void drain.finally(() => this.drains.delete(drain));
  }

  private async drain(tenantId: string, cursor: TenantCursor): Promise<void> {
    cursor.draining = true;
    try {
      while (cursor.catchUp || cursor.target > cursor.last) {
        const from = cursor.last;
        const through = cursor.catchUp ? undefined : cursor.target;
        const rows = await withTenantTx(this.database.db, tenantId, (tx) => auditEventsAfter(tx, tenantId, from, READ_BATCH, through));
        this.rowsRead += rows.length;
        if (cursor.failing) logger.info('audit notifications flowing again', { tenantId });
        cursor.failing = false;
        const now = Date.now();
        for (const row of rows) {
          metrics.streamLag((now - row.occurredAt.getTime()) / 1000);
          cursor.last = row.seq;
          this.emitter.emit(tenantId, row);
        }
        if (rows.length < READ_BATCH && cursor.catchUp) {
          cursor.catchUp = false;
          cursor.target = Math.max(cursor.target, cursor.last);
        } else if (rows.length === 0) {
          cursor.last = cursor.target; // archived or not visible: nothing to hand out
        }
      }
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        // Keep the position and try again: skipping would lose these events for every subscriber here.
        if (!cursor.failing) logger.warn('audit notification read failed: database unavailable; retrying', { err, tenantId });
        cursor.failing = true;
        setTimeout(() => this.startDrain(tenantId, cursor), RETRY_MS).unref();
      } else {
        logger.error('audit notification failed', { err, tenantId });
        cursor.last = cursor.target;
        cursor.catchUp = false;
      }
    } finally {
      cursor.draining = false;
    }
  }

  /** Events of one tenant, in chain order, as they are committed; listening starts now. Ending the iteration removes the listener. */
  events(tenantId: string): AsyncIterableIterator<AuditRow> {
    return filterMap(on(this.emitter, tenantId), (args: unknown[]) => args[0] as AuditRow);
  }

  /** A callback for every committed row of a tenant (for in-process consumers such as the alert stream). */
  onRow(tenantId: string, fn: (row: AuditRow) => void): () => void {
    this.emitter.on(tenantId, fn);
    return () => this.emitter.off(tenantId, fn);
  }
}
