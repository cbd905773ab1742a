import DataLoader from 'dataloader';
import type { Viewer } from '../authz/viewer';
import type { Tx } from '../db/client';

/** What a loader needs from the request: its transaction and its viewer. */
export type LoaderContext = {
  withTx<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  requireViewer(): Promise<Viewer>;
  readonly claims: { tid: string } | null;
};

/**
 * Loaders are per request and their cache keys carry the tenant, so a key can never be answered from
 * another tenant's row even if a loader outlived its request by mistake. Every batch runs in the
 * request's transaction under row-level security and the policy's predicates.
 */
const tenantKey = (ctx: LoaderContext) => (key: string) => `${ctx.claims?.tid ?? '-'}:${key}`;

type Fetch<T> = (tx: Tx, viewer: Viewer, keys: readonly string[]) => Promise<T[]>;

/** One row per key (undefined where missing or not visible). */
export function rowLoader<T>(ctx: LoaderContext, fetch: Fetch<T>, keyOf: (row: T) => string) {
  return new DataLoader<string, T | undefined, string>(
    async (keys) => {
      const viewer = await ctx.requireViewer();
      const rows = await ctx.withTx((tx) => fetch(tx, viewer, keys));
      const map = new Map(rows.map((r) => [keyOf(r), r]));
      return keys.map((k) => map.get(k));
    },
    { cacheKeyFn: tenantKey(ctx) },
  );
}

/** Every row belonging to each key (a one-to-many relation), in the order the query returned them. */
export function groupLoader<T>(ctx: LoaderContext, fetch: Fetch<T>, keyOf: (row: T) => string, onRows?: (rows: T[]) => void) {
  return new DataLoader<string, T[], string>(
    async (keys) => {
      const viewer = await ctx.requireViewer();
      const rows = await ctx.withTx((tx) => fetch(tx, viewer, keys));
      onRows?.(rows);
      const groups = new Map<string, T[]>(keys.map((k) => [k, []]));
      for (const r of rows) groups.get(keyOf(r))?.push(r);
      return keys.map((k) => groups.get(k) ?? []);
    },
    { cacheKeyFn: tenantKey(ctx) },
  );
}

/**
 * A page of a paginated relation for each parent: keys are `{ parentId, page }`, and parents asking for
 * the same page shape are answered by one statement (a LATERAL join), whatever their number.
 */
export function pageLoader<P, T extends { parentId: string }>(
  ctx: LoaderContext,
  fetch: (tx: Tx, viewer: Viewer, parentIds: readonly string[], page: P) => Promise<T[]>,
  onRows?: (rows: T[]) => void,
) {
  type Key = { parentId: string; page: P };
  return new DataLoader<Key, T[], string>(
    async (keys) => {
      const viewer = await ctx.requireViewer();
      const byPage = new Map<string, { page: P; parentIds: string[] }>();
      for (const k of keys) {
        const shape = JSON.stringify(k.page);
        if (!byPage.has(shape)) byPage.set(shape, { page: k.page, parentIds: [] });
        byPage.get(shape)!.parentIds.push(k.parentId);
      }
      const results = new Map<string, T[]>();
      for (const [shape, group] of byPage) {
        const rows = await ctx.withTx((tx) => fetch(tx, viewer, group.parentIds, group.page));
        onRows?.(rows);
        for (const id of group.parentIds) results.set(`${shape}|${id}`, []);
        for (const r of rows) results.get(`${shape}|${r.parentId}`)?.push(r);
      }
      return keys.map((k) => results.get(`${JSON.stringify(k.page)}|${k.parentId}`) ?? []);
    },
    { cacheKeyFn: (k) => tenantKey(ctx)(`${k.parentId}|${JSON.stringify(k.page)}`) },
  );
}
