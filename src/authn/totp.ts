import { createHash, randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';

/** TOTP (RFC 6238) with otplib: SHA-1, 6 digits, 30-second steps, as authenticator apps expect. */
export const TOTP_PERIOD = 30;

export const newTotpSecret = (): string => generateSecret({ length: 20 });

export const totpUri = (issuer: string, account: string, secret: string): string =>
  generateURI({ issuer, label: account, secret, period: TOTP_PERIOD, digits: 6, algorithm: 'sha1' });

/**
 * Check a code with a window of one step either side (clock drift), refusing any step at or before
 * the last one accepted: a code works once, and an older code never works after a newer one.
 * Returns the time step to remember, or null.
 */
export async function checkTotp(secret: string, code: string, lastStep: number | null): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  const result = await verify({
    secret,
    token: code,
    period: TOTP_PERIOD,
    epochTolerance: TOTP_PERIOD,
    ...(lastStep !== null && { afterTimeStep: lastStep }),
  });
  return result.valid ? (result as { timeStep: number }).timeStep : null;
}

/** Ten recovery codes, xxxxx-xxxxx from an unambiguous alphabet (about 50 bits each); shown once. */
export function newRecoveryCodes(count = 10): string[] {
  const alphabet = '23456789abcdefghjkmnpqrstuvwxyz';
  return Array.from({ length: count }, () => {
    const bytes = randomBytes(10);
    const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** Recovery codes are long random strings, so a plain SHA-256 is enough (no offline guessing to slow). */
export const hashRecoveryCode = (code: string): string =>
  createHash('sha256').update(code.trim().toLowerCase().replace(/\s+/g, '')).digest('hex');

export const looksLikeRecoveryCode = (code: string): boolean => /^[2-9a-z]{5}-?[2-9a-z]{5}$/i.test(code.trim());
