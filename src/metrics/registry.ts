import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics (one registry per process, as Prometheus scrapes processes). Label
 * values come from bounded sets only: schema coordinates, error codes, rule kinds, and operation names
 * capped at MAX_OPERATIONS (later names count as "other"). Never tenant or user ids.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const MAX_OPERATIONS = 200;
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const requestDuration = new Histogram({
  name: 'warden_graphql_request_duration_seconds',
  help: 'GraphQL operations over HTTP by operation name and type, from request to response (count = requests)',
  labelNames: ['operation', 'type'],
  buckets: SECONDS,
  registers: [registry],
});
const errors = new Counter({ name: 'warden_graphql_errors_total', help: 'GraphQL errors in responses by extensions.code', labelNames: ['code'], registers: [registry] });
const denials = new Counter({ name: 'warden_authz_denials_total', help: 'Authorization refusals by schema coordinate', labelNames: ['coordinate'], registers: [registry] });
const sensitiveReads = new Counter({ name: 'warden_sensitive_reads_total', help: 'Values of sensitive fields read, by level and mode (FULL, MASKED)', labelNames: ['level', 'mode'], registers: [registry] });
const alerts = new Counter({ name: 'warden_alerts_raised_total', help: 'Security alerts raised by this instance, by rule', labelNames: ['rule'], registers: [registry] });
const detectionLag = new Histogram({
  name: 'warden_detection_lag_seconds',
  help: 'From an audit commit being heard to the detection rules having evaluated it',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});
const streamLag = new Histogram({
  name: 'warden_audit_stream_lag_seconds',
  help: 'Age of an audit event (since its transaction started) when handed to this instance\'s subscribers',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});
export const websockets = new Gauge({ name: 'warden_websocket_connections', help: 'Open GraphQL WebSocket connections', registers: [registry] });
export const subscriptions = new Gauge({ name: 'warden_subscriptions_active', help: 'Active GraphQL operations over WebSocket (subscriptions, mostly)', registers: [registry] });

// Children of the hot counters, looked up once per label set.
const caches = new WeakMap<Counter<string>, Map<string, { inc(): void }>>();
const child = (c: Counter<string>, ...values: string[]) => {
  let cache = caches.get(c);
  if (!cache) caches.set(c, (cache = new Map()));
  const key = values.join('\u0000');
  let x = cache.get(key);
  if (!x) cache.set(key, (x = c.labels(...values)));
  return x;
};

const operations = new Set<string>();
/** A label for a client-chosen operation name: the first MAX_OPERATIONS distinct names, then "other". */
export function operationLabel(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  if (operations.has(name)) return name;
  if (operations.size >= MAX_OPERATIONS || !/^[_A-Za-z][_0-9A-Za-z]{0,99}$/.test(name)) return 'other';
  operations.add(name);
  return name;
}

export const metrics = {
  request(operation: string, type: string, seconds: number): void {
    requestDuration.labels(operation, type).observe(seconds);
  },
  error(code: string): void {
    child(errors, code).inc();
  },
  denial(coordinate: string): void {
    child(denials, coordinate).inc();
  },
  sensitiveRead(level: string, mode: string): void {
    child(sensitiveReads, level, mode).inc();
  },
  alert(rule: string): void {
    child(alerts, rule).inc();
  },
  detectionLag(seconds: number): void {
    detectionLag.observe(seconds);
  },
  streamLag(seconds: number): void {
    streamLag.observe(seconds);
  },
};
