import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config';
import { loadSigningKeys } from '../../src/authn/keys';
import { TokenService } from '../../src/authn/tokens';
import { AuditBus } from '../../src/audit/bus';
import { SessionBus } from '../../src/authn/session-bus';
import { loadMasterKeys, MasterKeys } from '../../src/crypto/master-key';
import { prepareEncryption } from '../../src/crypto/startup';
import { loadAuditSigner } from '../../src/audit/audit-key';
import { Detector, piiCoordinates } from '../../src/audit/detection/detector';
import { collectRequirements } from '../../src/authz/requirements';
import { buildBaseSchema } from '../../src/schema';
import { createDatabase, type Database } from '../../src/db/client';
import { seedDemo } from '../../src/db/seed/demo';
import { setLogLevel } from '../../src/lib/logger';
import { SEALED_TABLES } from '../../src/modules/crm/customer.pii';
import { startApp, type App } from '../../src/server/app';
import type { Services } from '../../src/server/services';
import { findTenantBySlug } from '../../src/modules/identity/identity.repo';
import { withTenantTx } from '../../src/db/tenant-tx';
import { createTestDatabase } from './database';
import { GraphQLClient } from './client';

export type TestServer = {
  app: App;
  url: string;
  services: Services & { detector: Detector };
  database: Database;
  /** The PostgreSQL URL of the test database (undefined on PGlite). */
  databaseUrl: string | undefined;
  tenantId: string;
  client(token?: string): GraphQLClient;
  /** Log in as a demo user (admin, lead, agent, sales, analyst) and return a client with the token. */
  as(user: string): Promise<GraphQLClient>;
  /** A second server instance on the same database (for cross-instance tests). */
  secondInstance(): Promise<{ url: string; services: Services & { detector: Detector }; client(token?: string): GraphQLClient; stop(): Promise<void> }>;
  stop(): Promise<void>;
};

/** The master key of this test run (the global setup sealed the prepared demo data with it). */
export const TEST_MASTER_KEY = process.env.WARDEN_TEST_MASTER_KEY ?? randomBytes(32).toString('base64');
export const testMasterKeys = (): MasterKeys => MasterKeys.of(Buffer.from(TEST_MASTER_KEY, 'base64'));

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', WARDEN_DATA_DIR: 'memory://', LOG_LEVEL: 'error', WARDEN_MASTER_KEY: TEST_MASTER_KEY, ...overrides });
}

const pii = piiCoordinates(collectRequirements(buildBaseSchema()));

async function servicesFor(config: Config, database: Database, keysFrom?: Services): Promise<Services & { detector: Detector }> {
  const tokens = keysFrom?.tokens ?? new TokenService(await loadSigningKeys(config), config.jwt);
  const masterKeys = loadMasterKeys(config);
  await prepareEncryption(database.db, masterKeys, SEALED_TABLES);
  const auditBus = new AuditBus(database);
  // Each instance detects, as in production; the detection state row makes each evaluation happen once.
  const detector = new Detector(database.db, auditBus, pii).start();
  await auditBus.start();
  const sessionBus = new SessionBus(database);
  await sessionBus.start();
  const auditSigner = keysFrom?.auditSigner ?? loadAuditSigner(config);
  return { config, database, tokens, auditBus, sessionBus, masterKeys, auditSigner, detector };
}

const demoTenantId = async (database: Database): Promise<string> =>
  (await withTenantTx(database.db, null, (tx) => findTenantBySlug(tx, 'acme'))).id;

/** A running Warden on a fresh database with the demo tenant, on a random port. */
export async function createTestServer(opts: { env?: Record<string, string>; seed?: boolean } = {}): Promise<TestServer> {
  setLogLevel('error');
  const config = testConfig(opts.env);
  const wantDemo = opts.seed !== false;
  const db = await createTestDatabase({ demo: wantDemo });
  const tenantId = !wantDemo ? '' : db.seeded ? await demoTenantId(db.database) : (await seedDemo(db.database.db, loadMasterKeys(config))).tenantId;
  const services = await servicesFor(config, db.database);
  const app = await startApp(services, { port: 0, host: '127.0.0.1' });
  const extra: (() => Promise<void>)[] = [];
  const client = (url: string) => (token?: string) => new GraphQLClient(url, token);
  return {
    app,
    url: app.url,
    services,
    database: db.database,
    databaseUrl: db.url,
    tenantId,
    client: client(app.url),
    async as(user: string) {
      return client(app.url)().login(user.includes('@') ? user : `${user}@acme.test`);
    },
    async secondInstance() {
      // Its own connection pool to the same database; PGlite cannot be shared across pools.
      if (!db.url) throw new Error('secondInstance needs TEST_DATABASE_URL');
      const database = await createDatabase({ url: db.url, max: 5 });
      const s = await servicesFor(config, database, services);
      const second = await startApp(s, { port: 0, host: '127.0.0.1' });
      const stop = async () => {
        await second.stop();
        await s.detector.stop();
        await s.auditBus.stop();
        await s.sessionBus.stop();
        await database.close();
      };
      extra.push(stop);
      return { url: second.url, services: s, client: client(second.url), stop };
    },
    async stop() {
      for (const stop of extra) await stop().catch(() => {});
      await app.stop();
      await services.detector.stop();
      await services.auditBus.stop();
      await services.sessionBus.stop();
      await db.drop();
    },
  };
}
