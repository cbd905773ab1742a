import type { GraphQLSchema } from 'graphql';
import { allow, and, rule, shield } from 'graphql-shield';
type ShieldRule = ReturnType<typeof and> | typeof allow | ReturnType<ReturnType<typeof rule>>;
import { applyMiddleware } from 'graphql-middleware';
import { forbidden } from '../lib/errors';
import { logger } from '../lib/logger';
import { authorize, authorizeSensitive, type AuthorizationContext } from './authorize';
import { lockdownBlocks } from './lockdown';
import { collectRequirements, type Requirement, type Sensitivity } from './requirements';

const requirementKey = (r: Requirement) => (r.kind === 'public' ? 'public' : `auth:${[...r.permissions].sort().join(',')}`);

/**
 * Compile the schema's directives into a graphql-shield rule tree (ARCHITECTURE.md, guarantee 2).
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
      rule(key, { cache: 'contextual' })((_p, _a, ctx: AuthorizationContext, info) => authorize(requirement, ctx, `${info.parentType.name}.${info.fieldName}`)),
    );
  };
  const sensitiveRule = (s: Sensitivity) =>
    ruleFor(`sensitive:${s.level}:${s.mask ?? ''}`, () =>
      rule(`sensitive:${s.level}:${s.mask ?? ''}`, { cache: 'contextual' })((_p, _a, ctx: AuthorizationContext, info) =>
        authorizeSensitive(s, ctx, `${info.parentType.name}.${info.fieldName}`),
      ),
    );

  const tree: Record<string, Record<string, ShieldRule>> = {};
  for (const { coordinate, requirement, sensitive } of collectRequirements(schema)) {
    if (!requirement) continue;
    const [typeName, fieldName] = coordinate.split('.');
    const base = requirementRule(requirement, coordinate);
    (tree[typeName] ??= {})[fieldName] = sensitive ? and(base, sensitiveRule(sensitive)) : base;
  }
  return tree;
}

export function applyAuthorization(schema: GraphQLSchema): GraphQLSchema {
  const permissions = shield(buildRuleTree(schema), {
    fallbackRule: rule('deny-by-default', { cache: 'no_cache' })((_p, _a, ctx: AuthorizationContext, info) => {
      ctx.recordDenial(`${info.parentType.name}.${info.fieldName}`, 'no authorization rule');
      return false;
    }),
    // A rule that throws denies; what it threw goes to the server log, never to the client.
    fallbackError: (thrown) => {
      if (thrown instanceof Error && !('extensions' in thrown)) logger.error('authorization rule failed', { err: thrown });
      return thrown instanceof Error && 'extensions' in thrown ? thrown : forbidden();
    },
    allowExternalErrors: true,
    debug: false,
  });
  return applyMiddleware(schema, permissions);
}
