import { parseArgs } from 'node:util';
import { loadConfig } from '../../config';
import { loadMasterKeys } from '../../crypto/master-key';
import { createDatabase } from '../client';
import { migrate } from '../migrate';
import { generateDataset } from './dataset/generate';
import { parseSize } from './dataset/sizes';

/** npm run seed -- --size XS|S|M|L [--seed N] [--slug bench]: a generated tenant for benchmarks. Never in production. */
async function main() {
  const { values } = parseArgs({ options: { size: { type: 'string', default: 'S' }, seed: { type: 'string', default: '1' }, slug: { type: 'string', default: 'bench' } } });
  const size = parseSize(values.size);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, not "${values.seed}"`);
  const config = loadConfig();
  if (config.env === 'production') throw new Error('Refusing to generate a dataset when NODE_ENV=production');
  if (!config.databaseUrl && (size === 'M' || size === 'L')) {
    throw new Error(`Size ${size} needs PostgreSQL: set DATABASE_URL (the embedded PGlite database is for XS and S only)`);
  }
  const masters = loadMasterKeys(config);
  const database = await createDatabase({ url: config.databaseUrl, dataDir: config.dataDir, max: 2 });
  try {
    await migrate(database);
    const result = await generateDataset(database.db, masters, { size, seed, slug: values.slug, log: (line) => console.log(`  ${line}`) });
    const c = result.counts;
    console.log(
      `Tenant "${result.slug}" (${size}, seed ${seed}): ${c.users} users, ${c.teams} teams, ${c.spaces} spaces, ${c.categories} categories, ` +
        `${c.articles} articles, ${c.customers} customers, ${c.tickets} tickets in ${(result.elapsedMs / 1000).toFixed(1)} s`,
    );
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(/tenants_slug|unique/i.test(message) ? `${message}\nA tenant with this slug exists already: pass --slug <other> or use a fresh database.` : message);
  process.exit(1);
});
