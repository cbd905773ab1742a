import { GraphQLError } from 'graphql';

/** The error codes a client may see (docs/architecture.md, guarantee 8). Anything else is masked at the edge. */
export const CLIENT_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'MFA_REQUIRED',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'RATE_LIMITED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'QUERY_TOO_COMPLEX',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'TRUSTED_DOCUMENT_REQUIRED',
  'OPERATION_RESOLUTION_FAILURE',
  'SERVICE_UNAVAILABLE',
]);

const make = (code: string, fallback: string) => (message = fallback, extensions: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { ...extensions, code } });

export const unauthenticated = make('UNAUTHENTICATED', 'Authentication required');
export const forbidden = make('FORBIDDEN', 'Forbidden');
export const badInput = make('BAD_USER_INPUT', 'Invalid input');
export const notFound = make('NOT_FOUND', 'Not found');
/** The database could not be reached: nothing was decided or kept; the same request may be retried. */
export const serviceUnavailable = make('SERVICE_UNAVAILABLE', 'The service is temporarily unavailable; try again shortly');
export const rateLimited = make('RATE_LIMITED', 'Too many attempts; try again later');
/** A second factor is needed (or a fresher one): the extensions tell the client how to step up. */
export const mfaRequired = make('MFA_REQUIRED', 'A fresh second factor is required');

export function errorCode(err: unknown): string | undefined {
  const ext = (err as GraphQLError | undefined)?.extensions;
  return typeof ext?.code === 'string' ? ext.code : undefined;
}

/** Codes of our own validation rules, which the generic GRAPHQL_VALIDATION_FAILED must not replace. */
const VALIDATION_CODES = new Set(['QUERY_TOO_COMPLEX']);

/**
 * The code a validation error answers with: our own rule's (QUERY_TOO_COMPLEX, its extensions kept) or
 * GRAPHQL_VALIDATION_FAILED (not armor's BAD_USER_INPUT on its other limits).
 */
export function validationExtensions(err: unknown): Record<string, unknown> {
  const own = errorCode(err);
  return own && VALIDATION_CODES.has(own) ? { ...(err as GraphQLError).extensions } : { code: 'GRAPHQL_VALIDATION_FAILED' };
}
