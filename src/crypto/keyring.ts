import { hkdfSync, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, ne, sql } from 'drizzle-orm';
import type { Tx } from '../db/client';
import { tenantKeys } from '../db/schema';
import { CiphertextError, gcmOpen, gcmSeal } from './envelope';
import type { MasterKeys } from './master-key';

/**
 * Envelope keys: a tenant's data key (32 random bytes, one per version) is stored wrapped by the master
 * key; the keys actually used are derived from it with HKDF-SHA256 (RFC 5869), one for AES-256-GCM and
 * one per blind-index domain (phone, email), so no key serves two purposes.
 */
export class DataKey {
  readonly encKey: Buffer;
  private readonly blind = new Map<string, Buffer>();

  constructor(
    readonly version: number,
    private readonly raw: Buffer,
  ) {
    this.encKey = derive(raw, 'warden.field-encryption.aes-256-gcm.v1');
  }

  /**
   * HMAC key of a blind-index domain. Per domain, not per column: a phone number indexes the same in
   * customers and in contacts, so one lookup finds both; phones and e-mails cannot be correlated.
   */
  blindKey(domain: string): Buffer {
    let key = this.blind.get(domain);
    if (!key) this.blind.set(domain, (key = derive(this.raw, `warden.blind-index.hmac-sha256.v1/${domain}`)));
    return key;
  }
}

const derive = (ikm: Buffer, info: string) => Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), info, 32));

/** The wrapped key is bound to its tenant and version: moved to another row, it does not unwrap. */
const wrapAad = (tenantId: string, version: number) => Buffer.from(`warden.tenant-key.v1\x1f${tenantId}\x1f${version}`, 'utf8');

export function wrapDataKey(masters: MasterKeys, tenantId: string, version: number, raw: Buffer) {
  return { wrappedKey: gcmSeal(masters.current.key, raw, wrapAad(tenantId, version)), masterKeyId: masters.current.id };
}

type WrappedRow = { version: number; wrappedKey: Buffer; masterKeyId: string };

export function unwrapDataKey(masters: MasterKeys, tenantId: string, row: WrappedRow): Buffer {
  const master = masters.byId(row.masterKeyId);
  if (!master) {
    throw new CiphertextError(
      `data key version ${row.version} is wrapped by master key ${row.masterKeyId}, which is not configured (WARDEN_MASTER_KEY / WARDEN_MASTER_KEY_PREVIOUS)`,
    );
  }
  return gcmOpen(master.key, row.wrappedKey, wrapAad(tenantId, row.version));
}

const wrappedColumns = { version: tenantKeys.version, wrappedKey: tenantKeys.wrappedKey, masterKeyId: tenantKeys.masterKeyId };

/**
 * Every data-key version of one tenant, read in one statement and unwrapped on first use. Built once
 * per request: a rotation done by another process is seen by the next request.
 */
export class TenantKeyRing {
  private readonly keys = new Map<number, DataKey>();

  private constructor(
    private readonly masters: MasterKeys,
    readonly tenantId: string,
    private readonly rows: WrappedRow[],
  ) {}

  static async load(tx: Tx, masters: MasterKeys, tenantId: string): Promise<TenantKeyRing> {
    const rows = await tx.select(wrappedColumns).from(tenantKeys).where(eq(tenantKeys.tenantId, tenantId));
    return new TenantKeyRing(masters, tenantId, rows);
  }

  get versions(): number[] {
    return this.rows.map((r) => r.version);
  }

  /** The data key of a version, or undefined when the tenant has none by that number. */
  get(version: number): DataKey | undefined {
    let key = this.keys.get(version);
    if (key) return key;
    const row = this.rows.find((r) => r.version === version);
    if (!row) return undefined;
    this.keys.set(version, (key = new DataKey(version, unwrapDataKey(this.masters, this.tenantId, row))));
    return key;
  }

  all(): DataKey[] {
    return this.versions.map((v) => this.get(v)!);
  }
}

/**
 * The key new data is sealed with: the newest version not retired. Read FOR SHARE, so a rotation cannot
 * retire it until this transaction has committed what it sealed (the rotation then re-encrypts that too).
 * A tenant without a key gets version 1; concurrent first writers meet on the primary key.
 */
export async function activeKeyForWrite(tx: Tx, masters: MasterKeys, tenantId: string): Promise<DataKey> {
  const current = () =>
    tx
      .select(wrappedColumns)
      .from(tenantKeys)
      .where(and(eq(tenantKeys.tenantId, tenantId), isNull(tenantKeys.retiredAt)))
      .orderBy(desc(tenantKeys.version))
      .limit(1)
      .for('share');
  let [row] = await current();
  if (!row) {
    await insertNextVersion(tx, masters, tenantId, { ignoreConflict: true });
    [row] = await current();
    if (!row) throw new Error(`tenant ${tenantId} has no active data key`);
  }
  return new DataKey(row.version, unwrapDataKey(masters, tenantId, row));
}

/** Create the next data-key version; it seals everything written from now on. Returns its number. */
export async function insertNextVersion(tx: Tx, masters: MasterKeys, tenantId: string, opts: { ignoreConflict?: boolean } = {}): Promise<number> {
  const [{ next }] = await tx
    .select({ next: sql<number>`coalesce(max(${tenantKeys.version}), 0)::int + 1` })
    .from(tenantKeys)
    .where(eq(tenantKeys.tenantId, tenantId));
  const insert = tx.insert(tenantKeys).values({ tenantId, version: next, ...wrapDataKey(masters, tenantId, next, randomBytes(32)) });
  await (opts.ignoreConflict ? insert.onConflictDoNothing() : insert);
  return next;
}

/** Re-wrap every version not wrapped by the current master key (after WARDEN_MASTER_KEY changed). */
export async function rewrapDataKeys(tx: Tx, masters: MasterKeys, tenantId: string): Promise<number> {
  const stale = await tx
    .select(wrappedColumns)
    .from(tenantKeys)
    .where(and(eq(tenantKeys.tenantId, tenantId), ne(tenantKeys.masterKeyId, masters.current.id)))
    .for('update');
  for (const row of stale) {
    const raw = unwrapDataKey(masters, tenantId, row);
    await tx
      .update(tenantKeys)
      .set(wrapDataKey(masters, tenantId, row.version, raw))
      .where(and(eq(tenantKeys.tenantId, tenantId), eq(tenantKeys.version, row.version)));
  }
  return stale.length;
}
