import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { queryRows } from '../db/rows';
import { withTenantTx } from '../db/tenant-tx';
import { CiphertextError } from './envelope';
import { activeKeyForWrite, TenantKeyRing } from './keyring';
import type { MasterKeys } from './master-key';
import { openSealed, sealFields, type SealedTable } from './sealed-fields';

export type ReencryptResult = { table: string; rows: number; failed: string[] };

const toBuffer = (v: unknown): Buffer | null => (v === null || v === undefined ? null : Buffer.from(v as Uint8Array));
const ident = (name: string) => sql.identifier(name);

/**
 * Move one tenant's rows of a sealed table to the active data key, a batch per transaction, so the
 * server keeps serving: each batch locks only its own rows, and readers accept old and new versions.
 * `legacyOnly` seals the rows still holding plaintext from before encryption (and empties those columns).
 * A row whose ciphertext fails authentication is left as it is and reported, never rewritten.
 */
export async function reencryptTable(
  db: Db,
  masters: MasterKeys,
  tenantId: string,
  spec: SealedTable,
  opts: { batchSize: number; legacyOnly?: boolean },
): Promise<ReencryptResult> {
  const fields = Object.entries(spec.fields);
  const selected = sql.join(
    [sql`id::text as id`, sql`pii_key_version`, ...fields.flatMap(([, f]) => [ident(`${f.column}_ct`), ...(f.legacy ? [ident(f.legacy)] : [])])],
    sql`, `,
  );
  const result: ReencryptResult = { table: spec.table, rows: 0, failed: [] };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const batchSize = await withTenantTx(db, tenantId, async (tx) => {
      const key = await activeKeyForWrite(tx, masters, tenantId);
      const stale: SQL = opts.legacyOnly ? sql`pii_key_version is null` : sql`pii_key_version is distinct from ${key.version}`;
      const rows = await queryRows<Record<string, unknown> & { id: string; pii_key_version: number | null }>(
        tx,
        sql`select ${selected} from ${ident(spec.table)}
            where tenant_id = ${tenantId} and id > ${after}::uuid and ${stale}
            order by id limit ${opts.batchSize} for update`,
      );
      const ring = rows.length ? await TenantKeyRing.load(tx, masters, tenantId) : undefined;
      for (const row of rows) {
        try {
          const plain = Object.fromEntries(
            fields.map(([name, f]) => [
              name,
              row.pii_key_version === null ? ((row[f.legacy ?? ''] as string | null | undefined) ?? null) : openSealed(spec, name, ring!, row.id, toBuffer(row[`${f.column}_ct`])),
            ]),
          );
          const sealed = sealFields(spec, key, tenantId, row.id, plain);
          const sets = fields.flatMap(([name, f]) => [
            sql`${ident(`${f.column}_ct`)} = ${sealed.ciphertexts[name]}`,
            ...(f.blind ? [sql`${ident(`${f.column}_bidx`)} = ${sealed.blindIndexes[name] ?? null}`] : []),
            ...(f.legacy ? [sql`${ident(f.legacy)} = null`] : []),
          ]);
          await tx.execute(
            sql`update ${ident(spec.table)} set ${sql.join(sets, sql`, `)}, pii_key_version = ${key.version} where tenant_id = ${tenantId} and id = ${row.id}::uuid`,
          );
          result.rows++;
        } catch (err) {
          if (!(err instanceof CiphertextError)) throw err;
          result.failed.push(row.id);
        }
      }
      if (rows.length) after = rows[rows.length - 1].id;
      return rows.length;
    });
    if (batchSize < opts.batchSize) return result;
  }
}
