import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler } from 'express';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { ApolloServerPlugin } from '@apollo/server';
import { isDatabaseUnavailable } from '../db/unavailable';
import { CLIENT_CODES, errorCode, serviceUnavailable, validationExtensions } from '../lib/errors';
import { logger, type Logger } from '../lib/logger';
import { requestLog } from './http-log';

/**
 * The request an error belongs to, for formatError, which Apollo calls without the context: tagged
 * when the request meets its errors (the same objects formatError is then given).
 */
type ErrorOwner = { requestId: string; log: Logger };
const owners = new WeakMap<object, ErrorOwner>();
export function tagErrors(errors: readonly unknown[], owner: ErrorOwner): void {
  for (const e of errors) if (e !== null && typeof e === 'object') owners.set(e, owner);
}
export const errorOwnerPlugin: ApolloServerPlugin<ErrorOwner> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors, contextValue }) {
        tagErrors(errors, contextValue);
      },
    };
  },
};

/**
 * Errors say what the client may know and nothing more: expected codes
 * pass with message, path and code only; anything else becomes INTERNAL_SERVER_ERROR with a
 * correlation id that is also in the server log beside the real error, and the request id (which the
 * X-Request-Id response header and every log line of the request carry).
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const code = ownValidationCode(formatted, error) ?? (formatted.extensions?.code as string | undefined) ?? errorCode(unwrapResolverError(error));
  const base = { message: withoutSuggestions(formatted.message), ...(formatted.locations && { locations: formatted.locations }), ...(formatted.path && { path: formatted.path }) };
  if (code && CLIENT_CODES.has(code)) {
    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { ...base, extensions: { ...extensions, code } };
  }
  if (isDatabaseUnavailable(error)) {
    // Not the client's fault and not a bug: say so, without the driver's message (it names the query).
    const owner = error !== null && typeof error === 'object' ? owners.get(error) : undefined;
    (owner?.log ?? logger).warn('database unavailable', { err: unwrapResolverError(error), path: formatted.path });
    return { ...base, message: serviceUnavailable().message, extensions: { code: 'SERVICE_UNAVAILABLE', ...(owner && { requestId: owner.requestId }) } };
  }
  const correlationId = randomUUID();
  const owner = error !== null && typeof error === 'object' ? owners.get(error) : undefined;
  (owner?.log ?? logger).error('internal error', { correlationId, err: unwrapResolverError(error), path: formatted.path });
  return {
    message: 'Internal server error',
    ...(formatted.path && { path: formatted.path }),
    extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId, ...(owner && { requestId: owner.requestId }) },
  };
}

/** Apollo calls every validation error GRAPHQL_VALIDATION_FAILED, over our own rules' codes (QUERY_TOO_COMPLEX). */
function ownValidationCode(formatted: GraphQLFormattedError, error: unknown): string | undefined {
  if (formatted.extensions?.code !== 'GRAPHQL_VALIDATION_FAILED' || !(error instanceof GraphQLError)) return undefined;
  return validationExtensions(error.originalError).code as string;
}

/**
 * graphql-js appends " Did you mean ...?" to validation and variable-coercion messages, naming fields,
 * types and enum values. Apollo's hideSchemaDetailsFromClientErrors strips them from validation errors
 * on HTTP only; coercion errors (an enum value in a variable) and everything on the WebSocket path pass
 * through here, so they are removed here, whole, in every environment.
 */
const withoutSuggestions = (message: string): string => message.replace(/ ?Did you mean [\s\S]*\?$/, '');

/** Fixed messages for what body-parser refuses (its own messages echo parser internals). */
const BODY_ERRORS: Record<string, string> = {
  'entity.parse.failed': 'Request body is not valid JSON',
  'entity.too.large': 'Request body is too large',
  'charset.unsupported': 'Unsupported charset',
  'encoding.unsupported': 'Unsupported content encoding',
  'encoding.invalid': 'Request body is not valid UTF-8 (or in the charset it declares)',
};

/**
 * Express error handler, after every route: errors raised before Apollo sees the request (invalid JSON,
 * body too large) get a GraphQL-shaped JSON error with their 4xx status; anything else is masked like
 * formatError does. Express's default handler would answer with HTML and, unless NODE_ENV=production,
 * the stack trace.
 */
export const httpErrorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) return next(err);
  const status = Number((err as { status?: unknown })?.status);
  if (status >= 400 && status < 500) {
    const message = BODY_ERRORS[(err as { type?: string }).type ?? ''] ?? 'Bad request';
    res.status(status).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
    return;
  }
  const correlationId = randomUUID();
  const { requestId, log } = requestLog(req);
  log.error('internal error', { correlationId, err });
  res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId, requestId } }] });
};
