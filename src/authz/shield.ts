import { inspect } from 'node:util';
import type { GraphQLSchema } from 'graphql';
import { allow, rule, shield } from 'graphql-shield';
type ShieldRule = typeof allow | ReturnType<ReturnType<typeof rule>>;
import { applyMiddleware } from 'graphql-middleware';
import { isDatabaseUnavailable } from '../db/unavailable';
import { forbidden, serviceUnavailable } from '../lib/errors';
import { authorize, authorizeSensitive, type AuthorizationContext } from './authorize';
import { lockdownBlocks } from './lockdown';
import { markAllowed, skipDecided } from './decided-once';
import { collectRequirements, type Requirement, type Sensitivity } from './requirements';

/**
 * shield turns a rule that throws into a denial, which would tell a user they lack access when the
 * database could not be asked. Still a denial (no data without a decision), but an honest one.
 */
const honest =
  <A extends unknown[]>(fn: (...args: A) => Promise<true | Error>) =>
  async (...args: A): Promise<true | Error> => {
    try {
      return await fn(...args);
    } catch (err) {
      if (isDatabaseUnavailable(err)) return serviceUnavailable();
      throw err;
    }
  };

const requirementKey = (r: Requirement) =>
  r.kind === 'public' ? 'public' : `auth:${[...r.permissions].sort().join(',')}${r.preMfa ? ':preMfa' : ''}`;

/**
 * Compile the schema's directives into a graphql-shield rule tree (docs/architecture.md, guarantee 2).
 * Rules depend only on the viewer, so they are cached per operation ('contextual'); a field without a
 * requirement gets no rule and falls to `fallbackRule: deny`.
 */
export function buildRuleTree(schema: GraphQLSchema): Record<string, Record<string, ShieldRule>> {
  const rules = new Map<string, ShieldRule>();
  const ruleFor = (key: string, make: () => ShieldRule) => {
    if (!rules.has(key)) rules.set(key, make());
    return rules.get(key)!;
  };
  // Knowledge-base mutations get a rule of their own (the lockdown decides them too), so the per-operation
  // cache never hands their decision to a field with the same permissions that is not one.
  const requirementRule = (requirement: Requirement, coordinate: string) => {
    if (requirement.kind === 'public') return allow;
    const key = `${requirementKey(requirement)}${lockdownBlocks(coordinate, requirement) ? ':lockdown' : ''}`;
    return ruleFor(key, () =>
      rule(key, { cache: 'contextual' })(honest((_p, _a, ctx: AuthorizationContext, info) => authorize(requirement, ctx, `${info.parentType.name}.${info.fieldName}`))),
    );
  };
  // A sensitive field's requirement and sensitivity as ONE cached rule: shield's and() is not cached and
  // re-evaluated both parts on every row of a page (a 100-customer page with four PII fields: 400 times).
  const sensitiveRule = (requirement: Requirement, s: Sensitivity, coordinate: string) => {
    const base = requirementRule(requirement, coordinate);
    if (base === allow) return ruleFor(`sensitive:${s.level}:${s.mask ?? ''}`, () => sensitiveOnly(s));
    const key = `${requirementKey(requirement)}${lockdownBlocks(coordinate, requirement) ? ':lockdown' : ''}+sensitive:${s.level}:${s.mask ?? ''}`;
    return ruleFor(key, () =>
      rule(key, { cache: 'contextual' })(
        honest(async (_p, _a, ctx: AuthorizationContext, info) => {
          const where = `${info.parentType.name}.${info.fieldName}`;
          const allowed = await authorize(requirement, ctx, where);
          return allowed === true ? authorizeSensitive(s, ctx, where) : allowed;
        }),
      ),
    );
  };
  const sensitiveOnly = (s: Sensitivity) =>
    rule(`sensitive:${s.level}:${s.mask ?? ''}`, { cache: 'contextual' })(
      honest((_p, _a, ctx: AuthorizationContext, info) => authorizeSensitive(s, ctx, `${info.parentType.name}.${info.fieldName}`)),
    );

  const tree: Record<string, Record<string, ShieldRule>> = {};
  for (const { coordinate, requirement, sensitive } of collectRequirements(schema)) {
    if (!requirement) continue;
    const [typeName, fieldName] = coordinate.split('.');
    (tree[typeName] ??= {})[fieldName] = sensitive ? sensitiveRule(requirement, sensitive, coordinate) : requirementRule(requirement, coordinate);
  }
  return tree;
}

/**
 * Called with null when a rule denies (shield turns a rule that throws into a denial), and with
 * whatever a resolver threw. Not allowExternalErrors: shield would return the thrown value as the
 * field's value, and graphql-js rethrows only Error instances, so a rejected string or object was
 * sent to the client as data. Errors keep their codes; formatError masks and logs the others.
 */
const fallbackError = (thrown: unknown): Error => {
  if (thrown instanceof Error) return thrown;
  if (thrown === null || thrown === undefined) return forbidden();
  return new Error(`resolver threw a non-Error value: ${inspect(thrown, { depth: 2 })}`);
};

/**
 * shield enforces every field; a field whose rule has already allowed this operation (a viewer-only
 * decision, made once per operation) then resolves without shield's per-field wrapper (decided-once.ts).
 */
export function applyAuthorization(schema: GraphQLSchema): GraphQLSchema {
  const tree = buildRuleTree(schema);
  const marked = markAllowed(schema, tree);
  const permissions = shield(tree, {
    fallbackRule: rule('deny-by-default', { cache: 'no_cache' })((_p, _a, ctx: AuthorizationContext, info) => {
      ctx.recordDenial(`${info.parentType.name}.${info.fieldName}`, 'no authorization rule');
      return false;
    }),
    fallbackError,
    allowExternalErrors: false,
    debug: false,
  });
  return skipDecided(applyMiddleware(marked.schema, permissions), tree, marked.originals, fallbackError);
}
