import type { IncomingMessage } from 'node:http';
import type pino from 'pino';
import { pinoHttp } from 'pino-http';
import { rootLogger, wrapLogger, type Logger } from '../lib/logger';
import { requestIdFrom } from './request-id';

/** Probes and scrapes would fill the log with nothing to learn from. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

const pathOf = (url: string | undefined): string => (url ?? '').split('?')[0];

/**
 * One line per finished request (method, path without the query string, status, duration) and
 * `req.log`, a child logger carrying the request id, for everything logged while answering it. The id
 * goes back in X-Request-Id. Headers are logged, with the credentials in them redacted by path.
 */
export const httpLogger = pinoHttp({
  logger: rootLogger,
  quietReqLogger: true,
  customAttributeKeys: { reqId: 'requestId' },
  genReqId: (req, res) => {
    const id = requestIdFrom(req.headers);
    res.setHeader('X-Request-Id', id);
    return id;
  },
  autoLogging: { ignore: (req) => QUIET_PATHS.has(pathOf(req.url)) },
  // 503 is the database being away (its cause is logged once, as a warning): an outage would otherwise
  // bury real errors under one line per refused request.
  customLogLevel: (_req, res, err) => (err || (res.statusCode >= 500 && res.statusCode !== 503) ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
  customSuccessMessage: () => 'request completed',
  customErrorMessage: () => 'request failed',
  serializers: {
    req: (req: { method: string; url: string; headers: Record<string, unknown> }) => ({ method: req.method, url: pathOf(req.url), headers: req.headers }),
    res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
  },
  wrapSerializers: false,
});

/** The request's id and logger (set by httpLogger); the root logger for a request it did not see. */
export function requestLog(req: IncomingMessage): { requestId: string; log: Logger } {
  const r = req as IncomingMessage & { id?: unknown; log?: pino.Logger };
  if (typeof r.id !== 'string' || !r.log) return { requestId: requestIdFrom(req.headers), log: wrapLogger(rootLogger) };
  return { requestId: r.id, log: wrapLogger(r.log) };
}
