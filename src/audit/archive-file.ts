import { createHash } from 'node:crypto';
import fs from 'node:fs';
import readline from 'node:readline';
import { isDeepStrictEqual } from 'node:util';

/**
 * One line of an NDJSON archive: the event as the database hashed it (`canonical`, the exact text), the
 * same parsed for people and tools (`event`), and the chain links. Anyone can re-check an archive
 * without the database: hash = SHA-256(prevHash || canonical), each line naming the previous hash.
 */
export type ArchiveLine = { seq: number; prevHash: string | null; hash: string; event: unknown; canonical: string };

export const toArchiveLine = (row: { seq: number; prevHash: Uint8Array | null; hash: Uint8Array; canonical: string }): string =>
  JSON.stringify({
    seq: row.seq,
    prevHash: row.prevHash ? Buffer.from(row.prevHash).toString('hex') : null,
    hash: Buffer.from(row.hash).toString('hex'),
    event: JSON.parse(row.canonical),
    canonical: row.canonical,
  } satisfies ArchiveLine);

export type ArchiveFileReport = { file: string; ok: boolean; events: number; firstSeq: number | null; lastSeq: number | null; lastHash: string | null; firstPrevHash: string | null; sha256: string; problem?: string };

/** Re-check an archive file line by line (streamed), and its SHA-256 for the manifest. */
export async function verifyArchiveFile(file: string): Promise<ArchiveFileReport> {
  const digest = createHash('sha256');
  const stream = fs.createReadStream(file);
  stream.on('data', (chunk) => digest.update(chunk));
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let events = 0;
  let firstSeq: number | null = null;
  let firstPrevHash: string | null = null;
  let prev: ArchiveLine | null = null;
  let problem: string | undefined;
  for await (const text of lines) {
    if (!text.trim() || problem) continue;
    let line: ArchiveLine;
    try {
      line = JSON.parse(text) as ArchiveLine;
    } catch {
      problem = `line ${events + 1} is not JSON`;
      continue;
    }
    const expected = createHash('sha256')
      .update(Buffer.concat([line.prevHash ? Buffer.from(line.prevHash, 'hex') : Buffer.alloc(0), Buffer.from(line.canonical, 'utf8')]))
      .digest('hex');
    if (expected !== line.hash) problem = `event ${line.seq} was changed: its hash does not match its canonical form`;
    else if (!isDeepStrictEqual(JSON.parse(line.canonical), line.event)) problem = `event ${line.seq}: the readable event differs from the hashed canonical form`;
    else if (prev && (line.seq !== prev.seq + 1 || line.prevHash !== prev.hash)) problem = `event ${line.seq} does not follow event ${prev.seq}`;
    if (firstSeq === null) {
      firstSeq = line.seq;
      firstPrevHash = line.prevHash;
    }
    prev = line;
    events++;
  }
  return { file, ok: !problem, events, firstSeq, lastSeq: prev?.seq ?? null, lastHash: prev?.hash ?? null, firstPrevHash, sha256: digest.digest('hex'), ...(problem && { problem }) };
}
