import { CiphertextError, keyVersionOf } from '../../crypto/envelope';
import { activeKeyForWrite, TenantKeyRing } from '../../crypto/keyring';
import { openSealed, sealFields, type SealedTable, type SealedValues } from '../../crypto/sealed-fields';
import type { Tx } from '../../db/client';
import type { RequestContext } from '../../server/context';

/**
 * The tenant's data keys for one request, read once (one statement) when the first encrypted field is
 * opened. A field sealed by a version newer than the ring (a rotation finished meanwhile) reloads it once.
 */
export class RequestKeyRing {
  private ring: Promise<TenantKeyRing> | undefined;

  constructor(private readonly ctx: RequestContext) {}

  get(): Promise<TenantKeyRing> {
    this.ring ??= this.load();
    return this.ring;
  }

  reload(): Promise<TenantKeyRing> {
    this.ring = this.load();
    return this.ring;
  }

  private async load(): Promise<TenantKeyRing> {
    const viewer = await this.ctx.requireViewer();
    return this.ctx.withTx((tx) => TenantKeyRing.load(tx, this.ctx.services.masterKeys, viewer.tenantId));
  }
}

/** A field that could not be decrypted: never shown as a value; the client sees a masked internal error. */
export class UnreadableFieldError extends Error {
  constructor(readonly coordinate: string) {
    super(`${coordinate} could not be decrypted`);
    this.name = 'UnreadableFieldError';
  }
}

async function open(ctx: RequestContext, spec: SealedTable, field: string, rowId: string, ciphertext: Buffer): Promise<string | null> {
  let ring = await ctx.loaders.keyRing.get();
  if (!ring.versions.includes(keyVersionOf(ciphertext))) ring = await ctx.loaders.keyRing.reload();
  return openSealed(spec, field, ring, rowId, ciphertext);
}

/**
 * The plaintext of one encrypted field of a row, for its resolver (which the authorization transform
 * wraps: masking sees plaintext). A ciphertext that fails authentication (tampered, or copied from
 * another row) is logged and audited and becomes an error for this field only, never a wrong value.
 */
export async function openSealedField(
  ctx: RequestContext,
  spec: SealedTable,
  meta: { type: string; field: string },
  row: { id: string },
  ciphertext: Buffer | null,
): Promise<string | null> {
  if (ciphertext === null) return null;
  try {
    return await open(ctx, spec, meta.field, row.id, ciphertext);
  } catch (err) {
    if (!(err instanceof CiphertextError)) throw err;
    const coordinate = `${meta.type}.${meta.field}`;
    ctx.log.error('encrypted field failed to open', { coordinate, rowId: row.id, reason: err.message });
    ctx.audit.record({ action: 'pii.decrypt_failed', outcome: 'FAILED', resourceType: meta.type, resourceIds: [row.id], field: meta.field, detail: { reason: err.message } });
    throw new UnreadableFieldError(coordinate);
  }
}

/** Open every encrypted field of a row except those about to be replaced (so a damaged field can be rewritten). */
export async function openForRewrite<F extends string>(
  ctx: RequestContext,
  spec: SealedTable<F>,
  type: string,
  row: { id: string },
  ciphertexts: Record<F, Buffer | null>,
  replaced: Partial<Record<F, unknown>>,
): Promise<Record<F, string | null>> {
  const out = {} as Record<F, string | null>;
  for (const field of Object.keys(spec.fields) as F[]) {
    out[field] = field in replaced ? null : await openSealedField(ctx, spec, { type, field }, row, ciphertexts[field]);
  }
  return out;
}

/** Seal a row's encrypted fields with the tenant's active data key, inside the mutation's transaction. */
export async function sealForWrite<F extends string>(
  ctx: RequestContext,
  tx: Tx,
  spec: SealedTable<F>,
  tenantId: string,
  rowId: string,
  plain: Record<F, string | null>,
): Promise<SealedValues<F>> {
  const key = await activeKeyForWrite(tx, ctx.services.masterKeys, tenantId);
  return sealFields(spec, key, tenantId, rowId, plain);
}
