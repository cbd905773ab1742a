import DataLoader from 'dataloader';
import type { RequestContext } from './context';
import { teamsByIds, usersByIds } from '../modules/identity/identity.repo';
import { knowledgeLoaders } from '../modules/knowledge/knowledge.loaders';
import { customersByIds } from '../modules/crm/customer.repo';

/** Rows by id, in the order of the ids, undefined where missing or not visible. */
const byId = <T extends { id: string }>(ids: readonly string[], rows: T[]) => {
  const map = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => map.get(id));
};

/**
 * Per-request loaders. A request belongs to one tenant, and every load runs in its transaction under
 * row-level security and the policy's predicates, so a key never reaches another tenant's row.
 */
export function createLoaders(ctx: RequestContext) {
  return {
    user: new DataLoader(async (ids: readonly string[]) => byId(ids, await ctx.withTx((tx) => usersByIds(tx, ids)))),
    team: new DataLoader(async (ids: readonly string[]) => byId(ids, await ctx.withTx((tx) => teamsByIds(tx, ids)))),
    ...knowledgeLoaders(ctx),
    customer: new DataLoader(async (ids: readonly string[]) => {
      const viewer = await ctx.requireViewer();
      return byId(ids, await ctx.withTx((tx) => customersByIds(tx, viewer, ids)));
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
