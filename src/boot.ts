import type { Config } from './config';
import { loadSigningKeys } from './authn/keys';
import { TokenService } from './authn/tokens';
import { AuditBus } from './audit/bus';
import { loadAuditSigner } from './audit/audit-key';
import { startCheckpointer } from './audit/checkpoints';
import { startRetention } from './audit/retention';
import { Detector, piiCoordinates } from './audit/detection/detector';
import { collectRequirements } from './authz/requirements';
import { buildBaseSchema } from './schema';
import { createDatabase } from './db/client';
import { migrate } from './db/migrate';
import { hasAnyTenant } from './db/seed/tenant';
import { seedDemo } from './db/seed/demo';
import { logger } from './lib/logger';
import { startGrantSweeper } from './modules/access/grant-sweeper';
import { startReviewSweeper } from './modules/review/review-due';
import type { Services } from './server/services';

/** Build every application-wide service: database (migrated), keys, audit bus; seed demo data if asked. */
export async function createServices(config: Config): Promise<Services & { close(): Promise<void> }> {
  const database = await createDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(database);
    const wantsDemo = config.seedDemo === 'always' || (config.seedDemo === 'auto' && !config.databaseUrl);
    if (wantsDemo && config.env !== 'production' && !(await hasAnyTenant(database.db))) {
      await seedDemo(database.db);
      logger.info('seeded demo tenant "acme" (password for every demo user: warden-demo)');
    }
    const tokens = new TokenService(await loadSigningKeys(config), config.jwt);
    const auditBus = new AuditBus(database);
    const detector = new Detector(database.db, auditBus, piiCoordinates(collectRequirements(buildBaseSchema()))).start();
    await auditBus.start();
    const sweeper = startGrantSweeper(database.db, 15_000);
    const auditSigner = loadAuditSigner(config);
    const jobs = [
      startCheckpointer(database.db, auditSigner, config.audit.checkpointInterval * 1000),
      startRetention(database.db, config.audit.archiveDir, config.audit.retentionInterval * 1000),
      startReviewSweeper(database.db, config.reviewSweepInterval * 1000),
    ];
    return {
      config,
      database,
      tokens,
      auditBus,
      auditSigner,
      async close() {
        sweeper.stop();
        await detector.stop();
        for (const job of jobs) job.stop();
        await auditBus.stop();
        await database.close();
      },
    };
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
}
