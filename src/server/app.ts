import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import cors from 'cors';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import { migrationStatus } from '../db/migrate';
import { countStatements } from '../db/statements';
import { logger } from '../lib/logger';
import { buildSchema } from '../schema';
import { scimRouter } from '../modules/identity/scim.router';
import type { RequestContext } from './context';
import { formatError, httpErrorHandler } from './errors';
import { httpContext } from './http-context';
import { requestLifecyclePlugin } from './lifecycle-plugin';
import { createLimits } from './limits';
import type { Services } from './services';
import { attachWebSocket } from './ws';

export type App = { httpServer: http.Server; url: string; stop(): Promise<void> };

/** Express + Apollo Server (HTTP) + graphql-ws (WebSocket) on one path, with health endpoints. */
export async function startApp(services: Services, opts: { port?: number; host?: string; schema?: GraphQLSchema } = {}): Promise<App> {
  const { config } = services;
  const schema = opts.schema ?? buildSchema();
  const limits = createLimits(config);
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  const ws = attachWebSocket(httpServer, schema, services, limits);

  const apollo = new ApolloServer<RequestContext>({
    schema,
    introspection: limits.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // main.ts owns SIGTERM/SIGINT and stops the server once; Apollo's own handlers would stop it a
    // second time concurrently and re-raise the signal.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.env === 'production',
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    formatError,
    plugins: [
      ...limits.apollo.plugins,
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Every answer depends on who asks: no cache hints. Left on, its per-field hook made Apollo
      // instrument every resolver call (a measurable share of CPU on 100-row pages).
      ApolloServerPluginCacheControlDisabled(),
      requestLifecyclePlugin({ exposeCounters: config.env === 'test' }),
      { async serverWillStart() { return { drainServer: () => ws.close() }; } },
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      const m = await migrationStatus(services.database);
      // Without LISTEN, revocations and audit events from other instances are not heard here.
      const status = m.applied < m.expected ? 'migrations pending' : !services.database.listening() ? 'notifications reconnecting' : 'ready';
      res.status(status === 'ready' ? 200 : 503).json({ status, migrations: m });
    } catch (err) {
      logger.warn('readiness check failed', { err });
      res.status(503).json({ status: 'database unreachable' });
    }
  });
  // SCIM 2.0 provisioning (RFC 7644), authenticated by the tenant's SCIM bearer token.
  app.use('/scim/v2', scimRouter(services));
  app.use(
    '/graphql',
    cors<cors.CorsRequest>(),
    express.json({ limit: '100kb' }),
    // The per-request statement counter (an AsyncLocalStorage, which costs on every promise) only where
    // responses report it.
    ...(config.env === 'test' ? [(_req: express.Request, _res: express.Response, next: express.NextFunction) => countStatements(() => next())] : []),
    expressMiddleware(apollo, { context: ({ req }) => httpContext(services, req) }),
  );
  // Last: errors raised before Apollo (body parsing) would otherwise get Express's HTML page with a stack.
  app.use(httpErrorHandler);

  await new Promise<void>((resolve) => httpServer.listen(opts.port ?? config.port, opts.host ?? config.host, resolve));
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${opts.host === '0.0.0.0' || !opts.host ? 'localhost' : opts.host}:${port}/graphql`;
  let stopping: Promise<void> | undefined;
  return {
    httpServer,
    url,
    stop: () => (stopping ??= apollo.stop()),
  };
}
