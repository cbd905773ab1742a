import type { GraphQLError } from 'graphql';
import type { AuditRow } from './audit.repo';
import type { Guarded } from './stream-guard';

const REPLAY_BATCH = 500;

export type AuditStreamSource = {
  /** Live rows of the tenant in chain order; must be listening already when the stream is built. */
  live: AsyncIterableIterator<AuditRow>;
  /** Rows after a seq (through a seq), oldest first, from the table. */
  after(seq: number, limit: number, throughSeq?: number): Promise<AuditRow[]>;
  /** Per-event authorization: deliver, skip, or end the stream with this error. */
  authorize(row: AuditRow): Promise<true | 'skip' | GraphQLError>;
  accept(row: AuditRow): boolean;
};

/**
 * Replay from the table after a cursor, then live, with no gap and no duplicate at the switch: the
 * live listener is registered before the first replay query, so an event committed at any moment is in
 * the replay, in the live feed, or in both (then the chain position drops the second copy). A jump in
 * positions on the live feed (a missed notification) is filled from the table.
 *
 * A plain iterator rather than an async generator, so that `return()` closes the live listener even
 * before the first `next()`.
 */
export class AuditStream implements AsyncIterableIterator<Guarded<AuditRow>> {
  private readonly queue: AuditRow[] = [];
  private replaying: boolean;
  private ended = false;

  constructor(
    private readonly source: AuditStreamSource,
    /** Highest position already delivered or skipped; null: live only, from the first live event. */
    private last: number | null,
  ) {
    this.replaying = last !== null;
  }

  async next(): Promise<IteratorResult<Guarded<AuditRow>>> {
    while (!this.ended) {
      const row = await this.pull();
      if (!row) break;
      if (!this.source.accept(row)) continue;
      const decision = await this.source.authorize(row);
      if (decision === 'skip') continue;
      if (decision !== true) {
        await this.return();
        return { done: false, value: { refused: decision } };
      }
      return { done: false, value: row };
    }
    return { done: true, value: undefined };
  }

  /** The next row in chain order, from the replay, the gap filler or the live feed. */
  private async pull(): Promise<AuditRow | undefined> {
    for (;;) {
      const queued = this.queue.shift();
      if (queued) return queued;
      if (this.replaying) {
        const rows = await this.source.after(this.last!, REPLAY_BATCH);
        if (rows.length < REPLAY_BATCH) this.replaying = false;
        this.take(rows);
        continue;
      }
      const r = await this.source.live.next();
      if (r.done) return undefined;
      const row = r.value;
      if (this.last !== null && row.seq <= this.last) continue; // already replayed
      if (this.last !== null && row.seq > this.last + 1) this.take(await this.source.after(this.last, row.seq - this.last - 1, row.seq - 1));
      this.take([row]);
    }
  }

  private take(rows: AuditRow[]): void {
    for (const row of rows) {
      if (this.last !== null && row.seq <= this.last) continue;
      this.queue.push(row);
      this.last = row.seq;
    }
  }

  async return(): Promise<IteratorResult<Guarded<AuditRow>>> {
    this.ended = true;
    this.queue.length = 0;
    await this.source.live.return?.();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
