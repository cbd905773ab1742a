import { sql } from 'drizzle-orm';
import type { KeyObject } from 'node:crypto';
import type { Executor } from '../db/client';
import { queryRows } from '../db/rows';
import { checkpointMessage, verifyCheckpointSignature } from './audit-key';

export type BreakKind = 'HASH' | 'LINK' | 'GAP' | 'CHECKPOINT' | 'SIGNATURE' | 'ARCHIVE';
export type ChainBreak = { kind: BreakKind; seq: number; message: string };
export type ChainReport = {
  tenantId: string;
  ok: boolean;
  events: number;
  firstSeq: number | null;
  lastSeq: number | null;
  checkpointsVerified: number;
  latestCheckpointSeq: number | null;
  archives: number;
  breaks: ChainBreak[];
};

const MAX_BREAKS = 20;
/** How audit_retention_cut() writes the cutoff into its event (UTC, microseconds), compared as text. */
const CUTOFF_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"';

type CutRow = {
  first_seq: number;
  last_seq: number;
  event_count: number;
  anchor_hash: unknown;
  cut_seq: number | null;
  event_seq: number | null;
  event_action: string | null;
  names_archive: boolean | null;
  bounds_match: boolean;
  checkpoint_seq: string | null;
  within_floor: boolean | null;
};
const buf = (v: unknown): Buffer | null => (v == null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v as Uint8Array));
const hex = (v: Buffer | null) => (v ? v.toString('hex') : 'none');

/**
 * Recompute one tenant's chain in the database, in one pass ordered by seq: each event's hash must be
 * SHA-256(prev_hash || audit_canonical(event)), name the previous event's hash, and follow it without a
 * gap. The first event continues the last retention cut (or starts at 1). Then every signed checkpoint
 * must verify with a trusted key and match the event at its position: that catches a rewrite whose
 * hashes were all recomputed, and events removed from the end.
 */
