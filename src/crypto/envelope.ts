import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM (NIST SP 800-38D) with a random 96-bit IV per message, and the versioned ciphertext
 * format stored in the database:
 *
 *   byte 0      format (1)
 *   bytes 1-4   data-key version, uint32 big-endian (which tenant key sealed it)
 *   bytes 5-16  IV
 *   then        ciphertext, and the 16-byte authentication tag last
 *
 * The additional authenticated data (AAD) names the tenant, table, column and row, so a ciphertext
 * copied to another row, column or tenant fails authentication instead of decrypting.
 */
const FORMAT = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + 4 + IV_BYTES;

/** A ciphertext that is malformed, sealed under an unknown key, or fails authentication. */
export class CiphertextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CiphertextError';
  }
}

export type FieldLocation = { tenantId: string; table: string; column: string; rowId: string };

/** The AAD of one field of one row. Unit separators keep the parts from running into each other. */
export function fieldAad(at: FieldLocation): Buffer {
  return Buffer.from(['warden.field.v1', at.tenantId, at.table, at.column, at.rowId].join('\x1f'), 'utf8');
}

/** Raw AES-256-GCM: IV || ciphertext || tag. Also used to wrap data keys under the master key. */
export function gcmSeal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

export function gcmOpen(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new CiphertextError('ciphertext too short');
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new CiphertextError('ciphertext failed authentication');
  }
}

/** Encrypt a field value under a data key, in the versioned format. */
export function sealField(key: { version: number; encKey: Buffer }, plaintext: string, at: FieldLocation): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(FORMAT, 0);
  header.writeUInt32BE(key.version, 1);
  // The header is authenticated too: changing the recorded key version breaks the tag.
  return Buffer.concat([header, gcmSeal(key.encKey, Buffer.from(plaintext, 'utf8'), Buffer.concat([header, fieldAad(at)]))]);
}

/** The data-key version a field ciphertext records. */
export function keyVersionOf(ciphertext: Buffer): number {
  if (ciphertext.length < HEADER_BYTES + TAG_BYTES || ciphertext.readUInt8(0) !== FORMAT) {
    throw new CiphertextError('unknown ciphertext format');
  }
  return ciphertext.readUInt32BE(1);
}

/** Decrypt a field value; `keyFor` returns the data key of a version, or undefined when there is none. */
export function openField(keyFor: (version: number) => { encKey: Buffer } | undefined, ciphertext: Buffer, at: FieldLocation): string {
  const version = keyVersionOf(ciphertext);
  const key = keyFor(version);
  if (!key) throw new CiphertextError(`no data key version ${version}`);
  const header = ciphertext.subarray(0, 5);
  return gcmOpen(key.encKey, ciphertext.subarray(5), Buffer.concat([header, fieldAad(at)])).toString('utf8');
}
