import { randomUUID } from 'node:crypto';
import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { CLIENT_CODES, errorCode } from '../lib/errors';
import { logger } from '../lib/logger';

/**
 * Errors say what the client may know and nothing more (ARCHITECTURE.md, guarantee 8): expected codes
 * pass with message, path and code only; anything else becomes INTERNAL_SERVER_ERROR with a
 * correlation id that is also in the server log beside the real error.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const code = (formatted.extensions?.code as string | undefined) ?? errorCode(unwrapResolverError(error));
  const base = { message: formatted.message, ...(formatted.locations && { locations: formatted.locations }), ...(formatted.path && { path: formatted.path }) };
  if (code && CLIENT_CODES.has(code)) {
    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { ...base, extensions: { ...extensions, code } };
  }
  const correlationId = randomUUID();
  logger.error('internal error', { correlationId, err: unwrapResolverError(error), path: formatted.path });
  return {
    message: 'Internal server error',
    ...(formatted.path && { path: formatted.path }),
    extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId },
  };
}
