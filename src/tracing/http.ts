import type { NextFunction, Request, Response } from 'express';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import { activeTracer, withRequestTrace } from './tracer';

const pathOf = (url: string): string => url.split('?')[0];

/**
 * A SERVER span per HTTP request, a child of the caller's W3C `traceparent` when it sends a valid one.
 * Only the method, path and status are recorded: no query string, no headers, no body. The request
 * and response emitters are bound to the span's context, so work started from their events (the body
 * parser's) still runs inside it. A pass-through when tracing is off.
 */
export function traceHttp(req: Request, res: Response, next: NextFunction): void {
  const tracer = activeTracer();
  if (!tracer) return next();
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const path = pathOf(req.originalUrl);
  const span = tracer.startSpan(
    `${req.method} ${path}`,
    { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_URL_PATH]: path, [ATTR_HTTP_ROUTE]: path } },
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
