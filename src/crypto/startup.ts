import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { tenantKeys } from '../db/schema';
import { withTenantTx } from '../db/tenant-tx';
import { logger } from '../lib/logger';
import { unwrapDataKey } from './keyring';
import type { MasterKeys } from './master-key';
import { reencryptTable } from './reencrypt';
import { listTenants } from './rotate';
import type { SealedTable } from './sealed-fields';

/**
 * Before serving: every tenant's data keys must unwrap with the configured master keys (a wrong or
 * missing WARDEN_MASTER_KEY stops start-up here, not at the first customer read), and plaintext left
 * from before encryption is sealed and emptied.
 */
export async function prepareEncryption(db: Db, masters: MasterKeys, tables: SealedTable[]): Promise<void> {
  let stale = 0;
  for (const tenant of await listTenants(db)) {
    const rows = await withTenantTx(db, tenant.id, (tx) => tx.select().from(tenantKeys).where(eq(tenantKeys.tenantId, tenant.id)));
    for (const row of rows) {
      try {
        unwrapDataKey(masters, tenant.id, row);
      } catch (err) {
        throw new Error(
          `Cannot unwrap data key version ${row.version} of tenant "${tenant.slug}": ${(err as Error).message}. ` +
            'Start with the master key that wrapped it in WARDEN_MASTER_KEY (or in WARDEN_MASTER_KEY_PREVIOUS while rotating to a new one).',
        );
      }
      if (row.masterKeyId !== masters.current.id) stale++;
    }
    for (const table of tables.filter((t) => Object.values(t.fields).some((f) => f.legacy))) {
      const sealed = await reencryptTable(db, masters, tenant.id, table, { batchSize: 500, legacyOnly: true });
      if (sealed.rows) logger.info('sealed plaintext customer data from before encryption', { tenant: tenant.slug, table: table.table, rows: sealed.rows });
    }
  }
  if (stale) logger.warn('data keys are still wrapped by a previous master key; run npm run keys:rotate -- --rewrap-only', { keys: stale });
}
