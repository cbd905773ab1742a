import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { allow } from 'graphql-shield';

/** A compiled shield rule: `allow`, or a rule with a name and a cache mode. */
type CompiledRule = object;

/** graphql-shield's per-operation state on the context, with the rule names it has let through. */
type ShieldContext = { _shield?: { cache: object; allowed?: Set<string> } } | null | undefined;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Resolver = GraphQLFieldResolver<any, any>;

/**
 * The rule's decision cannot differ between fields of one operation: shield evaluates a 'contextual'
 * rule once per operation and hands every later field its cached answer, and `allow` is constant.
 * Returns the name the decision is remembered under, or undefined for rules decided per field.
 */
function operationWide(rule: CompiledRule | undefined): string | undefined {
  if (rule === allow) return 'allow';
  const r = rule as { name?: string; cache?: unknown } | undefined;
  return r?.cache === 'contextual' && r.name ? `rule:${r.name}` : undefined;
}

export const isPromise = (x: unknown): x is Promise<unknown> => typeof (x as Promise<unknown> | null)?.then === 'function';

/**
 * Field resolvers for `shield` to wrap: each records, when shield lets it run, that its rule allowed
 * this operation (on shield's own per-operation state, so it lives exactly as long as shield's cache).
 */
export function markAllowed(schema: GraphQLSchema, tree: Record<string, Record<string, CompiledRule>>): { schema: GraphQLSchema; originals: Map<string, Resolver> } {
  const originals = new Map<string, Resolver>();
  const marked = mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      const name = typeName === 'Subscription' ? undefined : operationWide(tree[typeName]?.[fieldName]);
      if (!name) return field;
      const resolve = field.resolve ?? defaultFieldResolver;
      originals.set(`${typeName}.${fieldName}`, resolve);
      return {
        ...field,
        resolve: (parent, args, ctx: ShieldContext, info) => {
          const state = ctx?._shield;
          if (state) (state.allowed ??= new Set()).add(name);
          return resolve(parent, args, ctx, info);
        },
      };
    },
  });
  return { schema: marked, originals };
}

/**
 * After shield: a field whose rule already allowed this operation resolves directly, without shield's
 * async wrapper (a promise and a cache look-up per field of every row), with the same answer shield's
 * cache would give. The first field of each rule, and every field whose rule is decided per field or
 * denied, still goes through shield. Errors are turned into what shield's `fallbackError` makes of them.
 */
export function skipDecided(
  shielded: GraphQLSchema,
  tree: Record<string, Record<string, CompiledRule>>,
  originals: Map<string, Resolver>,
  fallbackError: (thrown: unknown) => Error,
): GraphQLSchema {
  return mapSchema(shielded, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      const original = originals.get(`${typeName}.${fieldName}`);
      const name = operationWide(tree[typeName]?.[fieldName]);
      const guarded = field.resolve;
      if (!original || !name || !guarded) return field;
      return {
        ...field,
        resolve: (parent, args, ctx: ShieldContext, info) => {
          if (!ctx?._shield?.allowed?.has(name)) return guarded(parent, args, ctx, info);
          try {
            const value: unknown = original(parent, args, ctx, info);
            return isPromise(value) ? value.catch(fallbackError) : value;
          } catch (err) {
            return fallbackError(err);
          }
        },
      };
    },
  });
}
