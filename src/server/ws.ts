import type { Server as HttpServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, getOperationAST, parse, validate, type GraphQLSchema } from 'graphql';
import { RequestContext } from './context';
import { formatError } from './errors';
import { verifyBearer } from './http-context';
import type { createLimits } from './limits';
import type { Services } from './services';

/**
 * graphql-ws on the same path as HTTP. Validation uses the same limits as HTTP (graphql-ws would
 * otherwise run only graphql-js's own rules), and every operation gets its own context, finished
 * (audit written) when the operation completes.
 */
export function attachWebSocket(httpServer: HttpServer, schema: GraphQLSchema, services: Services, limits: ReturnType<typeof createLimits>) {
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const contexts = new Map<string, RequestContext>();
  const key = (socketId: object, id: string) => `${idOf(socketId)}:${id}`;
  const ids = new WeakMap<object, number>();
  let nextId = 0;
  const idOf = (o: object) => {
    if (!ids.has(o)) ids.set(o, ++nextId);
    return ids.get(o)!;
  };
  const format = (errors: readonly GraphQLError[]) => errors.map((e) => formatError(e.toJSON(), e));

  const cleanup = useServer<Record<string, unknown>, { request: import('node:http').IncomingMessage }>(
    {
      schema,
      onSubscribe: async (ctx, id, payload) => {
        let document;
        try {
          document = parse(payload.query, { maxTokens: limits.maxTokens });
        } catch (err) {
          return [err instanceof GraphQLError ? err : new GraphQLError('Syntax error', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        }
        const errors = validate(schema, document, limits.wsValidationRules);
        if (errors.length) return errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
        if (!getOperationAST(document, payload.operationName)) {
          return [new GraphQLError('Operation not found', { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })];
        }
        const { claims, failure } = await verifyBearer(services, ctx.connectionParams?.authorization);
        const req = ctx.extra.request;
        const contextValue = new RequestContext(services, claims, failure, { ip: req.socket.remoteAddress, userAgent: req.headers['user-agent'] }, 'stream');
        contexts.set(key(ctx, id), contextValue);
        return { schema, document, variableValues: payload.variables, operationName: payload.operationName, contextValue };
      },
      onNext: async (ctx, id, _payload, _args, result) => {
        await contexts.get(key(ctx, id))?.flushAudit();
        return result.errors ? { ...result, errors: format(result.errors) } : undefined;
      },
      onError: (_ctx, _id, _payload, errors) => format(errors),
      onComplete: async (ctx, id) => {
        const contextValue = contexts.get(key(ctx, id));
        contexts.delete(key(ctx, id));
        await contextValue?.finish();
      },
    },
    wss,
  );
  return {
    async close() {
      await cleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
