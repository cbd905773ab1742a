import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  specifiedRules,
  validate,
  visit,
  type ArgumentNode,
  type DocumentNode,
  type GraphQLSchema,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Config } from '../config';
import { MAX_PAGE_SIZE } from '../lib/pagination';

/**
 * Query limits from graphql-armor (depth, aliases, cost), our directive count
 * and the graphql-js parser (tokens), the same on HTTP and WebSocket. The alias allow-list is empty:
 * every alias counts.
 */
export function createLimits(config: Config) {
  const armor = new ApolloArmor({
    maxDepth: { n: config.limits.maxDepth },
    maxAliases: { n: 15, allowList: [] },
    // Ours (maxDirectivesRule below): armor's drops the directives on a repeated spread of a fragment.
    maxDirectives: { enabled: false },
    // Not armor's token limit: its Apollo plugin re-parses in parsingDidStart and throws, which Apollo
    // answers with HTTP 500 (for every syntax error, too). graphql-js's parser enforces the same limit
    // (parseOptions below), so an over-long or malformed document is a 400 GRAPHQL_PARSE_FAILED.
    maxTokens: { enabled: false },
    costLimit: costModel(config.limits.maxCost),
    // Off: formatError (errors.ts) removes "Did you mean" hints from every error on HTTP and WebSocket.
    // Armor's plugin replaced them with "[Suggestion hidden]", which still told that a near name exists.
    blockFieldSuggestion: { enabled: false },
  });
  const protection = armor.protect();
  // The cost rule alone, for a document whose page sizes come from variables (costWithVariables).
  const costRules = new ApolloArmor({
    costLimit: costModel(config.limits.maxCost),
    maxDepth: { enabled: false },
    maxAliases: { enabled: false },
    maxDirectives: { enabled: false },
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }).protect().validationRules;
  /** The cost refusal of a document run with these variables, if its page sizes were variables. */
  const costWithVariables = (schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | null | undefined): GraphQLError | undefined => {
    const resolved = withPageSizes(document, variables ?? {});
    return resolved ? validate(schema, resolved, costRules)[0] : undefined;
  };
  const production = config.env === 'production';
  const validationRules: ValidationRule[] = [
    ...protection.validationRules,
    maxDirectivesRule(config.limits.maxDirectives),
    ...(production ? [NoSchemaIntrospectionCustomRule] : []),
  ];
  return {
    apollo: { plugins: [...protection.plugins, costWithVariablesPlugin(costWithVariables)] },
    costWithVariables,
    validationRules,
    /** For graphql-ws, which validates with graphql-js itself: the specified rules plus ours. */
    wsValidationRules: [...specifiedRules, ...validationRules],
    maxTokens: config.limits.maxTokens,
    parseOptions: { maxTokens: config.limits.maxTokens },
    introspection: !production,
  };
}

/** Per field and per level; a list field's cost (children included) is multiplied by its literal `first`/`last`. */
export const COST_MODEL = { objectCost: 2, scalarCost: 1, depthCostFactor: 1.2 } as const;

/**
 * Armor's cost rule computes the cost; the refusal is ours. Armor's own error is "Syntax Error: Query Cost
 * limit ..." with no code (Apollo then says GRAPHQL_VALIDATION_FAILED), so its limit is set out of reach
 * and onAccept, which receives the cost, reports QUERY_TOO_COMPLEX with the cost found and allowed.
 * The depth factor is 1.2, not armor's 1.5: a Relay connection puts `edges` and `node` between a list
 * and its fields, so at 1.5 each connection level costs 2.25 times over before its `first` counts and a
 * two-level screen (spaces, their categories' articles) went past the limit; list multipliers still compound.
 */
function costModel(maxCost: number) {
  return {
    ...COST_MODEL,
    maxCost: Number.POSITIVE_INFINITY,
    propagateOnRejection: false,
    onAccept: [
      (context: ValidationContext | null, { n }: { n: number }) => {
        if (n > maxCost) context?.reportError(queryTooComplex(Math.round(n), maxCost));
      },
    ],
  };
}

