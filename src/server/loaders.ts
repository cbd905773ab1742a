import DataLoader from 'dataloader';
import type { RequestContext } from './context';
import { usersByIds } from '../modules/identity/identity.repo';
import { knowledgeLoaders } from '../modules/knowledge/knowledge.loaders';
import { grantsByIds } from '../modules/access/grant.repo';
import { rolesByIds } from '../modules/access/role.repo';
import { memberIdsOfTeams } from '../modules/access/team.repo';
import { crmLoaders } from '../modules/crm/crm.loaders';

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
  const user = new DataLoader(async (ids: readonly string[]) => byId(ids, await ctx.withTx((tx) => usersByIds(tx, ids))));
  const users_ = async (ids: string[]) => {
    const rows = await user.loadMany(ids);
    return new Map(rows.flatMap((u) => (u && !(u instanceof Error) ? [[u.id, u] as const] : [])));
  };
  return {
    user,
    ...knowledgeLoaders(ctx),
    ...crmLoaders(ctx),
    role: new DataLoader(async (ids: readonly string[]) => byId(ids, await ctx.withTx((tx) => rolesByIds(tx, ids)))),
    grant: new DataLoader(async (ids: readonly string[]) => byId(ids, await ctx.withTx((tx) => grantsByIds(tx, ids)))),
    /** Members of teams: one statement for the member ids, then the user loader (one more) for all of them. */
    teamMembers: new DataLoader(async (teamIds: readonly string[]) => {
      const pairs = await ctx.withTx((tx) => memberIdsOfTeams(tx, teamIds));
      const users = await users_(pairs.map((p) => p.userId));
      return teamIds.map((t) => pairs.flatMap((p) => (p.teamId === t && users.has(p.userId) ? [users.get(p.userId)!] : [])));
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
