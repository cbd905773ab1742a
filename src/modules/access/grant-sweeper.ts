import { tenants } from '../../db/schema';
import type { Db } from '../../db/client';
import { withTenantTx } from '../../db/tenant-tx';
import { writeAuditEvents } from '../../audit/writer';
import { every } from '../../lib/interval-job';
import { markExpiryRecorded, unrecordedExpiries } from './grant.repo';

/**
 * Records grant expiries in the audit log. It only tidies up: decisions compare `expires_at` with the
 * moment of the decision, so a grant stops working on time whether or not this has run.
 */
export async function sweepExpiredGrants(db: Db): Promise<number> {
  const all = await withTenantTx(db, null, (tx) => tx.select({ id: tenants.id }).from(tenants));
  let recorded = 0;
  for (const { id: tenantId } of all) {
    recorded += await withTenantTx(db, tenantId, async (tx) => {
      const expired = await unrecordedExpiries(tx, 500);
      if (!expired.length) return 0;
      await markExpiryRecorded(tx, expired.map((g) => g.id));
      await writeAuditEvents(
        tx,
        { tenantId, actorId: null, sessionId: null },
        null,
        expired.map((g) => ({
          action: 'grant.expired',
          outcome: 'ALLOWED',
          resourceType: 'AccessGrant',
          resourceIds: [g.id, g.resourceId],
          detail: { permission: g.permission, expiresAt: g.expiresAt.toISOString(), userId: g.userId, teamId: g.teamId, roleId: g.roleId },
        })),
      );
      return expired.length;
    });
  }
  return recorded;
}

export const startGrantSweeper = (db: Db, everyMs: number) => every(everyMs, 'grant sweeper', () => sweepExpiredGrants(db));
