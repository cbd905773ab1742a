import type { Config } from './config';
import { loadSigningKeys } from './authn/keys';
import { TokenService } from './authn/tokens';
import { AuditBus } from './audit/bus';
import { SessionBus } from './authn/session-bus';
import { loadMasterKeys } from './crypto/master-key';
import { prepareEncryption } from './crypto/startup';
import { loadAuditSigner } from './audit/audit-key';
import { startCheckpointer } from './audit/checkpoints';
import { startRetention } from './audit/retention';
import { Detector, piiCoordinates } from './audit/detection/detector';
import { collectRequirements } from './authz/requirements';
import { buildBaseSchema } from './schema';
import { createDatabase } from './db/client';
import { migrate } from './db/migrate';
import { untilMigrated } from './server/standby';
import { hasAnyTenant } from './db/seed/tenant';
import { DEMO_PASSWORD, seedDemo } from './db/seed/demo';
import { logger } from './lib/logger';
import { startGrantSweeper } from './modules/access/grant-sweeper';
import { startIdempotencySweeper } from './modules/idempotency/idempotency-sweeper';
import { SEALED_TABLES } from './modules/crm/customer.pii';
import { indexUnindexedArticles } from './modules/knowledge/reindex';
import { startReviewSweeper } from './modules/review/review-due';
import type { Services } from './server/services';
import { startTracing } from './tracing/tracer';

/**
 * Build every application-wide service: master keys, database (migrated or waited for, data keys checked, plaintext
 * from before encryption sealed), token keys, audit bus; seed demo data if asked.
 */
export async function createServices(config: Config): Promise<Services & { close(): Promise<void> }> {
  const masterKeys = loadMasterKeys(config);
  // Before the database: its statements are traced only when tracing is registered first.
  const tracing = startTracing(config);
  const database = await createDatabase({ url: config.databaseUrl, dataDir: config.dataDir, prepare: config.databasePrepare, listenHeartbeatMs: config.listenHeartbeatMs });
  try {
    // WARDEN_MIGRATE=false: a database behind this version is not served until `db:migrate` has run.
    if (config.migrate) await migrate(database);
    else await untilMigrated(database, config);
    await prepareEncryption(database.db, masterKeys, SEALED_TABLES);
    const indexed = await indexUnindexedArticles(database.db);
    if (indexed > 0) logger.info('indexed articles for full-text search', { count: indexed });
    const wantsDemo = config.seedDemo === 'always' || (config.seedDemo === 'auto' && !config.databaseUrl);
    if (wantsDemo && config.env !== 'production' && !(await hasAnyTenant(database.db))) {
      await seedDemo(database.db, masterKeys);
      logger.info(`seeded demo tenant "acme" (password for every demo user: ${DEMO_PASSWORD})`);
    }
    const tokens = new TokenService(await loadSigningKeys(config), config.jwt);
    const auditBus = new AuditBus(database);
    const detector = new Detector(database.db, auditBus, piiCoordinates(collectRequirements(buildBaseSchema()))).start();
    await auditBus.start();
    const sweeper = startGrantSweeper(database.db, 15_000);
    const sessionBus = new SessionBus(database);
    await sessionBus.start();
    const auditSigner = loadAuditSigner(config);
    const jobs = [
      startCheckpointer(database.db, auditSigner, config.audit.checkpointInterval * 1000),
      startRetention(database.db, config.audit.archiveDir, auditSigner, config.audit.retentionInterval * 1000),
      startReviewSweeper(database.db, config.reviewSweepInterval * 1000),
      startIdempotencySweeper(database.db, 15 * 60_000),
    ];
    return {
      config,
      database,
      tokens,
      auditBus,
      sessionBus,
      masterKeys,
      auditSigner,
      async close() {
        sweeper.stop();
        await detector.stop();
        for (const job of jobs) job.stop();
        await sessionBus.stop();
        await auditBus.stop();
        await database.close();
        // Last: sends the spans still batched.
        await tracing?.shutdown();
      },
    };
  } catch (err) {
    await database.close().catch(() => {});
    await tracing?.shutdown().catch(() => {});
    throw err;
  }
}
