import type { GraphQLError } from 'graphql';
import { authorize } from '../authz/authorize';
import type { Permission } from '../authz/permissions';
import type { RequestContext } from '../server/context';

/** How stale a subscription's authorization may get while events flow (the session and role are re-read). */
export const STREAM_RECHECK_MS = 1000;

/**
 * Authorization for every event of a long-lived subscription: the tenant is compared on every event
 * (free), and the viewer (session live, account active, permission still held) is re-read at most once
 * per STREAM_RECHECK_MS while events flow, so revoking access ends a stream within about a second.
 */
export function streamGuard(ctx: RequestContext, coordinate: string, permissions: Permission[]) {
  let checkedAt = Date.now();
  return async (eventTenantId: string): Promise<true | GraphQLError | 'skip'> => {
    const viewer = await ctx.viewer();
    if (!viewer || eventTenantId !== viewer.tenantId) return 'skip';
    if (Date.now() - checkedAt < STREAM_RECHECK_MS) return true;
    checkedAt = Date.now();
    await ctx.reloadViewer();
    return authorize({ kind: 'auth', permissions }, ctx, coordinate);
  };
}

/** What a guarded stream yields: an item, or the refusal that ends it (the resolver throws it). */
export type Guarded<T> = T | { refused: GraphQLError };
export const isRefusal = <T>(v: Guarded<T>): v is { refused: GraphQLError } => typeof v === 'object' && v !== null && 'refused' in v;
