import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, getOperationAST, parse, validate, type GraphQLSchema } from 'graphql';
import type { WebSocket } from 'ws';
import { revokes } from '../authn/session-bus';
import { storedSessionEnd } from '../authn/session-end';
import { withTenantTx } from '../db/tenant-tx';
import { isDatabaseUnavailable } from '../db/unavailable';
import { validationExtensions } from '../lib/errors';
import { logger } from '../lib/logger';
import { loadViewerRow } from '../modules/identity/identity.repo';
import type { AccessClaims } from '../authn/tokens';
import { RequestContext } from './context';
import { requestLogger } from '../lib/logger';
import { subscriptions, websockets } from '../metrics/registry';
import { formatError, tagErrors } from './errors';
import { verifyBearer } from './http-context';
import type { createLimits } from './limits';
import { verifyOrigin } from './origin-policy';
import { unstorableTextError } from './text-input';
import type { Services } from './services';
import type { trustedDocuments } from './trusted-documents';

/**
 * graphql-ws on the same path as HTTP. Validation uses the same limits as HTTP (graphql-ws would
 * otherwise run only graphql-js's own rules), and every operation gets its own context, finished
 * (audit written) when the operation completes.
 */
export function attachWebSocket(
  httpServer: HttpServer,
  schema: GraphQLSchema,
  services: Services,
  limits: ReturnType<typeof createLimits>,
  trusted: ReturnType<typeof trustedDocuments>,
) {
  // The same bound as the HTTP body (express.json limit in app.ts); ws would accept 100 MiB messages.
  // A larger message closes the socket with 1009 (Message Too Big).
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 100 * 1024, verifyClient: verifyOrigin(services.config.allowedOrigins) });
  const contexts = new Map<string, RequestContext>();
  const key = (socketId: object, id: string) => `${idOf(socketId)}:${id}`;
  const ids = new WeakMap<object, number>();
  let nextId = 0;
  const idOf = (o: object) => {
    if (!ids.has(o)) ids.set(o, ++nextId);
    return ids.get(o)!;
  };
  // Sockets and the session they were authenticated with: a revocation on any instance closes them
  // (4401, graphql-ws's Unauthorized), since their operations were authorized once, at subscribe time.
  // The close reason is the session's end code (LOGGED_OUT, OFFBOARDED, ...), read back from the
  // database: the socket's own token proved it holds that session.
  const authenticated = new Map<WebSocket, AccessClaims>();
  const sessionState = (claims: AccessClaims) => withTenantTx(services.database.db, claims.tid, (tx) => loadViewerRow(tx, claims.sub, claims.sid));
  const closeRevoked = (socket: WebSocket, row: Awaited<ReturnType<typeof sessionState>>) => {
    authenticated.delete(socket);
    socket.close(4401, row && !row.session_ok ? storedSessionEnd(row.revoked_reason, row.revoked_reference).reason : 'Session revoked');
  };
  const stopListening = services.sessionBus.onRevoked((r) => {
    for (const [socket, claims] of authenticated) {
      if (!revokes(r, claims)) continue;
      authenticated.delete(socket);
      // Bounded: a database that does not answer must not keep a revoked socket open (it closes without a code).
      Promise.race([sessionState(claims), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000).unref())]).then(
        (row) => closeRevoked(socket, row),
        (err: unknown) => {
          logger.warn('reading a revoked WebSocket session failed', { err });
          socket.close(4401, 'Session revoked');
        },
      );
    }
  });
  // Revocations committed while LISTEN was down were never heard: ask the database about each socket's
  // session instead. One at a time, as it runs once per reconnect.
  const stopRechecking = services.sessionBus.onRestored(() => {
    void (async () => {
      for (const [socket, claims] of [...authenticated]) {
        const row = await sessionState(claims);
        if (row?.session_ok && row.status === 'ACTIVE') continue;
        closeRevoked(socket, row);
      }
    })().catch((err: unknown) => logger.warn('re-checking WebSocket sessions after reconnecting failed', { err }));
  });
  // graphql-js reports variable coercion failures as path-less errors with no code; over HTTP Apollo
  // calls them BAD_USER_INPUT, and so does this, rather than masking them as internal errors.
  const requestError = (e: GraphQLError) =>
    !e.path && (!e.originalError || e.originalError instanceof GraphQLError) && e.extensions?.code === undefined ? new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'BAD_USER_INPUT' } }) : e;
  const format = (errors: readonly GraphQLError[], owner?: RequestContext) => {
    const mapped = errors.map(requestError);
    if (owner) tagErrors(mapped, owner);
    return mapped.map((e) => formatError(e.toJSON(), e));
  };
  wss.on('connection', (socket) => {
    websockets.inc();
    socket.once('close', () => websockets.dec());
  });

  const cleanup = useServer<Record<string, unknown>, { request: import('node:http').IncomingMessage; socket: WebSocket }>(
    {
      schema,
      onSubscribe: async (ctx, id, payload) => {
        // A registered document may be sent by its hash alone.
        const source = await trusted.resolve(payload);
        if (source instanceof GraphQLError) return [source];
        let document;
        try {
          document = parse(source.query, { maxTokens: limits.maxTokens });
        } catch (err) {
          // graphql-js syntax errors carry no code; without one formatError would mask them as internal.
          const syntax = err instanceof GraphQLError ? err : undefined;
          return [new GraphQLError(syntax?.message ?? 'Syntax error', { source: syntax?.source, positions: syntax?.positions, extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        }
        const errors = validate(schema, document, limits.wsValidationRules);
        // A rule's own code (QUERY_TOO_COMPLEX, with cost and maxCost) is kept, as on HTTP.
        if (errors.length) return errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: validationExtensions(e) }));
        const tooComplex = limits.costWithVariables(schema, document, payload.variables);
        if (tooComplex) return [new GraphQLError(tooComplex.message, { extensions: validationExtensions(tooComplex) })];
        if (!getOperationAST(document, payload.operationName)) {
          return [new GraphQLError('Operation not found', { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })];
        }
        const unstorable = unstorableTextError(document, payload.variables);
        if (unstorable) return [unstorable];
        const { claims, failure } = await verifyBearer(services, authorizationParam(ctx.connectionParams));
        const req = ctx.extra.request;
        if (claims && !authenticated.has(ctx.extra.socket)) {
          authenticated.set(ctx.extra.socket, claims);
          ctx.extra.socket.once('close', () => authenticated.delete(ctx.extra.socket));
        }
        // Each operation has its own id (a socket carries many).
        const requestId = randomUUID();
        const contextValue = new RequestContext(services, claims, failure, { ip: req.socket.remoteAddress, userAgent: req.headers['user-agent'] }, 'stream', {
          requestId,
          log: requestLogger(requestId).log,
        });
        // After the token, before the operation is kept: an unregistered document may need the viewer.
        const refusal = await trusted.check(source.hash, contextValue, payload.operationName);
        if (refusal) {
          await contextValue.finish().catch((err: unknown) => logger.warn('refused operation audit could not be written', { err }));
          return [refusal];
        }
        contexts.set(key(ctx, id), contextValue);
        subscriptions.inc();
        return { schema, document, variableValues: payload.variables, operationName: payload.operationName, contextValue };
      },
      onNext: async (ctx, id, _payload, _args, result) => {
        const owner = contexts.get(key(ctx, id));
        try {
          await owner?.flushAudit();
        } catch (err) {
          // What this event read could not be audited: it is not delivered (no data without its audit row).
          return { errors: format([new GraphQLError('audit write failed', { originalError: err as Error })], owner) };
        }
        return result.errors ? { ...result, errors: format(result.errors, owner) } : undefined;
      },
      onError: (ctx, id, _payload, errors) => format(errors, contexts.get(key(ctx, id))),
      onComplete: async (ctx, id) => {
        const contextValue = contexts.get(key(ctx, id));
        contexts.delete(key(ctx, id));
        if (contextValue) subscriptions.dec();
        await contextValue?.finish().catch((err: unknown) => logger[isDatabaseUnavailable(err) ? 'warn' : 'error']('subscription audit could not be written', { err }));
      },
    },
    wss,
  );
  return {
    async close() {
      stopListening();
      stopRechecking();
      await cleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * The `authorization` connection parameter, its name in any case: GraphiQL sends its headers editor's
 * content as connection parameters, where users write `Authorization` as they would the HTTP header.
 */
function authorizationParam(params: Record<string, unknown> | undefined): unknown {
  if (!params) return undefined;
  if ('authorization' in params) return params.authorization;
  const name = Object.keys(params).find((k) => k.toLowerCase() === 'authorization');
  return name === undefined ? undefined : params[name];
}
