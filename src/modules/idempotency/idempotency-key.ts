import { badInput } from '../../lib/errors';

/**
 * The Idempotency-Key request header (IETF httpapi draft "The Idempotency-Key HTTP Header Field"):
 * 1 to 255 visible ASCII characters. The draft writes it as a structured-field string ("..."); the
 * quotes are taken off, so `Idempotency-Key: "abc"` and `Idempotency-Key: abc` name the same key.
 * Returns undefined when the header is absent; throws BAD_USER_INPUT when it is malformed.
 */
export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = /^"(.*)"$/.test(header) ? header.slice(1, -1) : header;
  if (!/^[\x21-\x7e]{1,255}$/.test(value)) {
    throw badInput('Idempotency-Key must be 1 to 255 visible ASCII characters', { header: 'Idempotency-Key' });
  }
  return value;
}
