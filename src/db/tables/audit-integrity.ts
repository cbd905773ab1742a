import { sql } from 'drizzle-orm';
import { bigint, check, customType, foreignKey, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tenantColumns } from './columns';
import { tenants } from './tenants';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/**
 * Signed checkpoints of each tenant's audit chain head: Ed25519 over (tenant, seq, hash). A rewrite of
 * the chain (even with every hash recomputed) no longer matches a checkpoint signed before it.
 */
export const auditCheckpoints = pgTable(
  'audit_checkpoints',
  {
    tenantId: uuid('tenant_id').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    hash: bytea('hash').notNull(),
    signature: bytea('signature').notNull(),
    /** Thumbprint of the public key that verifies the signature. */
    keyId: text('key_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.seq] }), foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] })],
);

/**
 * One retention cut: the events [firstSeq, lastSeq] were exported to an NDJSON file and removed. The
 * anchor is the hash of event lastSeq, which the first remaining event names as its prev_hash.
 */
export const auditArchives = pgTable(
  'audit_archives',
  {
    ...tenantColumns(),
    firstSeq: bigint('first_seq', { mode: 'number' }).notNull(),
    lastSeq: bigint('last_seq', { mode: 'number' }).notNull(),
    eventCount: integer('event_count').notNull(),
    anchorHash: bytea('anchor_hash').notNull(),
    fileName: text('file_name').notNull(),
    /** SHA-256 of the NDJSON file, hex. */
    fileSha256: text('file_sha256').notNull(),
    cutoff: timestamp('cutoff', { withTimezone: true }).notNull(),
    createdBy: uuid('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * Position of the cut's own audit event (audit.retention_cut), written by audit_retention_cut() in the
     * same transaction. Null only for a cut made before that rule whose event a later cut archived.
     */
    cutSeq: bigint('cut_seq', { mode: 'number' }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    check('audit_archives_bounds', sql`${t.firstSeq} >= 1 and ${t.lastSeq} >= ${t.firstSeq} and ${t.eventCount} = ${t.lastSeq} - ${t.firstSeq} + 1 and (${t.cutSeq} is null or ${t.cutSeq} > ${t.lastSeq})`),
    index('audit_archives_seq_idx').on(t.tenantId, t.lastSeq),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] }),
  ],
);
