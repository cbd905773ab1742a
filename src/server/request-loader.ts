import DataLoader from 'dataloader';
import type { RequestContext } from './context';

/**
 * A DataLoader per request, for a module's own lookups, without adding to the shared loader list:
 * `const byId = requestLoader((ctx, ids) => ...)`, then `byId(ctx).load(id)`.
 */
export function requestLoader<K, V>(batch: (ctx: RequestContext, keys: readonly K[]) => Promise<(V | undefined)[]>) {
  const loaders = new WeakMap<RequestContext, DataLoader<K, V | undefined>>();
  return (ctx: RequestContext): DataLoader<K, V | undefined> => {
    let loader = loaders.get(ctx);
    if (!loader) loaders.set(ctx, (loader = new DataLoader((keys: readonly K[]) => batch(ctx, keys))));
    return loader;
  };
}
