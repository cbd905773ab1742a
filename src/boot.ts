import type { Config } from './config';
import { loadSigningKeys } from './authn/keys';
import { TokenService } from './authn/tokens';
import { AuditBus } from './audit/bus';
import { SessionBus } from './authn/session-bus';
import { loadMasterKeys } from './crypto/master-key';
import { prepareEncryption } from './crypto/startup';
import { createDatabase } from './db/client';
import { migrate } from './db/migrate';
import { hasAnyTenant } from './db/seed/tenant';
import { seedDemo } from './db/seed/demo';
import { logger } from './lib/logger';
import { startGrantSweeper } from './modules/access/grant-sweeper';
import { SEALED_TABLES } from './modules/crm/customer.pii';
import { indexUnindexedArticles } from './modules/knowledge/reindex';
import type { Services } from './server/services';

/**
 * Build every application-wide service: master keys, database (migrated, data keys checked, plaintext
 * from before encryption sealed), token keys, audit bus; seed demo data if asked.
 */
export async function createServices(config: Config): Promise<Services & { close(): Promise<void> }> {
  const masterKeys = loadMasterKeys(config);
  const database = await createDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(database);
    await prepareEncryption(database.db, masterKeys, SEALED_TABLES);
    const indexed = await indexUnindexedArticles(database.db);
    if (indexed > 0) logger.info('indexed articles for full-text search', { count: indexed });
    const wantsDemo = config.seedDemo === 'always' || (config.seedDemo === 'auto' && !config.databaseUrl);
    if (wantsDemo && config.env !== 'production' && !(await hasAnyTenant(database.db))) {
      await seedDemo(database.db, masterKeys);
      logger.info('seeded demo tenant "acme" (password for every demo user: warden-demo)');
    }
    const tokens = new TokenService(await loadSigningKeys(config), config.jwt);
    const auditBus = new AuditBus(database);
    await auditBus.start();
    const sweeper = startGrantSweeper(database.db, 15_000);
    const sessionBus = new SessionBus(database);
    await sessionBus.start();
    return {
      config,
      database,
      tokens,
      auditBus,
      sessionBus,
      masterKeys,
      async close() {
        sweeper.stop();
        await sessionBus.stop();
        await auditBus.stop();
        await database.close();
      },
    };
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
}
