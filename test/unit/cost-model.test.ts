import { parse, validate } from 'graphql';
import type { Config } from '../../src/config';
import { buildBaseSchema } from '../../src/schema';
import { createLimits } from '../../src/server/limits';

/**
 * The costs the README quotes (Customers: query cost), computed by the served validation rules: with a
 * limit of 1 every query is refused, and the refusal carries the cost it found.
 */
const schema = buildBaseSchema();
const { validationRules } = createLimits({ env: 'test', limits: { maxDepth: 10, maxTokens: 2000, maxCost: 1, maxDirectives: 20 } } as Config);
const costOf = (query: string) => {
  const errors = validate(schema, parse(query), validationRules);
  expect(errors.map((e) => e.extensions.code)).toEqual(['QUERY_TOO_COMPLEX']);
  return errors[0].extensions.cost as number;
};
const customers = (n: number) => `{ customers(first: ${n}) { edges { node { id name tickets(first: 3) { edges { node { id subject } } } } } } }`;

describe('query cost model', () => {
  it('prices the README examples as the README says', () => {
    expect(costOf(`query { spaces(first: 20) { edges { node { id key name defaultClassification ownerTeam { name }
  categories { id name children { name articles(first: 5) { edges { node { title } } } } } } } } }`)).toBe(2921);
    expect([20, 75, 76, 100].map((n) => costOf(customers(n)))).toEqual([1328, 4979, 5046, 6639]);
    expect(costOf('{ categories(first: 100) { edges { node { id name articles(first: 3) { edges { node { id title } } } } } } }')).toBe(6639);
  });

  it('multiplies nested lists: ten times the inner page costs about ten times as much', () => {
    const inner = (n: number) => costOf(`{ customers(first: 10) { edges { node { tickets(first: ${n}) { edges { node { id } } } } } } }`);
    expect(inner(100)).toBeGreaterThan(9 * inner(10));
  });
});
