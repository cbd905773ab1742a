import { context, createContextKey, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Config } from '../config';

/**
 * OpenTelemetry tracing, registered only when an OTLP endpoint is configured. Every instrumentation
 * point asks `activeTracer()` first and does nothing when it is undefined: with tracing off there is
 * no tracer provider, no span objects and no context propagation.
 */
let active: { tracer: Tracer; provider: NodeTracerProvider } | undefined;

export const activeTracer = (): Tracer | undefined => active?.tracer;

/**
 * Register a tracer provider with these span processors: the global provider, the AsyncLocalStorage
 * context manager and the W3C `traceparent` propagator. Once per process.
 */
export function registerTracing(spanProcessors: SpanProcessor[], serviceName = 'warden'): { shutdown(): Promise<void> } {
  if (active) throw new Error('tracing is already registered in this process');
  const provider = new NodeTracerProvider({ resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }), spanProcessors });
  provider.register();
  active = { tracer: provider.getTracer('warden'), provider };
  return {
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      active = undefined;
    },
  };
}

/** Tracing to the configured OTLP/HTTP collector, batched; undefined (nothing registered) when none is. */
export function startTracing(config: Config): { shutdown(): Promise<void> } | undefined {
  const { endpoint, serviceName } = config.tracing;
  if (!endpoint) return undefined;
  return registerTracing([new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }))], serviceName);
}

/**
 * What the request's later spans need and the context cannot carry, since Apollo's hooks cannot make a
 * span current: the GraphQL phase running now (database spans become its children) and the tenant.
 */
export type RequestTrace = { phase: Span | undefined; tenantId: string | undefined };
const REQUEST_TRACE = createContextKey('warden.request-trace');

export const withRequestTrace = (ctx: Context, value: RequestTrace): Context => ctx.setValue(REQUEST_TRACE, value);
export const currentRequestTrace = (): RequestTrace | undefined => context.active().getValue(REQUEST_TRACE) as RequestTrace | undefined;

/** The tenant attribute every Warden span carries once the caller's tenant is known (never a user). */
export const TENANT_ATTRIBUTE = 'warden.tenant_id';
