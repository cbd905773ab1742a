import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { isPermission, type Permission } from './authz/permissions';

/** Environment parsed once into a typed Config. Unknown or malformed values stop start-up. */
const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().url().optional(),
  /** Named prepared statements on PostgreSQL; false behind a transaction-pooling PgBouncer older than 1.21. */
  WARDEN_DB_PREPARE: z.enum(['true', 'false']).default('true'),
  WARDEN_LISTEN_HEARTBEAT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  WARDEN_DATA_DIR: z.string().default('./data'),
  /** Apply pending migrations at start. Default: true, except on PostgreSQL with NODE_ENV=production (run `db:migrate` instead). */
  WARDEN_MIGRATE: z.enum(['true', 'false']).optional(),
  /** Ed25519 private key (PKCS#8 PEM) that signs access tokens. Required in production. */
  WARDEN_JWT_PRIVATE_KEY: z.string().optional(),
  WARDEN_JWT_ISSUER: z.string().default('urn:warden'),
  WARDEN_JWT_AUDIENCE: z.string().default('urn:warden:api'),
  /** Base64 of 32 random bytes: wraps every tenant's data key. Required in production. */
  WARDEN_MASTER_KEY: z.string().optional(),
  /** Earlier master keys (comma-separated base64), still accepted for unwrapping until keys:rotate re-wraps. */
  WARDEN_MASTER_KEY_PREVIOUS: z.string().optional(),
  /** Access-token lifetime in seconds; capped at 15 minutes. */
  WARDEN_ACCESS_TOKEN_TTL: z.coerce.number().int().min(30).max(900).default(900),
  WARDEN_REFRESH_TOKEN_TTL: z.coerce.number().int().min(300).default(30 * 24 * 3600),
  /** Step-up: how recent a session's second factor must be for @mfa fields, seconds (tenants may lower it). */
  WARDEN_STEP_UP_MAX_AGE: z.coerce.number().int().min(30).max(86_400).default(900),
  WARDEN_PASSWORD_MIN_LENGTH: z.coerce.number().int().min(8).max(128).default(12),
  /** Failures per account (and per client address) before lockout; the lock doubles with each further failure. */
  WARDEN_LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).default(5),
  WARDEN_IP_LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).default(50),
  WARDEN_LOCKOUT_BASE_SECONDS: z.coerce.number().int().min(1).default(30),
  WARDEN_TOTP_ISSUER: z.string().min(1).default('Warden'),
  WARDEN_SEED_DEMO: z.enum(['auto', 'always', 'never']).default('auto'),
  WARDEN_MAX_DEPTH: z.coerce.number().int().min(2).default(10),
  WARDEN_MAX_TOKENS: z.coerce.number().int().min(50).default(2000),
  WARDEN_MAX_COST: z.coerce.number().int().min(100).default(5000),
  WARDEN_MAX_DIRECTIVES: z.coerce.number().int().min(1).default(20),
  /** searchArticles ranks at most this many matches per search (the newest the viewer may read). */
  WARDEN_SEARCH_CANDIDATES: z.coerce.number().int().min(1).max(100_000).default(200),
  /** searchArticles counts matches up to this many (totalCount; totalCountIsCapped beyond). */
  WARDEN_SEARCH_COUNT_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  WARDEN_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /** How long the result of a mutation sent with an Idempotency-Key is kept for retries, seconds. */
  WARDEN_IDEMPOTENCY_KEY_TTL: z.coerce.number().int().min(60).max(7 * 86_400).default(86_400),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Serve Prometheus metrics at /metrics on this port of their own (0: any free port). Unset: not on a port of their own. */
  WARDEN_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Bearer token for /metrics; without WARDEN_METRICS_PORT, /metrics is served on the main port behind it. */
  WARDEN_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** OTLP/HTTP collector: base URL (`/v1/traces` is appended), as the OpenTelemetry SDKs read it. Unset: no tracing. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().refine(isHttpUrl, 'must be an http(s) URL').optional(),
  /** OTLP/HTTP traces endpoint, used as given (wins over OTEL_EXPORTER_OTLP_ENDPOINT). */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().refine(isHttpUrl, 'must be an http(s) URL').optional(),
  /** Warden's own name for OTEL_EXPORTER_OTLP_ENDPOINT (a base URL); wins over it. */
  WARDEN_OTLP_ENDPOINT: z.string().refine(isHttpUrl, 'must be an http(s) URL').optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('warden'),
  /** Trusted documents: off, allow (unregistered ones run, logged and counted) or require (refused). */
  WARDEN_TRUSTED_DOCUMENTS: z.enum(['off', 'allow', 'require']).default('off'),
  /** Under `require`, viewers holding any of these permissions (comma-separated) may still send ad-hoc documents. */
  WARDEN_TRUSTED_DOCUMENTS_ADHOC_PERMISSIONS: z
    .string()
    .transform((v) => v.split(',').map((p) => p.trim()).filter(Boolean))
    .pipe(z.array(z.string().refine(isPermission, 'each entry must be a permission, such as AUDIT_READ')))
    .optional(),
  /** Ed25519 private key (PKCS#8 PEM) that signs audit checkpoints; defaults to the token key. */
  WARDEN_AUDIT_SIGNING_KEY: z.string().optional(),
  /** Public keys (SPKI PEM, concatenated) of earlier checkpoint keys the verifier still trusts. */
  WARDEN_AUDIT_TRUSTED_KEYS: z.string().optional(),
  WARDEN_AUDIT_CHECKPOINT_INTERVAL: z.coerce.number().int().min(1).default(300),
  WARDEN_AUDIT_ARCHIVE_DIR: z.string().optional(),
  WARDEN_AUDIT_RETENTION_INTERVAL: z.coerce.number().int().min(60).default(3600),
  WARDEN_REVIEW_SWEEP_INTERVAL: z.coerce.number().int().min(1).default(60),
  /** GraphiQL at GET /graphql in a browser: on unless NODE_ENV=production; `true` or `false` decides. */
  WARDEN_GRAPHIQL: z.enum(['true', 'false']).optional(),
  /** Browser origins (comma-separated `scheme://host[:port]`) allowed besides the server's own host. */
  WARDEN_ALLOWED_ORIGINS: z
    .string()
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.string().refine(isOrigin, 'each entry must be an origin: http(s)://host[:port], no path, no wildcard')))
    .optional(),
});

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** `https://app.example.com` or `http://localhost:5173`, exactly as a browser sends it in `Origin`. */
function isOrigin(value: string): boolean {
  try {
    const u = new URL(value);
    // URL accepts `*` in a host name; a wildcard would read as one and match nothing.
    return (u.protocol === 'https:' || u.protocol === 'http:') && !u.hostname.includes('*') && u.origin === value.toLowerCase().replace(/\/$/, '');
  } catch {
    return false;
  }
}

