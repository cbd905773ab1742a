import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from '../db/unavailable';
import { errorCode, serviceUnavailable } from '../lib/errors';
import { parseIdempotencyKey } from '../modules/idempotency/idempotency-key';
import { decide } from '../modules/idempotency/idempotency.service';
import type { RequestContext } from './context';

const errorResponse = (status: number, message: string, code: string, headers: [string, string][] = []): GraphQLResponse => ({
  http: { status, headers: new HeaderMap(headers) },
  body: { kind: 'single', singleResult: { errors: [{ message, extensions: { code } }] } },
});

/**
 * Idempotency-Key on mutations over HTTP (queries ignore it): a retry with the key and the same
 * request gets the kept response (status and body, with `Idempotent-Replayed: true`) and runs nothing;
 * the key with another request is 422 BAD_USER_INPUT; while the first is running, 409
 * IDEMPOTENCY_CONFLICT. Answers made here are returned before execution, so nothing else runs.
 */
export function idempotencyPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ request }) {
      const header = request.http?.headers.get('idempotency-key');
      if (header === undefined) return;
      return {
        async responseForOperation({ operation, contextValue, source, request: req }) {
          if (operation?.operation !== 'mutation') return null;
          let key: string | undefined;
          try {
            key = parseIdempotencyKey(header);
          } catch (err) {
            return errorResponse(400, (err as Error).message, errorCode(err) ?? 'BAD_USER_INPUT');
          }
          if (key === undefined) return null;
          let decision;
          try {
            decision = await decide(contextValue, key, { query: source, operationName: req.operationName ?? null, variables: req.variables ?? {} });
          } catch (err) {
            // Thrown from a plugin, Apollo would answer 500: the key could not be looked up because the
            // database is away, which is a 503 like any request that could not reach it.
            if (!isDatabaseUnavailable(err)) throw err;
            contextValue.log.warn('idempotency key not checked: database unavailable', { err });
            return errorResponse(503, serviceUnavailable().message, 'SERVICE_UNAVAILABLE', [['retry-after', String(RETRY_AFTER_SECONDS)]]);
          }
          switch (decision.kind) {
            case 'unauthenticated':
              return null;
            case 'run':
              contextValue.runIdempotent(decision.request);
              return null;
            case 'replay':
              return {
                http: { status: decision.httpStatus, headers: new HeaderMap([['idempotent-replayed', 'true']]) },
                body: { kind: 'single', singleResult: decision.body },
              };
            case 'conflict':
              return errorResponse(409, 'A request with this Idempotency-Key is still being processed; retry later', 'IDEMPOTENCY_CONFLICT', [['retry-after', '1']]);
            case 'mismatch':
              return errorResponse(422, 'This Idempotency-Key was used for a different request', 'BAD_USER_INPUT');
          }
        },
      };
    },
  };
}
