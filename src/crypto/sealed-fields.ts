import { blindIndex, type BlindDomain } from './blind-index';
import { openField, sealField, type FieldLocation } from './envelope';
import type { DataKey, TenantKeyRing } from './keyring';

/**
 * Which columns of a table are encrypted. By convention a field stored in `<column>_ct` (ciphertext),
 * optionally `<column>_bidx` (blind index), and the row's `pii_key_version` names the data key that
 * sealed all of them; `legacy` is a plaintext column from before encryption, emptied when sealed.
 */
export type SealedColumn = { column: string; blind?: BlindDomain; legacy?: string };
export type SealedTable<F extends string = string> = { table: string; fields: Record<F, SealedColumn> };

export type SealedValues<F extends string> = {
  keyVersion: number;
  ciphertexts: Record<F, Buffer | null>;
  blindIndexes: Partial<Record<F, Buffer | null>>;
};

const at = (spec: SealedTable, field: string, tenantId: string, rowId: string): FieldLocation => ({
  tenantId,
  table: spec.table,
  column: spec.fields[field].column,
  rowId,
});

/** Seal every encrypted field of one row with one data key (null stays null, with no blind index). */
export function sealFields<F extends string>(spec: SealedTable<F>, key: DataKey, tenantId: string, rowId: string, plain: Record<F, string | null>): SealedValues<F> {
  const ciphertexts = {} as Record<F, Buffer | null>;
  const blindIndexes: Partial<Record<F, Buffer | null>> = {};
  for (const field of Object.keys(spec.fields) as F[]) {
    const value = plain[field];
    const { blind } = spec.fields[field];
    ciphertexts[field] = value === null ? null : sealField(key, value, at(spec, field, tenantId, rowId));
    if (blind) blindIndexes[field] = value === null ? null : blindIndex(key, blind, value);
  }
  return { keyVersion: key.version, ciphertexts, blindIndexes };
}

/** Open one field; throws CiphertextError when it fails authentication or its key is unknown. */
export function openSealed(spec: SealedTable, field: string, ring: TenantKeyRing, rowId: string, ciphertext: Buffer | null): string | null {
  if (ciphertext === null) return null;
  return openField((v) => ring.get(v), ciphertext, at(spec, field, ring.tenantId, rowId));
}

/** Blind indexes of a value under every data-key version, so lookups work while a rotation is under way. */
export function blindIndexesOf(domain: BlindDomain, ring: TenantKeyRing, value: string): Buffer[] {
  return ring.all().map((key) => blindIndex(key, domain, value));
}
