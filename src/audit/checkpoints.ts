import { desc, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client';
import { auditCheckpoints, auditEvents, tenants } from '../db/schema';
import { withTenantTx } from '../db/tenant-tx';
import { every } from '../lib/interval-job';
import { checkpointMessage, type AuditSigner } from './audit-key';

const asBuffer = (v: Uint8Array | Buffer): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v));

/** Sign the current tenant's chain head, unless it is already checkpointed. Returns the seq signed, or null. */
export async function checkpointHead(tx: Tx, tenantId: string, signer: AuditSigner): Promise<number | null> {
  const [head] = await tx.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  if (!head?.hash) return null;
  const [last] = await tx.select({ seq: auditCheckpoints.seq }).from(auditCheckpoints).orderBy(desc(auditCheckpoints.seq)).limit(1);
  if (last && last.seq >= head.seq) return null;
  const hash = asBuffer(head.hash);
  const inserted = await tx
    .insert(auditCheckpoints)
    .values({ tenantId, seq: head.seq, hash, signature: signer.sign(checkpointMessage(tenantId, head.seq, hash)), keyId: signer.keyId })
    // Two instances may sign the same head at the same moment: one row is enough.
    .onConflictDoNothing()
    .returning({ seq: auditCheckpoints.seq });
  return inserted[0]?.seq ?? null;
}

/** One round over every tenant. */
export async function writeCheckpoints(db: Db, signer: AuditSigner): Promise<number> {
  const all = await withTenantTx(db, null, (tx) => tx.select({ id: tenants.id }).from(tenants).orderBy(sql`1`));
  let written = 0;
  for (const { id } of all) {
    if ((await withTenantTx(db, id, (tx) => checkpointHead(tx, id, signer))) !== null) written++;
  }
  return written;
}

/** The in-process timer started at boot: every `everyMs`, sign each tenant's new chain head. */
export const startCheckpointer = (db: Db, signer: AuditSigner, everyMs: number) => every(everyMs, 'audit checkpoint', () => writeCheckpoints(db, signer));
