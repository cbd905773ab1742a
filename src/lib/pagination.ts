import { badInput } from './errors';
import { isUuid } from './global-id';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Keyset position: the sort key (created_at as PostgreSQL text, exact to the microsecond) and the id. */
export type Position = { at: string; id: string };
export type Page = { limit: number; after: Position | null; kind?: string };

/**
 * A cursor is base64url JSON of the position; lists that pass a `kind` also bind their cursors to it,
 * so a cursor from another list is refused instead of being read as a position in this one.
 */
export function encodeCursor(p: Position, kind?: string): string {
  return Buffer.from(JSON.stringify(kind ? [kind, p.at, p.id] : [p.at, p.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, kind?: string): Position {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (Array.isArray(value)) {
    if (kind !== undefined && value[0] !== kind) throw badInput('The cursor belongs to another list', { argument: 'after' });
    const [at, id, ...rest] = kind !== undefined ? value.slice(1) : value;
    if (
      rest.length === 0 && typeof at === 'string' && at.length <= 40 && !Number.isNaN(Date.parse(at)) &&
      typeof id === 'string' && isUuid(id) && encodeCursor({ at, id }, kind) === cursor
    ) {
      return { at, id };
    }
  }
  throw badInput('Malformed cursor', { argument: 'after' });
}

export function parsePage(args: { first?: number | null; after?: string | null }, kind?: string): Page {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}`, { argument: 'first', max: MAX_PAGE_SIZE });
  }
  return { limit: first, after: args.after ? decodeCursor(args.after, kind) : null, kind };
}

export type Connection<T> = {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
};

/** Rows were fetched with limit + 1: the extra row only tells that a next page exists. */
export function toConnection<T extends { id: string; cursorAt: string }>(rows: T[], page: Page): Connection<T> {
  const nodes = rows.slice(0, page.limit);
  const edges = nodes.map((node) => ({ cursor: encodeCursor({ at: node.cursorAt, id: node.id }, page.kind), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > page.limit, endCursor: edges.at(-1)?.cursor ?? null } };
}
