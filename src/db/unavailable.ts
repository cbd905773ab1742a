/**
 * Whether an error means the database could not be reached or dropped the connection, as opposed to
 * a statement that failed on a working connection. One place for the whole list, so requests, the
 * LISTEN connection and background jobs agree on what "the database is unavailable" is.
 */
const DRIVER_CODES = new Set([
  // postgres.js connection errors
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  // socket errors (Node)
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

const SQLSTATES = new Set([
  '57P01', // admin_shutdown: terminated by pg_terminate_backend or a fast shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting up or shutting down
  '53300', // too_many_connections
]);

const isUnavailableCode = (code: unknown): boolean =>
  typeof code === 'string' && (DRIVER_CODES.has(code) || SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)); // class 08: connection exception

/** Follows `cause` (drizzle wraps driver errors in DrizzleQueryError) and `originalError` (GraphQLError). PGlite runs in process and has no such errors. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 8; depth++) {
    if (isUnavailableCode((e as { code?: unknown }).code)) return true;
    if (e instanceof AggregateError && e.errors.some(isDatabaseUnavailable)) return true;
    e = (e as { cause?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
  }
  return false;
}

/** What a 503 answer says in Retry-After: reconnecting is attempted continuously, so a retry soon is fine. */
export const RETRY_AFTER_SECONDS = 2;
