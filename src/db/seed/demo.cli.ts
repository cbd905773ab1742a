import { loadConfig } from '../../config';
import { loadMasterKeys } from '../../crypto/master-key';
import { createDatabase } from '../client';
import { migrate } from '../migrate';
import { DEMO_PASSWORD, seedDemo } from './demo';
import { hasAnyTenant } from './tenant';

/** npm run seed:demo: the demo tenant into DATABASE_URL (or the embedded database). Never in production. */
async function main() {
  const config = loadConfig();
  if (config.env === 'production') throw new Error('Refusing to seed demo data when NODE_ENV=production');
  const masters = loadMasterKeys(config);
  const database = await createDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(database);
    if (await hasAnyTenant(database.db)) {
      console.log('The database already has tenants; demo data not seeded.');
      return;
    }
    await seedDemo(database.db, masters);
    console.log(`Seeded tenant "acme": admin@, lead@, agent@, sales@, analyst@acme.test, password ${DEMO_PASSWORD}`);
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
