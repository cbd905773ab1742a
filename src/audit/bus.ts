import { EventEmitter, on } from 'node:events';
import type { Database, Unlisten } from '../db/client';
import { withTenantTx } from '../db/tenant-tx';
import { filterMap } from '../lib/async-iter';
import { logger } from '../lib/logger';
import { auditEventAt, type AuditRow } from './audit.repo';

export const AUDIT_CHANNEL = 'warden_audit';

/**
 * Committed audit events from every instance: the insert trigger NOTIFYs (tenant, seq) at commit, one
 * LISTEN connection per instance receives it, the row is read once under that tenant's row-level
 * security and handed to this instance's subscribers of that tenant only.
 */
export class AuditBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private unlisten: Unlisten | undefined;

  constructor(private readonly database: Database) {}

  async start(): Promise<void> {
    this.unlisten = await this.database.listen(AUDIT_CHANNEL, (payload) => void this.onNotify(payload));
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    this.unlisten = undefined;
    this.emitter.removeAllListeners();
  }

  private async onNotify(payload: string): Promise<void> {
    try {
      const { tenantId, seq } = JSON.parse(payload) as { tenantId: string; seq: number };
      if (this.emitter.listenerCount(tenantId) === 0) return;
      const row = await withTenantTx(this.database.db, tenantId, (tx) => auditEventAt(tx, tenantId, Number(seq)));
      if (row) this.emitter.emit(tenantId, row);
    } catch (err) {
      logger.error('audit notification failed', { err });
    }
  }

  /** Events of one tenant, as they are committed; listening starts now. Ending the iteration removes the listener. */
  events(tenantId: string): AsyncIterableIterator<AuditRow> {
    return filterMap(on(this.emitter, tenantId), (args: unknown[]) => args[0] as AuditRow);
  }
}
