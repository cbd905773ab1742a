import { graphql } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { allow, rule, shield } from 'graphql-shield';
import { applyMiddleware } from 'graphql-middleware';
import { markAllowed, skipDecided } from '../../src/authz/decided-once';

/**
 * A field whose rule is decided once per operation skips shield's wrapper after shield allowed it,
 * and only then: denied rules, per-field rules and fields without a rule go through shield every time.
 */
function build(decide: { open: boolean }) {
  const calls = { open: 0, perRow: 0, shut: 0 };
  const schema = makeExecutableSchema({
    typeDefs: 'type Query { rows: [Row!]! } type Row { a: String b: String c: String d: String e: String }',
    resolvers: {
      Query: { rows: () => [{ a: '1', b: '1', c: '1', d: '1', e: '1' }, { a: '2', b: '2', c: '2', d: '2', e: '2' }] },
      Row: { e: () => Promise.reject('not an Error') },
    },
  });
  const tree = {
    Query: { rows: allow },
    Row: {
      a: rule('open', { cache: 'contextual' })(() => (calls.open++, decide.open)),
      b: rule('perRow', { cache: 'no_cache' })(() => (calls.perRow++, true)),
      c: rule('shut', { cache: 'contextual' })(() => (calls.shut++, false)),
      e: allow,
    },
  };
  const fallbackError = (thrown: unknown) => (thrown instanceof Error ? thrown : new Error(thrown == null ? 'denied' : `threw ${String(thrown)}`));
  const marked = markAllowed(schema, tree);
  const shielded = applyMiddleware(marked.schema, shield(tree, { fallbackRule: rule('deny', { cache: 'no_cache' })(() => false), fallbackError, allowExternalErrors: false }));
  return { schema: skipDecided(shielded, tree, marked.originals, fallbackError), calls };
}

describe('viewer-only decisions are made once per operation', () => {
  it('lets allowed fields through without shield on later rows, and never skips a denial', async () => {
    const { schema, calls } = build({ open: true });
    const result = await graphql({ schema, source: '{ rows { a b c d } }', contextValue: {} });
    expect(result.data?.rows).toEqual([
      { a: '1', b: '1', c: null, d: null },
      { a: '2', b: '2', c: null, d: null },
    ]);
    expect((result.errors ?? []).map((e) => `${e.path?.join('.')}: ${e.message}`).sort()).toEqual(['rows.0.c: denied', 'rows.0.d: denied', 'rows.1.c: denied', 'rows.1.d: denied']);
    // shield re-asks a rule whose cached answer is a plain false; an allowed one is asked once.
    expect(calls).toEqual({ open: 1, perRow: 2, shut: 2 });
  });

  it('resolves a field synchronously once its rule allowed the operation, and through shield before', () => {
    const { schema } = build({ open: true });
    const field = schema.getQueryType()!.getFields().rows; // make sure the schema is usable
    expect(field).toBeDefined();
    const a = (schema.getType('Row') as import('graphql').GraphQLObjectType).getFields().a.resolve!;
    const b = (schema.getType('Row') as import('graphql').GraphQLObjectType).getFields().b.resolve!;
    const d = (schema.getType('Row') as import('graphql').GraphQLObjectType).getFields().d.resolve!;
    const info = { fieldName: 'a', parentType: schema.getType('Row') } as never;
    const ctx = {};
    const first = a({ a: 'x' }, {}, ctx, info);
    expect(first).toBeInstanceOf(Promise);
    return (first as Promise<unknown>).then(async (value) => {
      expect(value).toBe('x');
      expect(a({ a: 'y' }, {}, ctx, info)).toBe('y');
      // Another operation (another context) starts over.
      expect(a({ a: 'z' }, {}, {}, info)).toBeInstanceOf(Promise);
      // A rule decided per field, and a field without a rule, always go through shield.
      await b({ b: 'x' }, {}, ctx, { ...(info as object), fieldName: 'b' } as never);
      expect(b({ b: 'y' }, {}, ctx, { ...(info as object), fieldName: 'b' } as never)).toBeInstanceOf(Promise);
      expect(await d({ d: 'y' }, {}, ctx, { ...(info as object), fieldName: 'd' } as never)).toBeInstanceOf(Error);
    });
  });

  it('never remembers a denial: a denied contextual rule is asked through shield on every row', async () => {
    const { schema, calls } = build({ open: false });
    const result = await graphql({ schema, source: '{ rows { a } }', contextValue: {} });
    expect(result.data?.rows).toEqual([{ a: null }, { a: null }]);
    expect(result.errors?.map((e) => e.message)).toEqual(['denied', 'denied']);
    expect(calls.open).toBe(2);
  });

  it('turns what a skipped resolver throws into what shield would: an Error', async () => {
    const { schema } = build({ open: true });
    const result = await graphql({ schema, source: '{ rows { e } }', contextValue: {} });
    expect(result.errors?.map((e) => e.message)).toEqual(['threw not an Error', 'threw not an Error']);
  });
});