export async function verifyChain(ex: Executor, tenantId: string, trusted: Map<string, KeyObject>): Promise<ChainReport> {
  const [chain] = await queryRows<{ events: number; first_seq: number | null; last_seq: number | null; first_prev: unknown; breaks: { seq: number; kind: BreakKind }[] | string | null }>(
    ex,
    sql`with c as (
          select seq, prev_hash,
            hash is not null and hash = sha256(coalesce(prev_hash, ''::bytea) || convert_to(audit_canonical(e), 'UTF8')) as hash_ok,
            lag(seq) over w as prev_seq, lag(hash) over w as prev_row_hash
          from audit_events e where tenant_id = ${tenantId} window w as (order by seq)),
        b as (
          select seq, case when not hash_ok then 'HASH'
                           when prev_seq is not null and seq <> prev_seq + 1 then 'GAP'
                           else 'LINK' end as kind
          from c
          where not hash_ok or (prev_seq is not null and (seq <> prev_seq + 1 or prev_hash is distinct from prev_row_hash))
          order by seq limit ${MAX_BREAKS})
        select (select count(*)::int from c) as events, (select min(seq) from c) as first_seq, (select max(seq) from c) as last_seq,
          (select prev_hash from c order by seq limit 1) as first_prev,
          (select json_agg(json_build_object('seq', seq, 'kind', kind) order by seq) from b) as breaks`,
  );
  const breaks: ChainBreak[] = [];
  const rawBreaks = typeof chain.breaks === 'string' ? (JSON.parse(chain.breaks) as { seq: number; kind: BreakKind }[]) : (chain.breaks ?? []);
  for (const b of rawBreaks) {
    const seq = Number(b.seq);
    breaks.push({
      kind: b.kind,
      seq,
      message:
        b.kind === 'HASH'
          ? `event ${seq} was changed: its stored hash is not the hash of its content`
          : b.kind === 'GAP'
            ? `events before ${seq} are missing: the chain skips from an earlier position to ${seq}`
            : `event ${seq} names a previous hash that is not the hash of event ${seq - 1}: event ${seq - 1} was rewritten with a recomputed hash, or ${seq}'s link was changed`,
    });
  }

  const archives = await queryRows<CutRow>(
    ex,
    sql`select a.first_seq, a.last_seq, a.event_count, a.anchor_hash, a.cut_seq, e.seq as event_seq, e.action as event_action,
          e.resource_ids @> array[a.id] as names_archive,
          coalesce((e.detail->>'firstSeq') = a.first_seq::text and (e.detail->>'lastSeq') = a.last_seq::text
            and (e.detail->>'count') = a.event_count::text and (e.detail->>'fileSha256') = a.file_sha256, false) as bounds_match,
          (e.detail->>'checkpointSeq') as checkpoint_seq,
          case when e.action = 'audit.retention_cut' then coalesce(e.detail->>'cutoff' = to_char(a.cutoff at time zone 'UTC', ${CUTOFF_FORMAT})
            and a.cutoff <= e.occurred_at - make_interval(days => audit_retention_floor_days()), false) end as within_floor
        from audit_archives a left join audit_events e on e.tenant_id = a.tenant_id and e.seq = a.cut_seq
        where a.tenant_id = ${tenantId} order by a.last_seq`,
  );
  let expectedFirst = 1;
  let expectedPrev: Buffer | null = null;
  for (const a of archives) {
    if (Number(a.first_seq) !== expectedFirst) breaks.push({ kind: 'ARCHIVE', seq: Number(a.first_seq), message: `retention cut ${a.first_seq}-${a.last_seq} does not follow position ${expectedFirst - 1}` });
    expectedFirst = Number(a.last_seq) + 1;
    expectedPrev = buf(a.anchor_hash);
  }
  const firstSeq = chain.first_seq === null ? null : Number(chain.first_seq);
  if (firstSeq !== null) {
    const firstPrev = buf(chain.first_prev);
    if (firstSeq !== expectedFirst) {
      breaks.push({ kind: firstSeq > expectedFirst ? 'GAP' : 'ARCHIVE', seq: firstSeq, message: `the chain starts at ${firstSeq}, expected ${expectedFirst}: events ${expectedFirst}-${firstSeq - 1} were removed without a retention cut` });
    } else if (hex(firstPrev) !== hex(expectedPrev)) {
      breaks.push({ kind: archives.length ? 'ARCHIVE' : 'LINK', seq: firstSeq, message: `event ${firstSeq} names previous hash ${hex(firstPrev)}, expected ${hex(expectedPrev)}${archives.length ? ' (the last retention cut\'s anchor)' : ''}` });
    }
  }

  const checkpoints = await queryRows<{ seq: number; hash: unknown; signature: unknown; key_id: string; event_hash: unknown }>(
    ex,
    sql`select c.seq, c.hash, c.signature, c.key_id, e.hash as event_hash
        from audit_checkpoints c left join audit_events e on e.tenant_id = c.tenant_id and e.seq = c.seq
        where c.tenant_id = ${tenantId} order by c.seq`,
  );
  const anchors = new Map(archives.map((a) => [Number(a.last_seq), buf(a.anchor_hash)]));
  const lastSeq = chain.last_seq === null ? null : Number(chain.last_seq);
  let verified = 0;
  let latest: number | null = null;
  const valid = new Set<number>();
  for (const c of checkpoints) {
    const seq = Number(c.seq);
    const hash = buf(c.hash)!;
    const sig = verifyCheckpointSignature(trusted, c.key_id, checkpointMessage(tenantId, seq, hash), buf(c.signature)!);
    if (sig === 'ok') valid.add(seq);
    else {
      breaks.push({ kind: 'SIGNATURE', seq, message: sig === 'unknown-key' ? `checkpoint ${seq} is signed by an untrusted key (${c.key_id})` : `checkpoint ${seq} has an invalid signature` });
      continue;
    }
    const actual = buf(c.event_hash) ?? anchors.get(seq) ?? null;
    if (actual === null) {
      if (lastSeq !== null && seq > lastSeq) breaks.push({ kind: 'CHECKPOINT', seq, message: `checkpoint ${seq} is beyond the chain head ${lastSeq}: events up to ${seq} were removed` });
      // Otherwise the position was archived inside a cut: the cut's own anchor vouches for it.
      continue;
    }
    if (!actual.equals(hash)) {
      const after = latest ?? (archives.length ? Number(archives.at(-1)!.last_seq) : 0);
      breaks.push({ kind: 'CHECKPOINT', seq, message: `checkpoint ${seq} signed hash ${hex(hash)}, the chain now has ${hex(actual)}: events after ${after} up to ${seq} were rewritten` });
      continue;
    }
    verified++;
    latest = seq;
  }
  breaks.push(...cutBreaks(archives, valid, lastSeq));
  breaks.sort((a, b) => a.seq - b.seq);
  return {
    tenantId,
    ok: breaks.length === 0,
    events: Number(chain.events),
    firstSeq,
    lastSeq,
    checkpointsVerified: verified,
    latestCheckpointSeq: latest,
    archives: archives.length,
    breaks: breaks.slice(0, MAX_BREAKS),
  };
}

