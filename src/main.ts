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
  logger.info(`Warden is listening at ${app.url}`, { database: services.database.kind, env: config.env });

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info('shutting down: no new connections, finishing requests in flight', { signal });
    const force = setTimeout(() => {
      logger.error('shutdown grace period over, exiting');
      process.exit(1);
    }, config.shutdownGraceMs).unref();
    try {
      await app.stop();
      await services.close();
      clearTimeout(force);
      process.exit(0);
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
