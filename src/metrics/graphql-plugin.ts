import { performance } from 'node:perf_hooks';
import type { ApolloServerPlugin } from '@apollo/server';
import { metrics, operationLabel } from './registry';

/**
 * Per GraphQL operation over HTTP: its duration by operation name and type, and the errors of its
 * response by code (as the client saw them, after masking). Operation names enter the label set only
 * once the document has resolved to an operation, so invalid documents cannot fill it.
 */
export function metricsPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const started = performance.now();
      let operation = 'unresolved';
      let type = 'unknown';
      return {
        async didResolveOperation({ operationName, operation: op }) {
          operation = operationLabel(operationName);
          type = op?.operation ?? 'unknown';
        },
        async willSendResponse({ response }) {
          metrics.request(operation, type, (performance.now() - started) / 1000);
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          for (const e of errors ?? []) metrics.error(typeof e.extensions?.code === 'string' ? e.extensions.code : 'NONE');
        },
      };
    },
  };
}
