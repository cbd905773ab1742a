import { ApolloArmor } from '@escape.tech/graphql-armor';
import { NoSchemaIntrospectionCustomRule, specifiedRules, type ValidationRule } from 'graphql';
import type { Config } from '../config';

/**
 * Query limits from graphql-armor (depth, aliases, directives, tokens, cost, no field suggestions),
 * the same on HTTP and WebSocket. The alias allow-list is empty: every alias counts.
 */
export function createLimits(config: Config) {
  const armor = new ApolloArmor({
    maxDepth: { n: config.limits.maxDepth },
    maxAliases: { n: 15, allowList: [] },
    maxDirectives: { n: config.limits.maxDirectives },
    maxTokens: { n: config.limits.maxTokens },
    costLimit: { maxCost: config.limits.maxCost },
    blockFieldSuggestion: { enabled: true },
  });
  const protection = armor.protect();
  const production = config.env === 'production';
  const validationRules: ValidationRule[] = [...protection.validationRules, ...(production ? [NoSchemaIntrospectionCustomRule] : [])];
  return {
    apollo: protection,
    validationRules,
    /** For graphql-ws, which validates with graphql-js itself: the specified rules plus ours. */
    wsValidationRules: [...specifiedRules, ...validationRules],
    maxTokens: config.limits.maxTokens,
    introspection: !production,
  };
}
