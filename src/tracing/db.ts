import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { ATTR_DB_OPERATION_NAME, ATTR_DB_QUERY_TEXT, ATTR_DB_SYSTEM_NAME, DB_SYSTEM_NAME_VALUE_POSTGRESQL } from '@opentelemetry/semantic-conventions';
import { TENANT_ATTRIBUTE, activeTracer, currentRequestTrace } from './tracer';

/** The statement's first keyword (`select`, `insert`, `begin`...), lower-cased, for the span name. */
const operationOf = (text: string): string => /^\s*\(?\s*([a-z]+)/i.exec(text)?.[1]?.toLowerCase() ?? 'sql';

/**
 * A CLIENT span for one SQL statement, a child of the GraphQL phase running (or of the current span),
 * or undefined when tracing is off or no span is current: background jobs (detection, sweepers,
 * LISTEN) would otherwise fill the collector with one-statement traces. The text is recorded as sent: drizzle sends values as bind
 * parameters (`$1`), and parameters are never recorded, so no personal data reaches the trace.
 */
export function traceQuery(text: string): ((err?: unknown) => void) | undefined {
  const tracer = activeTracer();
  if (!tracer) return undefined;
  const request = currentRequestTrace();
  if (!request?.phase && !trace.getSpan(context.active())) return undefined;
  const parent = request?.phase ? trace.setSpan(context.active(), request.phase) : context.active();
  const operation = operationOf(text);
  const span = tracer.startSpan(
    operation,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
        [ATTR_DB_OPERATION_NAME]: operation,
        [ATTR_DB_QUERY_TEXT]: text,
        ...(request?.tenantId ? { [TENANT_ATTRIBUTE]: request.tenantId } : {}),
      },
    },
    parent,
  );
  return (err?: unknown) => {
    // The error's class only: a driver's message can quote the values of the failed row.
    if (err) span.setStatus({ code: SpanStatusCode.ERROR, message: (err as { code?: string })?.code ?? (err as Error)?.name ?? 'error' });
    span.end();
  };
}


/**
 * The PGlite client (and the transactions it opens) with each `query` and `exec` traced; the client
 * itself when tracing is off when the database is created.
 */
export function tracedPglite<T extends object>(client: T): T {
  if (!activeTracer()) return client;
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => Promise<unknown>;
      if (prop === 'query' || prop === 'exec') {
        return async (...args: unknown[]) => {
          const end = traceQuery(String(args[0]));
          try {
            const result = await fn.apply(target, args);
            end?.();
            return result;
          } catch (err) {
            end?.(err);
            throw err;
          }
        };
      }
      if (prop === 'transaction') {
        return (body: (tx: object) => Promise<unknown>) => fn.call(target, (tx: object) => body(tracedPglite(tx)));
      }
      return fn.bind(target);
    },
  });
}
