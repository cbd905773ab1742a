import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client';
import { queryRows } from '../db/rows';
import { auditArchives, securityPolicies, tenants } from '../db/schema';
import { withTenantTx } from '../db/tenant-tx';
import { errorCode, forbidden } from '../lib/errors';
import { every } from '../lib/interval-job';
import { logger } from '../lib/logger';
import { toArchiveLine } from './archive-file';
import type { AuditSigner } from './audit-key';
import { checkpointHead } from './checkpoints';

export type ArchiveRow = typeof auditArchives.$inferSelect;
export const DEFAULT_RETENTION_DAYS = 365;
/** SQLSTATE of audit_retention_cut()'s refusals (drizzle/0015_audit_retention_floor.sql). */
export const CUT_REFUSED = 'WA001';
const BATCH = 2000;

/** The SQLSTATE of a database error, through drizzle's wrapper, on either driver. */
function sqlState(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 3; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}
const dbMessage = (err: unknown): string => {
  const cause = (err as { cause?: { message?: unknown } }).cause;
  return typeof cause?.message === 'string' ? cause.message : String((err as Error).message);
};

export async function retentionDays(tx: Tx): Promise<number> {
  const [row] = await tx.select({ days: securityPolicies.auditRetentionDays }).from(securityPolicies);
  return row?.days ?? DEFAULT_RETENTION_DAYS;
}

/**
 * Archive the current tenant's events older than its retention period: sign the chain head, write the
 * events (in chain order, with their canonical form and hashes) to an NDJSON file, then let
 * audit_retention_cut() check the rules, record the cut with its own audit event and remove them, in
 * this transaction. The chain head always stays, and the first remaining event names the archived last
 * hash, so the chain stays verifiable across the cut. Returns null when nothing is due. A refusal by the
 * database (which should not happen for what is chosen here: a concurrent change, or a broken chain) is
 * FORBIDDEN with the database's reason.
 */
export async function archiveDueEvents(tx: Tx, tenantId: string, archiveDir: string, createdBy: string | null, signer: AuditSigner): Promise<ArchiveRow | null> {
  const days = await retentionDays(tx);
  const [bounds] = await queryRows<{ first: number | null; head: number | null; first_recent: number | null }>(
    tx,
    sql`select min(seq) as first, max(seq) as head,
          min(seq) filter (where occurred_at >= now() - make_interval(days => greatest(${days}::int, audit_retention_floor_days()))) as first_recent
        from audit_events`,
  );
  if (bounds.head === null || bounds.first === null) return null;
  const through = Math.min(bounds.first_recent === null ? Number(bounds.head) : Number(bounds.first_recent) - 1, Number(bounds.head) - 1);
  if (through < Number(bounds.first)) return null;
  // The cut needs a checkpoint at or after its last event: the head's, unless one is already there.
  await checkpointHead(tx, tenantId, signer);

  const dir = path.join(archiveDir, tenantId);
  fs.mkdirSync(dir, { recursive: true });
  const fileName = `audit-${tenantId}-${bounds.first}-${through}.ndjson`;
  const file = path.join(dir, fileName);
  const digest = createHash('sha256');
  const fd = fs.openSync(file, 'w', 0o600);
  try {
    for (let after = Number(bounds.first) - 1; after < through; ) {
      const rows = await queryRows<{ seq: number; prev_hash: Uint8Array | null; hash: Uint8Array; canonical: string }>(
        tx,
        sql`select seq, prev_hash, hash, audit_canonical(e) as canonical from audit_events e
            where seq > ${after} and seq <= ${through} order by seq limit ${BATCH}`,
      );
      if (!rows.length) break;
      const text = rows.map((r) => `${toArchiveLine({ seq: Number(r.seq), prevHash: r.prev_hash, hash: r.hash, canonical: r.canonical })}\n`).join('');
      digest.update(text);
      fs.writeSync(fd, text);
      after = Number(rows.at(-1)!.seq);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    const [archive] = await queryRows<Record<string, unknown>>(
      tx,
      sql`select * from audit_retention_cut(${through}::bigint, ${fileName}, ${digest.digest('hex')}, ${createdBy}::uuid)`,
    );
    return toArchiveRow(archive);
  } catch (err) {
    fs.rmSync(file, { force: true });
    if (sqlState(err) === CUT_REFUSED) throw forbidden(dbMessage(err), { reason: 'AUDIT_CUT_REFUSED' });
    throw err;
  }
}

const toArchiveRow = (r: Record<string, unknown>): ArchiveRow => ({
  tenantId: String(r.tenant_id),
  id: String(r.id),
  firstSeq: Number(r.first_seq),
  lastSeq: Number(r.last_seq),
  eventCount: Number(r.event_count),
  anchorHash: Buffer.from(r.anchor_hash as Uint8Array),
  fileName: String(r.file_name),
  fileSha256: String(r.file_sha256),
  cutoff: new Date(r.cutoff as string),
  createdBy: (r.created_by as string | null) ?? null,
  createdAt: new Date(r.created_at as string),
  cutSeq: r.cut_seq == null ? null : Number(r.cut_seq),
});

export const archiveEventDetail = (a: ArchiveRow) => ({ firstSeq: a.firstSeq, lastSeq: a.lastSeq, count: a.eventCount, fileName: a.fileName, fileSha256: a.fileSha256 });

/**
 * The retention job: every tenant, its own transaction; the database audits each cut (no actor). A
 * tenant whose cut the database refuses (its chain is broken) is logged and skipped, not the others.
 */
export async function runRetention(db: Db, archiveDir: string, signer: AuditSigner): Promise<ArchiveRow[]> {
  const all = await withTenantTx(db, null, (tx) => tx.select({ id: tenants.id }).from(tenants));
  const done: ArchiveRow[] = [];
  for (const { id } of all) {
    try {
      const archive = await withTenantTx(db, id, (tx) => archiveDueEvents(tx, id, archiveDir, null, signer));
      if (archive) done.push(archive);
    } catch (err) {
      if (errorCode(err) !== 'FORBIDDEN') throw err;
      logger.error('audit retention cut refused', { tenantId: id, reason: (err as Error).message });
    }
  }
  return done;
}

export const startRetention = (db: Db, archiveDir: string, signer: AuditSigner, everyMs: number) =>
  every(everyMs, 'audit retention', () => runRetention(db, archiveDir, signer));