export type Config = {
  env: 'development' | 'test' | 'production';
  port: number;
  host: string;
  databaseUrl: string | undefined;
  /** Send statements as named prepared statements (PostgreSQL only). */
  databasePrepare: boolean;
  /** PostgreSQL: how often the LISTEN connection must answer `select 1` (and within how long). */
  listenHeartbeatMs: number;
  dataDir: string;
  /**
   * Apply pending migrations at start (under an advisory lock). When false, a database behind this
   * version's migrations is not served: /readyz and /graphql answer 503 until they are applied.
   */
  migrate: boolean;
  jwt: { privateKeyPem: string | undefined; issuer: string; audience: string; accessTtl: number; refreshTtl: number };
  /** Master keys, decoded: `current` wraps new data keys, `previous` only unwrap (see src/crypto/master-key.ts). */
  masterKey: { current: Buffer | undefined; previous: Buffer[] };
  seedDemo: 'auto' | 'always' | 'never';
  authn: {
    stepUpMaxAge: number;
    passwordMinLength: number;
    lockout: { accountThreshold: number; ipThreshold: number; baseSeconds: number; maxSeconds: number; windowSeconds: number };
    totpIssuer: string;
  };
  limits: { maxDepth: number; maxTokens: number; maxCost: number; maxDirectives: number };
  /** searchArticles: how many of the newest matches are ranked, and up to how many are counted. */
  search: { candidates: number; countLimit: number };
  shutdownGraceMs: number;
  /** Seconds a mutation's result is kept under its Idempotency-Key. */
  idempotencyKeyTtl: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Where /metrics is served: its own port, the main port behind `token`, or nowhere (both unset). */
  metrics: { port: number | undefined; token: string | undefined };
  /**
   * Registered (trusted) documents: under `require` only they run, except for viewers holding one of
   * `adhocPermissions`; under `allow` others run and are logged and counted.
   */
  trustedDocuments: { mode: 'off' | 'allow' | 'require'; adhocPermissions: Permission[] };
  /** OpenTelemetry traces: the OTLP/HTTP traces URL, or undefined (tracing off, nothing registered). */
  tracing: { endpoint: string | undefined; serviceName: string };
  audit: {
    signingKeyPem: string | undefined;
    trustedKeysPem: string | undefined;
    /** Seconds between signed checkpoints of each tenant's chain head. */
    checkpointInterval: number;
    /** Folder for NDJSON archives of events past the retention period. */
    archiveDir: string;
    /** Seconds between retention runs. */
    retentionInterval: number;
  };
  /** Seconds between runs of the access-review due-date rule. */
  reviewSweepInterval: number;
  /** Serve GraphiQL (from local assets) to browsers at GET /graphql; otherwise a short page about the endpoint. */
  graphiql: boolean;
  /**
   * Cross-origin browser callers allowed on /graphql (HTTP and WebSocket): `origins` exactly, and any
   * loopback origin when `loopback` (the development and test default). The server's own host always is.
   */
  allowedOrigins: { origins: string[]; loopback: boolean };
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`DATABASE_URL=`) means unset, as shells and .env files commonly write it.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && !e.WARDEN_JWT_PRIVATE_KEY) {
    throw new Error('WARDEN_JWT_PRIVATE_KEY is required when NODE_ENV=production (an Ed25519 PKCS#8 PEM key).');
  }
  if (e.NODE_ENV === 'production' && !e.WARDEN_MASTER_KEY) {
    throw new Error(
      'WARDEN_MASTER_KEY is required when NODE_ENV=production: base64 of 32 random bytes (openssl rand -base64 32). ' +
        'It wraps the keys that encrypt customer data; without the one used before, that data cannot be read.',
    );
  }
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databasePrepare: e.WARDEN_DB_PREPARE === 'true',
    listenHeartbeatMs: e.WARDEN_LISTEN_HEARTBEAT_MS,
    dataDir: e.WARDEN_DATA_DIR,
    migrate: e.WARDEN_MIGRATE ? e.WARDEN_MIGRATE === 'true' : !(e.DATABASE_URL && e.NODE_ENV === 'production'),
    jwt: {
      privateKeyPem: e.WARDEN_JWT_PRIVATE_KEY,
      issuer: e.WARDEN_JWT_ISSUER,
      audience: e.WARDEN_JWT_AUDIENCE,
      accessTtl: e.WARDEN_ACCESS_TOKEN_TTL,
      refreshTtl: e.WARDEN_REFRESH_TOKEN_TTL,
    },
    masterKey: {
      current: e.WARDEN_MASTER_KEY ? decodeMasterKey(e.WARDEN_MASTER_KEY, 'WARDEN_MASTER_KEY') : undefined,
      previous: (e.WARDEN_MASTER_KEY_PREVIOUS ?? '')
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean)
        .map((k) => decodeMasterKey(k, 'WARDEN_MASTER_KEY_PREVIOUS')),
    },
    seedDemo: e.WARDEN_SEED_DEMO,
    authn: {
      stepUpMaxAge: e.WARDEN_STEP_UP_MAX_AGE,
      passwordMinLength: e.WARDEN_PASSWORD_MIN_LENGTH,
      lockout: {
        accountThreshold: e.WARDEN_LOCKOUT_THRESHOLD,
        ipThreshold: e.WARDEN_IP_LOCKOUT_THRESHOLD,
        baseSeconds: e.WARDEN_LOCKOUT_BASE_SECONDS,
        maxSeconds: 15 * 60,
        windowSeconds: 15 * 60,
      },
      totpIssuer: e.WARDEN_TOTP_ISSUER,
    },
    limits: {
      maxDepth: e.WARDEN_MAX_DEPTH,
      maxTokens: e.WARDEN_MAX_TOKENS,
      maxCost: e.WARDEN_MAX_COST,
      maxDirectives: e.WARDEN_MAX_DIRECTIVES,
    },
    search: { candidates: e.WARDEN_SEARCH_CANDIDATES, countLimit: e.WARDEN_SEARCH_COUNT_LIMIT },
    shutdownGraceMs: e.WARDEN_SHUTDOWN_GRACE_MS,
    idempotencyKeyTtl: e.WARDEN_IDEMPOTENCY_KEY_TTL,
    logLevel: e.LOG_LEVEL,
    metrics: { port: e.WARDEN_METRICS_PORT, token: e.WARDEN_METRICS_TOKEN },
    trustedDocuments: { mode: e.WARDEN_TRUSTED_DOCUMENTS, adhocPermissions: (e.WARDEN_TRUSTED_DOCUMENTS_ADHOC_PERMISSIONS ?? []) as Permission[] },
    tracing: { endpoint: tracesEndpoint(e), serviceName: e.OTEL_SERVICE_NAME },
    audit: {
      signingKeyPem: e.WARDEN_AUDIT_SIGNING_KEY,
      trustedKeysPem: e.WARDEN_AUDIT_TRUSTED_KEYS,
      checkpointInterval: e.WARDEN_AUDIT_CHECKPOINT_INTERVAL,
      archiveDir:
        e.WARDEN_AUDIT_ARCHIVE_DIR ??
        (e.WARDEN_DATA_DIR.startsWith('memory://') ? path.join(os.tmpdir(), 'warden-audit-archive') : path.join(e.WARDEN_DATA_DIR, 'audit-archive')),
      retentionInterval: e.WARDEN_AUDIT_RETENTION_INTERVAL,
    },
    reviewSweepInterval: e.WARDEN_REVIEW_SWEEP_INTERVAL,
    graphiql: e.WARDEN_GRAPHIQL === undefined ? e.NODE_ENV !== 'production' : e.WARDEN_GRAPHIQL === 'true',
    allowedOrigins: e.WARDEN_ALLOWED_ORIGINS
      ? { origins: e.WARDEN_ALLOWED_ORIGINS.map((o) => new URL(o).origin), loopback: false }
      : { origins: [], loopback: e.NODE_ENV !== 'production' },
  };
}

/** The OpenTelemetry rule: a signal-specific endpoint is used as is, a base endpoint gets `/v1/traces`. */
function tracesEndpoint(e: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string; OTEL_EXPORTER_OTLP_ENDPOINT?: string; WARDEN_OTLP_ENDPOINT?: string }): string | undefined {
  if (e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = e.WARDEN_OTLP_ENDPOINT ?? e.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/** A master key is exactly 32 bytes (AES-256), given as base64; anything else stops start-up. */
function decodeMasterKey(value: string, name: string): Buffer {
  const trimmed = value.trim();
  const key = Buffer.from(trimmed, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || key.length !== 32) {
    throw new Error(`Invalid configuration:\n  ${name}: must be base64 of exactly 32 bytes (openssl rand -base64 32)`);
  }
  return key;
}
