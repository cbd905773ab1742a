import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { createDatabase } from '../db/client';
import { migrate } from '../db/migrate';
import { setLogLevel } from '../lib/logger';
import { SEALED_TABLES } from '../modules/crm/customer.pii';
import { loadMasterKeys } from './master-key';
import { listTenants, rotateTenant } from './rotate';

const USAGE = `npm run keys:rotate -- [--tenant <slug>] [--rewrap-only] [--batch-size <n>]

  Rotates customer-data keys while the server keeps running (PostgreSQL; on the embedded database,
  stop the server first). Per tenant: re-wraps data keys under WARDEN_MASTER_KEY (keys wrapped by a
  key in WARDEN_MASTER_KEY_PREVIOUS are accepted), creates a new data-key version, re-encrypts every
  row in batches of --batch-size (default 500) and retires the older versions.

  --rewrap-only   only re-wrap data keys under the current master key (after changing WARDEN_MASTER_KEY)`;

/** npm run keys:rotate: see USAGE. Exits 1 when a row could not be re-encrypted (it is listed). */
async function main() {
  const { values } = parseArgs({
    options: { tenant: { type: 'string' }, 'rewrap-only': { type: 'boolean', default: false }, 'batch-size': { type: 'string', default: '500' }, help: { type: 'boolean' } },
  });
  if (values.help) return console.log(USAGE);
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new Error('--batch-size must be 1 to 10000');
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const masters = loadMasterKeys(config);
  const database = await createDatabase({ url: config.databaseUrl, dataDir: config.dataDir, max: 2 });
  let failures = 0;
  try {
    await migrate(database);
    const tenants = (await listTenants(database.db)).filter((t) => !values.tenant || t.slug === values.tenant);
    if (values.tenant && tenants.length === 0) throw new Error(`No tenant "${values.tenant}"`);
    for (const tenant of tenants) {
      const r = await rotateTenant(database.db, masters, tenant, { newDataKey: !values['rewrap-only'], batchSize, tables: SEALED_TABLES });
      const rows = r.reencrypted.map((t) => `${t.table} ${t.rows}`).join(', ');
      console.log(
        `${r.tenant}: re-wrapped ${r.rewrapped} key(s)` +
          (r.activeVersion === null ? '' : `; active data key v${r.activeVersion}; re-encrypted ${rows || 'nothing'}; retired ${r.retired.map((v) => `v${v}`).join(', ') || 'none'}`),
      );
      for (const t of r.reencrypted) {
        for (const id of t.failed) console.error(`  ${t.table} ${id}: ciphertext failed authentication, left as it is`);
        failures += t.failed.length;
      }
    }
  } finally {
    await database.close();
  }
  if (failures) process.exit(1);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
