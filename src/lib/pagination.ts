import { badInput } from './errors';
import { isUuid } from './global-id';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Keyset position: the sort key (created_at as PostgreSQL text, exact to the microsecond) and the id. */
export type Position = { at: string; id: string };
export type Page = { limit: number; after: Position | null };

export function encodeCursor(p: Position): string {
  return Buffer.from(JSON.stringify([p.at, p.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && value[0].length <= 40 &&
      !Number.isNaN(Date.parse(value[0])) && typeof value[1] === 'string' && isUuid(value[1]) &&
      encodeCursor({ at: value[0], id: value[1] }) === cursor
    ) {
      return { at: value[0], id: value[1] };
    }
  } catch {
    // fall through
  }
  throw badInput('Malformed cursor', { argument: 'after' });
}

export function parsePage(args: { first?: number | null; after?: string | null }): Page {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}`, { argument: 'first', max: MAX_PAGE_SIZE });
  }
  return { limit: first, after: args.after ? decodeCursor(args.after) : null };
}

export type Connection<T> = {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
};

/** Rows were fetched with limit + 1: the extra row only tells that a next page exists. */
export function toConnection<T extends { id: string; cursorAt: string }>(rows: T[], page: Page): Connection<T> {
  const nodes = rows.slice(0, page.limit);
  const edges = nodes.map((node) => ({ cursor: encodeCursor({ at: node.cursorAt, id: node.id }), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > page.limit, endCursor: edges.at(-1)?.cursor ?? null } };
}
