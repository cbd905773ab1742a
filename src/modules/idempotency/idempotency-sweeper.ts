import { tenants } from '../../db/schema';
import type { Db } from '../../db/client';
import { withTenantTx } from '../../db/tenant-tx';
import { every } from '../../lib/interval-job';
import { deleteExpired } from './idempotency.repo';

const BATCH = 1000;

/**
 * Remove expired idempotency keys, tenant by tenant, in batches. It only tidies up: a lookup ignores
 * (and removes) an expired key itself, so a key is reusable on time whether or not this has run.
 */
export async function sweepExpiredKeys(db: Db): Promise<number> {
  const all = await withTenantTx(db, null, (tx) => tx.select({ id: tenants.id }).from(tenants));
  let removed = 0;
  for (const { id } of all) {
    for (;;) {
      const n = await withTenantTx(db, id, (tx) => deleteExpired(tx, BATCH));
      removed += n;
      if (n < BATCH) break;
    }
  }
  return removed;
}

export const startIdempotencySweeper = (db: Db, everyMs: number) => every(everyMs, 'idempotency key sweep', () => sweepExpiredKeys(db));
