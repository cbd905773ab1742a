import type { NextFunction, Request, Response } from 'express';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import { activeTracer, withRequestTrace } from './tracer';

/** Paths named as they are; any other (SCIM's carry user ids) by its prefix only, so no id enters a span. */
const FIXED = new Set(['/graphql', '/healthz', '/readyz', '/metrics']);
const routeOf = (url: string): string => {
  const path = url.split('?')[0];
  if (FIXED.has(path)) return path;
  return path.startsWith('/scim/v2/') || path === '/scim/v2' ? '/scim/v2/*' : '/*';
};

/**
 * A SERVER span per HTTP request, a child of the caller's W3C `traceparent` when it sends a valid one.
 * Only the method, route and status are recorded: no query string, no ids in paths, no headers, no
 * body. The request and response emitters are bound to the span's context, so work started from their
 * events (the body parser's) still runs inside it. A pass-through when tracing is off.
 */
export function traceHttp(req: Request, res: Response, next: NextFunction): void {
  const tracer = activeTracer();
  if (!tracer) return next();
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const route = routeOf(req.originalUrl);
  const span = tracer.startSpan(
    `${req.method} ${route}`,
    { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_HTTP_ROUTE]: route, ...(FIXED.has(route) && { [ATTR_URL_PATH]: route }) } },
    parent,
  );
  const ctx = withRequestTrace(trace.setSpan(parent, span), { phase: undefined, tenantId: undefined });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  res.once('finish', end);
  res.once('close', end);
  context.bind(ctx, req);
  context.bind(ctx, res);
  context.with(ctx, next);
}