/**
 * Each retention cut must be explained by its own audit event, in the chain after the cut: the
 * database's audit.retention_cut (or, for a cut made before it wrote one, the application's
 * audit.archive) naming the archive with the same bounds, a cutoff at least the floor before the cut,
 * and a checkpoint with a trusted signature vouching for the removed events. A cut event a later cut
 * archived is vouched for by that cut. Anything else is a removal the rules did not allow.
 */
function cutBreaks(archives: CutRow[], validCheckpoints: Set<number>, lastSeq: number | null): ChainBreak[] {
  const out: ChainBreak[] = [];
  const archivedThrough = archives.length ? Number(archives.at(-1)!.last_seq) : 0;
  archives.forEach((a, i) => {
    const first = Number(a.first_seq);
    const last = Number(a.last_seq);
    const cut = `retention cut ${first}-${last}`;
    const fail = (message: string) => out.push({ kind: 'ARCHIVE', seq: first, message: `${cut} ${message}` });
    if (Number(a.event_count) !== last - first + 1) fail(`records ${a.event_count} events for ${last - first + 1} positions`);
    if (a.cut_seq === null) {
      // Made before cuts named their event, which a later cut then archived; the latest cut's is always live.
      if (i === archives.length - 1) fail('has no audit event: it was not made by audit_retention_cut()');
      return;
    }
    const at = Number(a.cut_seq);
    if (at <= archivedThrough) return;
    if (a.event_seq === null) {
      fail(`names audit event ${at}, which is ${lastSeq !== null && at <= lastSeq ? 'missing' : `beyond the chain head ${lastSeq ?? 'none'}`}: the cut is not recorded in the chain`);
      return;
    }
    const ownEvent = a.event_action === 'audit.retention_cut' || a.event_action === 'audit.archive';
    if (!ownEvent || !a.names_archive || !a.bounds_match) {
      fail(`names audit event ${at}, which does not record it (${a.event_action ?? 'no action'}${a.bounds_match ? '' : ', other bounds'})`);
      return;
    }
    if (a.within_floor === false) fail(`broke the retention floor: its cutoff is not at least the floor before the cut (event ${at})`);
    const vouched = a.checkpoint_seq !== null ? validCheckpoints.has(Number(a.checkpoint_seq)) : [...validCheckpoints].some((s) => s >= last);
    if (!vouched) fail(`is not vouched for by a checkpoint with a trusted signature${a.checkpoint_seq !== null ? ` (it names checkpoint ${a.checkpoint_seq})` : ''}`);
  });
  return out;
}
