import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { queryRows } from '../db/rows';
import { tenantKeys } from '../db/schema';
import { withTenantTx } from '../db/tenant-tx';
import { insertNextVersion, rewrapDataKeys } from './keyring';
import type { MasterKeys } from './master-key';
import { reencryptTable, type ReencryptResult } from './reencrypt';
import type { SealedTable } from './sealed-fields';

export type RotationOptions = {
  /** Create a new data-key version and move every row to it (false: only re-wrap under the current master key). */
  newDataKey: boolean;
  batchSize: number;
  tables: SealedTable[];
};

export type TenantRotation = {
  tenant: string;
  rewrapped: number;
  activeVersion: number | null;
  reencrypted: ReencryptResult[];
  retired: number[];
};

export async function listTenants(db: Db): Promise<{ id: string; slug: string }[]> {
  return withTenantTx(db, null, (tx) => queryRows<{ id: string; slug: string }>(tx, sql`select id::text as id, slug from tenants order by slug`));
}

/**
 * Rotate one tenant's keys while the server runs (each step its own short transactions):
 *   1. re-wrap data keys still wrapped by an earlier master key;
 *   2. create a new data-key version: from its commit on, writers seal with it;
 *   3. re-encrypt every row sealed by an older version, in batches;
 *   4. retire the older versions. Writers hold their key row FOR SHARE until they commit, so this waits
 *      for anything still being sealed with an old key...
 *   5. ...which a last pass then re-encrypts. Retired versions still open old ciphertexts.
 */
export async function rotateTenant(db: Db, masters: MasterKeys, tenant: { id: string; slug: string }, opts: RotationOptions): Promise<TenantRotation> {
  const rewrapped = await withTenantTx(db, tenant.id, (tx) => rewrapDataKeys(tx, masters, tenant.id));
  if (!opts.newDataKey) return { tenant: tenant.slug, rewrapped, activeVersion: null, reencrypted: [], retired: [] };
  const activeVersion = await withTenantTx(db, tenant.id, (tx) => insertNextVersion(tx, masters, tenant.id));
  const pass = async () => {
    const results: ReencryptResult[] = [];
    for (const table of opts.tables) results.push(await reencryptTable(db, masters, tenant.id, table, { batchSize: opts.batchSize }));
    return results;
  };
  const first = await pass();
  const retired = await withTenantTx(db, tenant.id, async (tx) =>
    (
      await tx
        .update(tenantKeys)
        .set({ retiredAt: sql`now()` as unknown as Date })
        .where(and(eq(tenantKeys.tenantId, tenant.id), lt(tenantKeys.version, activeVersion), isNull(tenantKeys.retiredAt)))
        .returning({ version: tenantKeys.version })
    ).map((r) => r.version),
  );
  const last = await pass();
  const reencrypted = first.map((r, i) => ({ table: r.table, rows: r.rows + last[i].rows, failed: [...new Set([...r.failed, ...last[i].failed])] }));
  return { tenant: tenant.slug, rewrapped, activeVersion, reencrypted, retired };
}
