import postgres from 'postgres';
import { databaseNameOf, withDatabaseName } from '../src/db/url';
import { findTenantBySlug } from '../src/modules/identity/identity.repo';
import { sql } from 'drizzle-orm';
import { MasterKeys } from '../src/crypto/master-key';
import { createDatabase } from '../src/db/client';
import { migrate } from '../src/db/migrate';
import { withTenantTx } from '../src/db/tenant-tx';
import { generateDataset } from '../src/db/seed/dataset/generate';
import type { DatasetSize } from '../src/db/seed/dataset/sizes';
import { BENCH_MASTER_KEY } from './config';

/** Create the benchmark database if missing, migrate it, and generate the tenant for this size once. */
export async function prepareBenchDatabase(url: string, size: DatasetSize): Promise<{ tenantSlug: string; generatedMs: number | null }> {
  const name = databaseNameOf(url);
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`BENCH_DATABASE_URL names database "${name}": use lower-case letters, digits and _`);
  const admin = postgres(withDatabaseName(url, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    const exists = await admin`select 1 from pg_database where datname = ${name}`;
    if (exists.length === 0) {
      await admin.unsafe(`create database ${name}`);
      console.log(`created database ${name}`);
    }
  } finally {
    await admin.end();
  }
  const database = await createDatabase({ url, max: 2 });
  try {
    await migrate(database);
    const tenantSlug = `bench-${size.toLowerCase()}`;
    if (await withTenantTx(database.db, null, (tx) => findTenantBySlug(tx, tenantSlug))) return { tenantSlug, generatedMs: null };
    console.log(`generating dataset ${size} into tenant ${tenantSlug} …`);
    const result = await generateDataset(database.db, MasterKeys.of(Buffer.from(BENCH_MASTER_KEY, 'base64')), {
      size,
      slug: tenantSlug,
      log: (line) => console.log(`  ${line}`),
    });
    // Fresh statistics, so the planner sees the generated volumes from the first request.
    await database.db.execute(sql`analyze`);
    return { tenantSlug, generatedMs: result.elapsedMs };
  } finally {
    await database.close();
  }
}
