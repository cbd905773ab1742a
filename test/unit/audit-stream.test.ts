import { GraphQLError } from 'graphql';
import { AuditStream, type AuditStreamSource } from '../../src/audit/audit-stream';
import type { AuditRow } from '../../src/audit/audit.repo';
import { isRefusal } from '../../src/audit/stream-guard';
import { auditEventId, splitDetail } from '../../src/audit/event-view';
import { decodeSeq, encodeSeq } from '../../src/audit/cursor';

const T = '00000000-0000-4000-8000-000000000001';
const row = (seq: number, action = 'x.y'): AuditRow =>
  ({ tenantId: T, seq, action, outcome: 'ALLOWED', resourceIds: [], detail: {}, occurredAt: new Date() }) as unknown as AuditRow;

/** A table of rows 1..n, and a live feed the test pushes into. */
function fakeSource(tableSize: number, opts: { accept?: (r: AuditRow) => boolean; refuseAt?: number } = {}) {
  const table = Array.from({ length: tableSize }, (_, i) => row(i + 1));
  const pending: AuditRow[] = [];
  let wake: (() => void) | undefined;
  const queries: string[] = [];
  let closed = false;
  const live: AsyncIterableIterator<AuditRow> = {
    async next() {
      while (!pending.length && !closed) await new Promise<void>((r) => (wake = r));
      return closed ? { done: true, value: undefined } : { done: false, value: pending.shift()! };
    },
    async return() {
      closed = true;
      wake?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  const source: AuditStreamSource = {
    live,
    async after(seq, limit, through) {
      queries.push(`after ${seq}${through !== undefined ? ` through ${through}` : ''}`);
      return table.filter((r) => r.seq > seq && (through === undefined || r.seq <= through)).slice(0, limit);
    },
    async authorize(r) {
      return opts.refuseAt === r.seq ? new GraphQLError('Forbidden', { extensions: { code: 'FORBIDDEN' } }) : true;
    },
    accept: opts.accept ?? (() => true),
  };
  return {
    source,
    queries,
    push: (...rows: AuditRow[]) => {
      pending.push(...rows);
      wake?.();
    },
    get closed() {
      return closed;
    },
    table,
  };
}

async function take(stream: AuditStream, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await stream.next();
    if (r.done) break;
    out.push(isRefusal(r.value) ? -1 : r.value.seq);
  }
  return out;
}

describe('AuditStream: replay, then live, no gap, no duplicate', () => {
  it('drops live events the replay already delivered at the switch', async () => {
    const f = fakeSource(5);
    // Events 4 and 5 were committed while the replay query ran: they arrive live as well.
    f.push(row(4), row(5), row(6));
    const stream = new AuditStream(f.source, 2);
    f.table.push(row(6));
    expect(await take(stream, 4)).toEqual([3, 4, 5, 6]);
  });

  it('fills a jump in live positions from the table', async () => {
    const f = fakeSource(9);
    const stream = new AuditStream(f.source, 9);
    const taken = take(stream, 3);
    await new Promise((r) => setTimeout(r, 0)); // the replay found nothing after 9 and waits for live events
    // 10 and 11 were committed, but their notifications were lost: only 12 arrives live.
    f.table.push(row(10), row(11), row(12));
    f.push(row(12));
    expect(await taken).toEqual([10, 11, 12]);
    expect(f.queries).toEqual(['after 9', 'after 9 through 11']);
  });

  it('starts live-only streams at the first live event, and filters without losing positions', async () => {
    const f = fakeSource(3, { accept: (r) => r.seq % 2 === 0 });
    const stream = new AuditStream(f.source, null);
    f.push(row(4), row(5), row(6));
    expect(await take(stream, 2)).toEqual([4, 6]);
    expect(f.queries).toEqual([]);
  });

  it('ends with the refusal when an event is no longer authorized, and closes the live feed', async () => {
    const f = fakeSource(0, { refuseAt: 2 });
    const stream = new AuditStream(f.source, null);
    f.push(row(1), row(2), row(3));
    expect(await take(stream, 5)).toEqual([1, -1]);
    expect(f.closed).toBe(true);
  });

  it('closes the live feed when returned before the first event', async () => {
    const f = fakeSource(0);
    const stream = new AuditStream(f.source, 0);
    await stream.return();
    expect(f.closed).toBe(true);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });
});

describe('audit event views', () => {
  it('keeps personal data out of the general detail', () => {
    expect(splitDetail({ reason: 'wrong password', ip: '10.0.0.1', email: 'x@y.z', userAgent: null })).toEqual({
      general: { reason: 'wrong password' },
      personal: { ip: '10.0.0.1', email: 'x@y.z' },
    });
    expect(splitDetail({ mode: 'FULL', count: 3 }).personal).toBeNull();
  });

  it('derives a stable uuid per chain position', () => {
    const id = auditEventId(T, 7);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(auditEventId(T, 7)).toBe(id);
    expect(auditEventId(T, 8)).not.toBe(id);
  });

  it('reads back only the cursors it wrote', () => {
    expect(decodeSeq(encodeSeq(42))).toBe(42);
    for (const bad of ['', 'c2VxOi0x', Buffer.from('seq:01').toString('base64url'), Buffer.from('seq:1 ').toString('base64url'), 'x'.repeat(100)]) {
      expect(() => decodeSeq(bad)).toThrow('Malformed cursor');
    }
  });
});
