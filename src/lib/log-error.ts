import { DrizzleQueryError } from 'drizzle-orm';

/**
 * An error as a log line may show it: name, code, message, stack frames, the SQL statement's text and
 * the cause chain, but never the values a statement was run with. drizzle's DrizzleQueryError message
 * ("Failed query: ...\nparams: ...") and the drivers' `parameters`/`params` carry what users typed
 * (e-mail addresses, names) and tenant ids; PostgreSQL's `detail` ("Key (email)=(...)", "Failing row
 * contains (...)") and some messages ('invalid input syntax for type uuid: "..."') quote them too.
 */
const SQLSTATE = /^[0-9A-Z]{5}$/;
const MAX_CAUSES = 5;

type Fields = Record<string, unknown>;

/** A PostgreSQL error (postgres.js PostgresError, PGlite's DatabaseError): a SQLSTATE and a severity. */
const isDatabaseError = (e: Fields): boolean => typeof e.code === 'string' && SQLSTATE.test(e.code) && typeof e.severity === 'string';

/** Double-quoted parts of a PostgreSQL message are values or identifiers; identifiers are logged from their own fields. */
const withoutQuoted = (message: string): string => message.replace(/"(?:[^"]|"")*"/g, '"…"');

/** Stack frames only: the first lines repeat the message, which may carry parameters. */
const frames = (stack: unknown): string | undefined =>
  typeof stack === 'string' ? stack.split('\n').filter((line) => /^\s+at /.test(line)).join('\n') || undefined : undefined;

export function serializeError(err: Error, depth = 0, parentQuery?: string): Fields {
  const e = err as unknown as Fields;
  const database = isDatabaseError(e);
  const statement = typeof e.query === 'string' ? e.query : undefined;
  const failedQuery = err instanceof DrizzleQueryError || (statement !== undefined && ('params' in e || 'parameters' in e) && err.message.startsWith('Failed query'));
  // DrizzleQueryError, among others, leaves `name` at "Error".
  const name = err.name === 'Error' && err.constructor.name !== 'Error' ? err.constructor.name : err.name;
  // A GraphQLError wrapping another error repeats that error's message.
  const original = e.originalError instanceof Error && depth < MAX_CAUSES ? serializeError(e.originalError, depth + 1) : undefined;
  const out: Fields = {
    name,
    message: original ? original.message : failedQuery ? 'Failed query' : database ? withoutQuoted(err.message) : err.message,
  };
  if (original) out.originalError = original;
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  if (database) {
    // postgres.js and PGlite name these differently; both are identifiers, never values.
    for (const [key, names] of Object.entries({ severity: ['severity'], routine: ['routine'], schema: ['schema_name', 'schema'], table: ['table_name', 'table'], column: ['column_name', 'column'], constraint: ['constraint_name', 'constraint'] })) {
      const value = names.map((n) => e[n]).find((v) => typeof v === 'string' && v !== '');
      if (value !== undefined) out[key] = value;
    }
  }
  if (statement !== undefined && statement !== parentQuery) out.query = statement;
  const stack = frames(err.stack);
  if (stack) out.stack = stack;
  if (err.cause !== undefined && err.cause !== null) {
    out.cause = depth >= MAX_CAUSES ? '[further causes omitted]' : err.cause instanceof Error ? serializeError(err.cause, depth + 1, statement) : '[non-error cause]';
  }
  if (err instanceof AggregateError && depth < MAX_CAUSES) out.errors = err.errors.map((x) => (x instanceof Error ? serializeError(x, depth + 1) : '[non-error]'));
  return out;
}
