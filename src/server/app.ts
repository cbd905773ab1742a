import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import { migrationStatus } from '../db/migrate';
import { countStatements } from '../db/statements';
import { logger } from '../lib/logger';
import { buildSchema } from '../schema';
import { scimRouter } from '../modules/identity/scim.router';
import type { RequestContext } from './context';
import { createDrain } from './drain';
import { errorOwnerPlugin, formatError, httpErrorHandler } from './errors';
import { graphiql } from './graphiql';
import { httpContext } from './http-context';
import { httpLogger } from './http-log';
import { watchDatabase } from '../metrics/database';
import { metricsHandler, startMetricsServer } from '../metrics/endpoint';
import { metricsPlugin } from '../metrics/graphql-plugin';
import { idempotencyPlugin } from './idempotency-plugin';
import { requestLifecyclePlugin } from './lifecycle-plugin';
import { createLimits } from './limits';
import { originGuard } from './origin-policy';
import { verifyBodyEncoding } from './body-encoding';
import { storableTextPlugin } from './text-input';
import type { Services } from './services';
import { attachWebSocket } from './ws';
import { traceHttp } from '../tracing/http';
import { tracingPlugins } from '../tracing/graphql-plugin';
import { trustedDocuments } from './trusted-documents';

export type App = {
  httpServer: http.Server;
  url: string;
  /** Where Prometheus scrapes, when metrics are served (WARDEN_METRICS_PORT or WARDEN_METRICS_TOKEN). */
  metricsUrl: string | undefined;
  /**
   * Drain and stop (once; later calls return the same promise): resolves true when every connection
   * ended within `deadlineMs` (default: the shutdown grace period), false when some had to be cut.
   */
  stop(opts?: { deadlineMs?: number }): Promise<boolean>;
};

/** Express + Apollo Server (HTTP) + graphql-ws (WebSocket) on one path, with health endpoints. */
export async function startApp(services: Services, opts: { port?: number; host?: string; schema?: GraphQLSchema } = {}): Promise<App> {
  const { config } = services;
  const schema = opts.schema ?? buildSchema();
  const limits = createLimits(config);
  const trusted = trustedDocuments(services);
  const app = express();
  app.disable('x-powered-by');
  // First: the request's span (when tracing is on) encloses everything else.
  app.use(traceHttp);
  // Next: every later line of the request carries its id, and the response its X-Request-Id.
  app.use(httpLogger);
  const httpServer = http.createServer();
  const drain = createDrain(httpServer);
  httpServer.on('request', drain.listener(app));
  const ws = attachWebSocket(httpServer, schema, services, limits, trusted);

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
    ...trusted.apollo,
    plugins: [
      // First: errors are tagged with their request before any other plugin sees them.
      errorOwnerPlugin,
      metricsPlugin(),
      ...tracingPlugins(),
      ...trusted.plugins,
      ...limits.apollo.plugins,
      // Every answer depends on who asks: no cache hints. Left on, its per-field hook made Apollo
      // instrument every resolver call (a measurable share of CPU on 100-row pages).
      ApolloServerPluginCacheControlDisabled(),
      // Browsers get GraphiQL from local assets, or a short page (./graphiql), never a CDN page.
      ApolloServerPluginLandingPageDisabled(),
      requestLifecyclePlugin({ exposeCounters: config.env === 'test' }),
      // Text that cannot be stored is refused before a key is reserved for it.
      storableTextPlugin,
      idempotencyPlugin(),
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    // Out of the load balancer's rotation as soon as draining starts (requests in flight still finish).
    if (drain.draining) {
      res.status(503).json({ status: 'draining' });
      return;
    }
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
  // On the main port only behind its token; on a port of its own otherwise (below).
  if (config.metrics.token && config.metrics.port === undefined) app.get('/metrics', metricsHandler(config.metrics.token));
  // SCIM 2.0 provisioning (RFC 7644), authenticated by the tenant's SCIM bearer token.
  app.use('/scim/v2', scimRouter(services));
  app.use(graphiql(config));
  app.use(
    '/graphql',
    ...originGuard(config.allowedOrigins),
    express.json({ limit: '100kb', verify: verifyBodyEncoding }),
    ...trusted.middleware,
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
  const unwatch = watchDatabase(services.database);
  const metricsServer = config.metrics.port === undefined ? undefined : await startMetricsServer(config.metrics.port, opts.host ?? config.host, config.metrics.token);
  const metricsUrl = metricsServer?.url ?? (config.metrics.token ? url.replace(/\/graphql$/, '/metrics') : undefined);
  let stopping: Promise<boolean> | undefined;
  const stop = async (deadlineMs: number) => {
    const grace = config.shutdownGraceMs;
    const [drained] = await Promise.all([
      // Idle keep-alive connections get a moment in which a busy client's next request is answered 503
      // instead of being reset; a quarter of the grace period, at most a second.
      drain.drain({ deadlineMs, idleCloseMs: Math.min(1000, grace / 4) }),
      // graphql-ws closes every socket with 1001 (Going Away).
      ws.close(),
    ]);
    await apollo.stop();
    // Last: the final scrape can still see the drain.
    await metricsServer?.close();
    unwatch();
    return drained;
  };
  return {
    httpServer,
    url,
    metricsUrl,
    stop: (opts = {}) => (stopping ??= stop(opts.deadlineMs ?? config.shutdownGraceMs)),
  };
}
