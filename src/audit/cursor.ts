import { badInput } from '../lib/errors';

/** Audit cursors are chain positions: opaque to clients, strict when read back. */
export const encodeSeq = (seq: number): string => Buffer.from(`seq:${seq}`).toString('base64url');

export function decodeSeq(cursor: string, argument = 'after'): number {
  const m = cursor.length <= 40 ? /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8')) : null;
  if (!m || encodeSeq(Number(m[1])) !== cursor) throw badInput('Malformed cursor', { argument });
  return Number(m[1]);
}
