import { badInput } from './errors';
import { isUuid } from './global-id';

/**
 * Opaque cursors for orders other than newest-first (search rank, version number): base64url of a JSON
 * array that starts with a tag naming the list. A cursor of another list, a tampered or a truncated one
 * is BAD_USER_INPUT.
 */
type Shape = 'text' | 'int' | 'uuid' | 'real';

const valid: Record<Shape, (v: unknown) => boolean> = {
  text: (v) => typeof v === 'string' && v.length <= 64,
  int: (v) => Number.isSafeInteger(v),
  uuid: (v) => typeof v === 'string' && isUuid(v),
  // A float4 as PostgreSQL prints it (shortest exact form), compared as real in SQL.
  real: (v) => typeof v === 'string' && /^-?\d+(\.\d+)?(e[-+]?\d+)?$/.test(v) && v.length <= 32,
};

export function encodeTaggedCursor(tag: string, values: (string | number)[]): string {
  return Buffer.from(JSON.stringify([tag, ...values]), 'utf8').toString('base64url');
}

export function decodeTaggedCursor(cursor: string, tag: string, shape: Shape[]): (string | number)[] {
  try {
    const value: unknown = cursor.length <= 512 ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : null;
    if (
      Array.isArray(value) && value.length === shape.length + 1 && value[0] === tag &&
      shape.every((s, i) => valid[s](value[i + 1])) && encodeTaggedCursor(tag, value.slice(1)) === cursor
    ) {
      return value.slice(1) as (string | number)[];
    }
  } catch {
    // fall through
  }
  throw badInput('Malformed cursor', { argument: 'after' });
}
