import { loadConfig } from './config';
import { createServices } from './boot';
import { isDatabaseUnavailable } from './db/unavailable';
import { logger, setLogLevel } from './lib/logger';
import { startApp } from './server/app';

/** Start-up: config -> database -> server -> listen; graceful shutdown on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const services = await createServices(config);
  const app = await startApp(services);
  logger.info(`Warden is listening at ${app.url}`, { database: services.database.kind, env: config.env, metrics: app.metricsUrl ?? 'off' });

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    const grace = config.shutdownGraceMs;
    logger.info('shutting down: not ready, no new connections, finishing requests in flight', { signal, graceMs: grace });
    const force = setTimeout(() => {
      logger.error('shutdown grace period over, exiting');
      process.exit(1);
    }, grace).unref();
    try {
      // HTTP gets the grace period less a reserve for closing the database and background jobs.
      const drained = await app.stop({ deadlineMs: Math.max(0, grace - Math.min(2000, grace / 5)) });
      await services.close();
      clearTimeout(force);
      logger.info(drained ? 'shut down' : 'shut down; some connections were still open at the deadline and were closed');
      process.exit(drained ? 0 : 1);
    } catch (err) {
      logger.error('shutdown failed', { err });
      process.exit(1);
    }
  };
  // Backstop: a database fault must not end the process. Every known source of a rejection nobody
  // awaits is handled; one that is not (a bug) is logged and survived when it is only the database
  // being away. Anything else still ends the process, as Node does by default.
  process.on('unhandledRejection', (reason) => {
    if (isDatabaseUnavailable(reason)) return logger.error('unhandled rejection from the database driver (a bug in Warden)', { err: reason });
    logger.error('unhandled rejection', { err: reason });
    process.exit(1);
  });
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  logger.error('Warden failed to start', { err });
  process.exit(1);
});
