import { loadConfig } from '../../src/config';

describe('configuration', () => {
  it('has working defaults for the embedded demo', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ env: 'development', port: 4000, databaseUrl: undefined, dataDir: './data', seedDemo: 'auto' });
    expect(c.jwt.accessTtl).toBe(900);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' })).toMatchObject({ databaseUrl: undefined, port: 4000 });
  });

  it('stops start-up with a clear message on a malformed value', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ WARDEN_ACCESS_TOKEN_TTL: '3600' })).toThrow(/WARDEN_ACCESS_TOKEN_TTL/);
  });

  it('requires a signing key in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/WARDEN_JWT_PRIVATE_KEY is required/);
  });
});

describe('audit configuration', () => {
  it('keeps archives beside the data, checkpoints every five minutes, and validates intervals', () => {
    expect(loadConfig({}).audit).toMatchObject({ checkpointInterval: 300, retentionInterval: 3600, archiveDir: 'data/audit-archive' });
    expect(loadConfig({ WARDEN_DATA_DIR: 'memory://' }).audit.archiveDir).toMatch(/warden-audit-archive$/);
    expect(() => loadConfig({ WARDEN_AUDIT_CHECKPOINT_INTERVAL: '0' })).toThrow(/WARDEN_AUDIT_CHECKPOINT_INTERVAL/);
  });
});

describe('allowed origins', () => {
  it('allows loopback origins by default outside production, none in production', () => {
    expect(loadConfig({}).allowedOrigins).toEqual({ origins: [], loopback: true });
    expect(loadConfig({ NODE_ENV: 'test' }).allowedOrigins).toEqual({ origins: [], loopback: true });
    const production = loadConfig({ NODE_ENV: 'production', WARDEN_JWT_PRIVATE_KEY: 'pem', WARDEN_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') });
    expect(production.allowedOrigins).toEqual({ origins: [], loopback: false });
  });

  it('takes a comma-separated list that replaces the default', () => {
    expect(loadConfig({ WARDEN_ALLOWED_ORIGINS: 'https://App.example.com, http://localhost:5173' }).allowedOrigins).toEqual({
      origins: ['https://app.example.com', 'http://localhost:5173'],
      loopback: false,
    });
  });

  it.each(['*', 'null', 'app.example.com', 'https://app.example.com/path', 'ftp://files.example', 'https://*.example.com'])('stops start-up on %s', (value) => {
    expect(() => loadConfig({ WARDEN_ALLOWED_ORIGINS: value })).toThrow(/WARDEN_ALLOWED_ORIGINS/);
  });
});

describe('metrics configuration', () => {
  it('is off by default, on a port of its own or behind a token when set', () => {
    expect(loadConfig({}).metrics).toEqual({ port: undefined, token: undefined });
    expect(loadConfig({ WARDEN_METRICS_PORT: '9464' }).metrics).toEqual({ port: 9464, token: undefined });
    expect(loadConfig({ WARDEN_METRICS_TOKEN: 'a-long-enough-token' }).metrics).toEqual({ port: undefined, token: 'a-long-enough-token' });
  });

  it('refuses a short token and a port out of range', () => {
    expect(() => loadConfig({ WARDEN_METRICS_TOKEN: 'short' })).toThrow(/WARDEN_METRICS_TOKEN: must be at least 16 characters/);
    expect(() => loadConfig({ WARDEN_METRICS_PORT: '70000' })).toThrow(/WARDEN_METRICS_PORT/);
    expect(() => loadConfig({ WARDEN_METRICS_PORT: 'ninety' })).toThrow(/WARDEN_METRICS_PORT/);
  });
});

describe('migrations at start', () => {
  const production = { NODE_ENV: 'production', WARDEN_JWT_PRIVATE_KEY: 'pem', WARDEN_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') };
  const url = 'postgres://warden@db.internal:5432/warden';
  it('migrate at start, except on PostgreSQL in production, where db:migrate is a step of its own', () => {
    expect(loadConfig({}).migrate).toBe(true);
    expect(loadConfig({ DATABASE_URL: url }).migrate).toBe(true);
    expect(loadConfig({ ...production }).migrate).toBe(true);
    expect(loadConfig({ ...production, DATABASE_URL: url }).migrate).toBe(false);
  });

  it('follow WARDEN_MIGRATE when it is set, and refuse anything but true or false', () => {
    expect(loadConfig({ ...production, DATABASE_URL: url, WARDEN_MIGRATE: 'true' }).migrate).toBe(true);
    expect(loadConfig({ WARDEN_MIGRATE: 'false' }).migrate).toBe(false);
    expect(() => loadConfig({ WARDEN_MIGRATE: 'yes' })).toThrow(/WARDEN_MIGRATE/);
  });
});
