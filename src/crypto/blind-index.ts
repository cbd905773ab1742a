import { createHmac } from 'node:crypto';
import type { DataKey } from './keyring';

/**
 * Keyed blind index for exact-match lookups of encrypted values: HMAC-SHA256 of the normalised value
 * under a per-tenant key of its domain (src/crypto/keyring.ts). Equal values in one tenant give equal
 * indexes; without the key an index says nothing, and two tenants' indexes cannot be correlated.
 */
export const NORMALIZE = {
  /** Digits and a leading +: "138 1234-5678" and "13812345678" are the same phone. */
  phone: (value: string) => value.replace(/[\s\-().]/g, ''),
  email: (value: string) => value.trim().toLowerCase(),
} as const;

export type BlindDomain = keyof typeof NORMALIZE;

export function blindIndex(key: DataKey, domain: BlindDomain, value: string): Buffer {
  return createHmac('sha256', key.blindKey(domain)).update(NORMALIZE[domain](value), 'utf8').digest();
}
