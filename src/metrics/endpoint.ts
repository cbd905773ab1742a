import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { logger } from '../lib/logger';
import { registry } from './registry';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** GET /metrics in Prometheus's text format; with a token, only for `Authorization: Bearer <token>` (401 otherwise). */
export function metricsHandler(token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return (req, res) => {
    if (expected) {
      const m = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
      // Compared as digests: equal length, constant time.
      if (!m || !timingSafeEqual(digest(m[1]), expected)) {
        res.status(401).set('WWW-Authenticate', 'Bearer realm="metrics"').json({ error: 'metrics require the bearer token (WARDEN_METRICS_TOKEN)' });
        return;
      }
    }
    registry.metrics().then(
      (text) => res.set('Content-Type', registry.contentType).send(text),
      (err: unknown) => {
        logger.error('metrics collection failed', { err });
        res.status(500).json({ error: 'metrics collection failed' });
      },
    );
  };
}

/** /metrics on a port of its own (not behind the load balancer); every other path is 404. */
export async function startMetricsServer(port: number, host: string, token: string | undefined): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(token));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Prometheus keeps its scrape connection alive.
        server.closeAllConnections();
      }),
  };
}
