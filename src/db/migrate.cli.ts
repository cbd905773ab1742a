import { loadConfig } from '../config';
import { createDatabase } from './client';
import { migrate } from './migrate';

/**
 * npm run db:migrate (or `node dist/db/migrate.cli.js` from a build): apply drizzle/ to DATABASE_URL,
 * or to the embedded database in WARDEN_DATA_DIR. Safe to run from several places at once: migrators
 * take an advisory lock, and the later ones find nothing left to apply.
 */
async function main() {
  const config = loadConfig();
  const database = await createDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    const { applied } = await migrate(database);
    console.log(applied ? `Applied ${applied} migration(s) (${database.kind}).` : `The database is up to date (${database.kind}).`);
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
