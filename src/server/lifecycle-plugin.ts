import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Tx } from '../db/client';
import { statementsSoFar } from '../db/statements';
import { isKeepable, keepResult } from '../modules/idempotency/idempotency.service';
import type { RequestContext } from './context';

/**
 * Ends every request's transaction: the audit buffer is written (and the result of a mutation sent
 * with an Idempotency-Key kept) and the work committed before the response leaves. If that fails, the
 * client gets a masked error instead of data that was not kept.
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
            const correlationId = randomUUID();
            contextValue.log.error('request could not be committed', { err, correlationId });
            response.http.status = 500;
            response.body = {
              kind: 'single',
              singleResult: { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId, requestId: contextValue.requestId } }] },
            };
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