/**
 * The document with each `first`/`last` given by a variable replaced by the variable's value (or its
 * declared default); undefined when none is. Armor's cost rule reads only literal page sizes, so
 * `customers(first: $n) { … tickets(first: $n) }` counted every level as one item; and Apollo keeps a
 * document's validation per text, whatever the variables, so this runs per request (Apollo plugin below,
 * and for WebSocket operations in ws.ts).
 */
export function withPageSizes(document: DocumentNode, variables: Record<string, unknown>): DocumentNode | undefined {
  if (!sizesFromVariables(document)) return undefined;
  const defaults = new Map<string, string>();
  for (const d of document.definitions)
    if (d.kind === Kind.OPERATION_DEFINITION)
      for (const v of d.variableDefinitions ?? []) if (v.defaultValue?.kind === Kind.INT) defaults.set(v.variable.name.value, v.defaultValue.value);
  let changed = false;
  const resolved = visit(document, {
    Argument(node): ArgumentNode | undefined {
      if (!isPageSize(node) || node.value.kind !== Kind.VARIABLE) return undefined;
      const given = variables[node.value.name.value];
      const size = typeof given === 'number' ? given : given == null ? Number(defaults.get(node.value.name.value)) : NaN;
      // A size the resolvers refuse (not a whole number from 1 to the maximum page) is theirs to answer,
      // with BAD_USER_INPUT naming the argument, before anything is read.
      if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) return undefined;
      const value = String(size);
      changed = true;
      return { ...node, value: { kind: Kind.INT, value } };
    },
  });
  return changed ? resolved : undefined;
}

const isPageSize = (node: ArgumentNode) => node.name.value === 'first' || node.name.value === 'last';

/**
 * Whether any `first`/`last` of the document is a variable, once per document: Apollo keeps one parsed
 * document per text, so a request whose sizes are all literal (or absent) walks nothing more here.
 */
const sizedByVariable = new WeakMap<DocumentNode, boolean>();
function sizesFromVariables(document: DocumentNode): boolean {
  let known = sizedByVariable.get(document);
  if (known === undefined) {
    known = false;
    visit(document, {
      Argument(node) {
        if (isPageSize(node) && node.value.kind === Kind.VARIABLE) known = true;
      },
    });
    sizedByVariable.set(document, known);
  }
  return known;
}

/** Over HTTP: refused before execution (400), like the cost refusal of a document with literal sizes. */
function costWithVariablesPlugin(check: (schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined) => GraphQLError | undefined): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request }) {
          const refused = check(schema, document, request.variables);
          if (refused) throw new GraphQLError(refused.message, { extensions: { ...refused.extensions, http: { status: 400 } } });
        },
      };
    },
  };
}

export const queryTooComplex = (cost: number, maxCost: number) =>
  new GraphQLError(`Query is too complex: cost limit of ${maxCost} exceeded, found ${cost}. Ask for fewer items (first) or fewer nested lists.`, {
    extensions: { code: 'QUERY_TOO_COMPLEX', cost, maxCost },
  });

/**
 * At most `n` directives per operation, a fragment's counted at every spread of it. Replaces armor's
 * maxDirectives, which (3.2.0) returns a visited fragment's cached count for a repeated spread and so
 * forgets the directives written on that spread: `...F @include(if: true)` repeated passed any limit.
 */
export function maxDirectivesRule(n: number): ValidationRule {
  return (context) => {
    const perFragment = new Map<string, number>();
    const count = (node: OperationDefinitionNode | FragmentDefinitionNode | SelectionNode): number => {
      const own = node.directives?.length ?? 0;
      if (node.kind === Kind.FRAGMENT_SPREAD) {
        const name = node.name.value;
        if (!perFragment.has(name)) {
          perFragment.set(name, 0); // a cycle stops here; NoFragmentCyclesRule reports it
          const fragment = context.getFragment(name);
          perFragment.set(name, fragment ? count(fragment) : 0);
        }
        return own + perFragment.get(name)!;
      }
      return own + (node.selectionSet?.selections ?? []).reduce((sum, child) => sum + count(child), 0);
    };
    return {
      OperationDefinition(operation) {
        const found = count(operation);
        if (found > n) context.reportError(new GraphQLError(`Syntax Error: Directives limit of ${n} exceeded, found ${found}.`, { nodes: [operation] }));
      },
    };
  };
}
