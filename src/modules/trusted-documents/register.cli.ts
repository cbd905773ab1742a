import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config';
import { createDatabase } from '../../db/client';
import { registerManifest } from './trusted-documents.service';

/**
 * npm run documents:register -- <persisted-documents.json> [more.json ...] [--client web-console]
 *
 * Registers the documents of graphql-codegen client-preset manifests (`{ "<sha256>": "<document>" }`)
 * in DATABASE_URL (or the embedded database in WARDEN_DATA_DIR, while Warden is stopped: PGlite is
 * single-process). Registration is idempotent; a manifest with a wrong hash is refused whole.
 */
async function main() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { client: { type: 'string' } } });
  if (positionals.length === 0) throw new Error('usage: npm run documents:register -- <persisted-documents.json> [...] [--client name]');
  const config = loadConfig();
  const database = await createDatabase({ url: config.databaseUrl, dataDir: config.dataDir, max: 1 });
  try {
    for (const file of positionals) {
      const { entries, added } = await registerManifest(database.db, fs.readFileSync(file, 'utf8'), values.client ?? null);
      console.log(`${file}: ${entries} documents, ${added} newly registered (${database.kind}).`);
    }
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
