import { loadConfig } from '../config';
import { createDatabase } from './client';
import { migrate } from './migrate';

/** npm run db:migrate: apply drizzle/ to DATABASE_URL, or to the embedded database in WARDEN_DATA_DIR. */
async function main() {
  const config = loadConfig();
  const database = await createDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(database);
    console.log(`Migrations applied (${database.kind}).`);
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
