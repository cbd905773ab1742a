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
  private readonly sql: postgres.Sql;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private up = false;

  constructor(url: string) {
    this.sql = postgres(url, {
      max: 1,
      ...RECONNECT,
      // No idle or lifetime recycling for the LISTEN connection (as postgres.js's own listen() sets it).
      ...({ idle_timeout: null, max_lifetime: null } as object),
      fetch_types: false,
      onnotice: () => {},
      connection: { application_name: 'warden' },
      onclose: () => {
        this.up = false;
        this.wake?.();
      },
      // Not in the typings, but the option postgres.js's own listen() uses for this connection.
      ...({ onnotify: (channel: string, payload: string) => this.channels.get(channel)?.onPayload(payload) } as object),
    });
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
      if (this.up) await new Promise<void>((resolve) => (this.wake = resolve));
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

  async close(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.sql.end({ timeout: 5 });
  }
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
