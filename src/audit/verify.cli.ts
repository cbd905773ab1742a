import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { loadConfig } from '../config';
import { createDatabase } from '../db/client';
import { tenants } from '../db/schema';
import { withTenantTx } from '../db/tenant-tx';
import { loadAuditSigner } from './audit-key';
import { verifyArchiveFile } from './archive-file';
import { verifyChain, type ChainReport } from './chain-verifier';

/**
 * npm run audit:verify [-- --tenant acme] [--archive file.ndjson ...] [--json]
 *
 * Recomputes every tenant's audit chain in DATABASE_URL (or the embedded database), checks signed
 * checkpoints with the configured audit key (and WARDEN_AUDIT_TRUSTED_KEYS) and retention cuts, and
 * re-checks NDJSON archives. Exit code 0: intact; 1: a break was found (the report names where); 2: error.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({ options: { tenant: { type: 'string' }, archive: { type: 'string', multiple: true }, json: { type: 'boolean' } } });
  const config = loadConfig();
  const signer = loadAuditSigner(config);
  const database = await createDatabase({ url: config.databaseUrl, dataDir: config.dataDir, max: 2 });
  let ok = true;
  const out: unknown[] = [];
  try {
    const list = await withTenantTx(database.db, null, (tx) =>
      tx.select({ id: tenants.id, slug: tenants.slug }).from(tenants).where(values.tenant ? eq(tenants.slug, values.tenant) : undefined).orderBy(tenants.slug),
    );
    if (values.tenant && list.length === 0) throw new Error(`No tenant ${values.tenant}`);
    for (const t of list) {
      const report = await withTenantTx(database.db, t.id, (tx) => verifyChain(tx, t.id, signer.trusted));
      ok &&= report.ok;
      out.push({ tenant: t.slug, ...report });
      if (!values.json) console.log(describe(t.slug, report));
    }
    for (const file of values.archive ?? []) {
      const report = await verifyArchiveFile(file);
      ok &&= report.ok;
      out.push(report);
      if (!values.json) {
        console.log(report.ok
          ? `archive ${file}: intact, events ${report.firstSeq}-${report.lastSeq}, last hash ${report.lastHash}, sha256 ${report.sha256}`
          : `archive ${file}: BROKEN: ${report.problem}`);
      }
    }
  } finally {
    await database.close();
  }
  if (values.json) console.log(JSON.stringify(out, null, 2));
  return ok ? 0 : 1;
}

function describe(slug: string, r: ChainReport): string {
  const head = `tenant ${slug} (${r.tenantId}): ${r.events} events${r.firstSeq !== null ? ` (${r.firstSeq}-${r.lastSeq})` : ''}, ${r.checkpointsVerified} signed checkpoints verified${r.latestCheckpointSeq !== null ? ` (latest at ${r.latestCheckpointSeq})` : ''}, ${r.archives} retention cuts`;
  if (r.ok) return `${head}: chain intact`;
  const [first] = r.breaks;
  return [`${head}: BROKEN at tenant ${r.tenantId} seq ${first.seq} (${first.kind}): ${first.message}`, ...r.breaks.slice(1).map((b) => `  also seq ${b.seq} (${b.kind}): ${b.message}`)].join('\n');
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
