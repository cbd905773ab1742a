import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { FormattedExecutionResult } from 'graphql';
import type { Tx } from '../db/client';
import { serviceUnavailable } from '../lib/errors';
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from '../db/unavailable';
import { statementsSoFar } from '../db/statements';
import { isKeepable, keepResult } from '../modules/idempotency/idempotency.service';
import type { RequestContext } from './context';

/** Nothing was answered (no data, or every root field null) and the database was why. */
const wholeOperationUnavailable = (r: FormattedExecutionResult): boolean =>
  Boolean(r.errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')) && (!r.data || Object.values(r.data).every((v) => v === null));

/**
 * Ends every request's transaction: the audit buffer is written (and the result of a mutation sent
 * with an Idempotency-Key kept) and the work committed before the response leaves. If that fails, the
 * client gets a masked error instead of data that was not kept. An operation the database outage
 * failed whole is a 503 with Retry-After, so clients and load balancers treat it as transient.
 */
export function requestLifecyclePlugin(opts: { exposeCounters: boolean }): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          try {
            const idempotent = contextValue.idempotent;
            const status = response.http.status ?? 200;
            const body = response.body.kind === 'single' ? response.body.singleResult : undefined;
            const keep = idempotent && body && isKeepable(status, body) ? (tx: Tx) => keepResult(contextValue, tx, idempotent, status, body) : undefined;
            await contextValue.finish(keep);
          } catch (err) {
            let error;
            if (isDatabaseUnavailable(err)) {
              contextValue.log.warn('request could not be committed: database unavailable', { err });
              error = { message: serviceUnavailable().message, extensions: { code: 'SERVICE_UNAVAILABLE', requestId: contextValue.requestId } };
            } else {
              const correlationId = randomUUID();
              contextValue.log.error('request could not be committed', { err, correlationId });
              response.http.status = 500;
              error = { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId, requestId: contextValue.requestId } };
            }
            response.body = { kind: 'single', singleResult: { errors: [error] } };
          }
          if (response.body.kind === 'single' && wholeOperationUnavailable(response.body.singleResult)) {
            response.http.status = 503;
            response.http.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
          }
          if (opts.exposeCounters && response.body.kind === 'single') {
            response.body.singleResult.extensions = {
              ...response.body.singleResult.extensions,
              counters: { statements: statementsSoFar(), ruleEvaluations: contextValue.counters.ruleEvaluations },
            };
          }
        },
      };
    },
  };
}
