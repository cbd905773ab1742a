import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { loadConfig } from '../../src/config';
import { tracingPlugins } from '../../src/tracing/graphql-plugin';
import { traceQuery } from '../../src/tracing/db';
import { activeTracer, startTracing } from '../../src/tracing/tracer';

describe('tracing configuration', () => {
  it('is off unless an OTLP endpoint is set, and follows the OpenTelemetry endpoint rules', () => {
    expect(loadConfig({}).tracing).toEqual({ endpoint: undefined, serviceName: 'warden' });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing.endpoint).toBe('http://collector:4318/v1/traces');
    expect(loadConfig({ WARDEN_OTLP_ENDPOINT: 'https://otel.example.com', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318' }).tracing.endpoint).toBe('https://otel.example.com/v1/traces');
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).tracing.endpoint).toBe('http://c:4318/custom');
    expect(loadConfig({ OTEL_SERVICE_NAME: 'warden-eu' }).tracing.serviceName).toBe('warden-eu');
  });

  it('refuses an endpoint that is not an http(s) URL', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT: must be an http\(s\) URL/);
    expect(() => loadConfig({ WARDEN_OTLP_ENDPOINT: 'grpc://collector:4317' })).toThrow(/WARDEN_OTLP_ENDPOINT/);
  });
});

describe('with tracing off', () => {
  it('registers no tracer provider and installs nothing', () => {
    expect(startTracing(loadConfig({}))).toBeUndefined();
    expect(activeTracer()).toBeUndefined();
    expect(tracingPlugins()).toEqual([]);
    expect(traceQuery('select 1')).toBeUndefined();
    // The API's no-op: spans started through it are not recorded.
    expect(trace.getTracer('x').startSpan('s').isRecording()).toBe(false);
  });
});

describe('with an OTLP endpoint', () => {
  it('exports spans to the collector over OTLP/HTTP', async () => {
    const bodies: string[] = [];
    const collector = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('latin1')));
      req.on('end', () => {
        bodies.push(`${req.method} ${req.url} ${req.headers.authorization} ${body}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const { port } = collector.address() as AddressInfo;
    // The exporter reads the standard header variable itself (a collector's token).
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'authorization=Bearer collector-token';
    const tracing = startTracing(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_SERVICE_NAME: 'warden-under-test' }))!;
    try {
      expect(activeTracer()).toBeDefined();
      // Outside any span (a background job): no statement span.
      expect(traceQuery('select 1')).toBeUndefined();
      activeTracer()!.startActiveSpan('job', (span) => {
        traceQuery('select id from articles where tenant_id = $1')!();
        span.end();
      });
    } finally {
      // Shutdown flushes the batch.
      await tracing.shutdown();
      collector.close();
      delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
    }
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatch(/^POST \/v1\/traces Bearer collector-token /);
    expect(bodies[0]).toContain('select id from articles where tenant_id = $1');
    expect(bodies[0]).toContain('warden-under-test');
    expect(bodies[0]).not.toContain('select 1');
    expect(activeTracer()).toBeUndefined();
  });
});
