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
