import type { ApolloServerPlugin } from '@apollo/server';
import { SpanStatusCode, context, trace, type Span } from '@opentelemetry/api';
import type { RequestContext } from '../server/context';
import { TENANT_ATTRIBUTE, activeTracer, currentRequestTrace } from './tracer';

// Semantic conventions for GraphQL server spans (still "development" in the conventions, so not imported).
const OPERATION_NAME = 'graphql.operation.name';
const OPERATION_TYPE = 'graphql.operation.type';

/**
 * Spans for parsing, validating and executing each GraphQL operation over HTTP, children of the HTTP
 * request's span, with the caller's tenant (from the verified token) on all of them and on the request
 * span. Neither the document nor its variables are recorded: variables hold personal data. Without
 * tracing the plugin is not installed at all.
 */
export function tracingPlugins(): ApolloServerPlugin<RequestContext>[] {
  const tracer = activeTracer();
  if (!tracer) return [];
  const plugin: ApolloServerPlugin<RequestContext> = {
    async requestDidStart({ contextValue }) {
      const request = currentRequestTrace();
      const tenantId = contextValue.claims?.tid;
      const attributes = tenantId ? { [TENANT_ATTRIBUTE]: tenantId } : {};
      if (request) request.tenantId = tenantId;
      if (tenantId) trace.getActiveSpan()?.setAttribute(TENANT_ATTRIBUTE, tenantId);
      const open: Span[] = [];
      // A phase's span ends when the phase does; database statements sent meanwhile become its children.
      const phase = (name: string) => {
        const span = tracer.startSpan(name, { attributes }, context.active());
        open.push(span);
        if (request) request.phase = span;
        return async (err?: unknown) => {
          if (err) span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : 'failed' });
          span.end();
          if (request?.phase === span) request.phase = undefined;
        };
      };
      return {
        async parsingDidStart() {
          return phase('graphql.parse');
        },
        async validationDidStart() {
          const end = phase('graphql.validate');
          return (errors?: readonly Error[]) => end(errors?.[0]);
        },
        async didResolveOperation({ operationName, operation }) {
          for (const span of open) {
            if (operationName) span.setAttribute(OPERATION_NAME, operationName);
            if (operation) span.setAttribute(OPERATION_TYPE, operation.operation);
          }
          const requestSpan = trace.getActiveSpan();
          if (operationName) requestSpan?.setAttribute(OPERATION_NAME, operationName);
          if (operation) requestSpan?.setAttribute(OPERATION_TYPE, operation.operation);
        },
        async executionDidStart({ operationName, operation }) {
          const end = phase('graphql.execute');
          const span = open[open.length - 1];
          if (operationName) span.setAttribute(OPERATION_NAME, operationName);
          if (operation) span.setAttribute(OPERATION_TYPE, operation.operation);
          return { executionDidEnd: end };
        },
      };
    },
  };
  return [plugin];
}
