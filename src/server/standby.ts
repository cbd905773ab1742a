import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Database } from '../db/client';
import { isBehind, migrationStatus, type MigrationStatus } from '../db/migrate';
import { logger } from '../lib/logger';

const RETRY_AFTER_SECONDS = 5;

/**
 * Hold start-up while the database is behind this version's migrations (WARDEN_MIGRATE=false and
 * `db:migrate` not yet run): say so once, serve nothing but 503s on the server's port (`/healthz` 200,
 * `/readyz` "migrations pending", `/graphql` SERVICE_UNAVAILABLE), and check again every `pollMs`.
 * Resolves, with the port free again, once the migrations are in; at once when they already are.
 */
export async function untilMigrated(database: Database, listen: { port: number; host: string }, pollMs = RETRY_AFTER_SECONDS * 1000): Promise<void> {
  let status = await migrationStatus(database);
  if (!isBehind(status)) return;
  const server = http.createServer((req, res) => answer(req, res, status));
  // A GraphQL WebSocket gets the same answer, as the HTTP response to its upgrade request.
  server.on('upgrade', (_req, socket) => socket.end(`HTTP/1.1 503 Service Unavailable\r\nRetry-After: ${RETRY_AFTER_SECONDS}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`));
  await new Promise<void>((resolve) => server.listen(listen.port, listen.host, resolve));
  const { port } = server.address() as AddressInfo;
  logger.error(
    `database is behind this version's migrations (${status.applied} of ${status.expected} applied): not serving until they are applied ` +
      `(npm run db:migrate, or WARDEN_MIGRATE=true); /readyz answers 503 meanwhile at http://${listen.host}:${port}/readyz`,
    { migrations: status },
  );
  try {
    while (isBehind(status)) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      try {
        status = await migrationStatus(database);
      } catch (err) {
        logger.warn('checking the database migrations failed; trying again', { err });
      }
    }
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  logger.info('database migrations applied; starting', { migrations: status });
}

function answer(req: http.IncomingMessage, res: http.ServerResponse, migrations: MigrationStatus): void {
  const path = (req.url ?? '/').split('?')[0];
  const [status, body] =
    path === '/healthz'
      ? [200, { status: 'ok' }]
      : path === '/readyz'
        ? [503, { status: 'migrations pending', migrations }]
        : path === '/graphql'
          ? [503, { errors: [{ message: 'The database is being upgraded; retry the request later', extensions: { code: 'SERVICE_UNAVAILABLE' } }] }]
          : [404, { error: 'not found' }];
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...(status === 503 && { 'retry-after': String(RETRY_AFTER_SECONDS) }),
  });
  res.end(text);
}
