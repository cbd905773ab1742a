import postgres from 'postgres';
import { logger } from '../lib/logger';
import { RECONNECT } from './client';

type Channel = { onPayload: (payload: string) => void; onRestored?: () => void };

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 2000;

/**
 * LISTEN on one dedicated connection that comes back by itself. postgres.js's own `sql.listen`
 * re-issues LISTEN once when its connection closes and drops the channel for good if that attempt
 * fails (the database still down), so a restart longer than a moment ended every notification.
 * Here a lost connection is re-established with backoff until it works, and each channel's
 * `onRestored` then runs, so its owner can read from the tables what was committed meanwhile
 * (NOTIFY is not queued for a listener that is not connected).
 */
export class Listener {
  private readonly channels = new Map<string, Channel>();
  private sql: postgres.Sql;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private up = false;

  /**
   * `heartbeatMs`: how often an idle LISTEN connection is asked `select 1` (and how long the answer may
   * take). A connection that only listens sends nothing, so after a silent partition (no FIN, no RST
   * reached us) it would wait for notifications that can no longer come, until TCP keepalive gave up
   * minutes later; a heartbeat that goes unanswered replaces it, and the owners replay what they missed.
   */
  constructor(
    private readonly url: string,
    private readonly heartbeatMs = 10_000,
  ) {
    this.sql = this.connect();
  }

  private connect(): postgres.Sql {
    const sql: postgres.Sql = postgres(this.url, {
      max: 1,
      ...RECONNECT,
      // No idle or lifetime recycling for the LISTEN connection (as postgres.js's own listen() sets it).
      ...({ idle_timeout: null, max_lifetime: null } as object),
      fetch_types: false,
      onnotice: () => {},
      connection: { application_name: 'warden' },
      // Only the current client's losses count: an abandoned one closes whenever it closes.
      onclose: () => sql === this.sql && this.lost(),
      // Not in the typings, but the option postgres.js's own listen() uses for this connection.
      ...({ onnotify: (channel: string, payload: string) => this.channels.get(channel)?.onPayload(payload) } as object),
    });
    return sql;
  }

  private lost(): void {
    this.up = false;
    this.wake?.();
  }

  /** LISTEN is established on every channel asked for. */
  get listening(): boolean {
    return this.up;
  }

  /** The first LISTEN must work (start-up fails otherwise); later losses are repaired in the background. */
  async listen(channel: string, onPayload: (payload: string) => void, onRestored?: () => void): Promise<() => Promise<void>> {
    this.channels.set(channel, { onPayload, onRestored });
    await this.sql.unsafe(`listen ${quote(channel)}`);
    this.up = true;
    this.running ??= this.supervise();
    return async () => {
      this.channels.delete(channel);
      if (this.up) await this.sql.unsafe(`unlisten ${quote(channel)}`).catch(() => {});
    };
  }

  private async supervise(): Promise<void> {
    let delay = RETRY_MIN_MS;
    for (;;) {
      // `up` is cleared synchronously by onclose, so a loss right after a re-subscription is not missed.
      while (this.up && !this.stopped) await this.beat();
      if (this.stopped) return;
      logger.warn('notification connection lost; re-subscribing');
      while (!this.up) {
        await new Promise((r) => setTimeout(r, delay).unref());
        if (this.stopped) return;
        try {
          for (const channel of this.channels.keys()) await this.sql.unsafe(`listen ${quote(channel)}`);
          this.up = true;
        } catch {
          delay = Math.min(delay * 2, RETRY_MAX_MS);
        }
      }
      delay = RETRY_MIN_MS;
      logger.info('notification connection restored', { channels: [...this.channels.keys()] });
      for (const c of this.channels.values()) c.onRestored?.();
    }
  }

  /** Wait one heartbeat interval (or until woken by a loss), then check the connection answers. */
  private async beat(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const woken = await new Promise<boolean>((resolve) => {
      this.wake = () => resolve(true);
      timer = setTimeout(() => resolve(false), this.heartbeatMs).unref();
    });
    clearTimeout(timer);
    if (woken || !this.up || this.stopped) return;
    const sql = this.sql;
    const answered = await Promise.race([
      sql`select 1`.then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), this.heartbeatMs).unref()),
    ]);
    if (answered || !this.up || this.stopped || sql !== this.sql) return;
    logger.warn('notification connection did not answer its heartbeat; replacing it', { heartbeatMs: this.heartbeatMs });
    // A new client: the old one's socket may never close (nothing tells it), so it is abandoned.
    this.sql = this.connect();
    this.up = false;
    void sql.end({ timeout: 0 }).catch(() => {});
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.sql.end({ timeout: 5 });
  }
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
