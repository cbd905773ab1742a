import { isDatabaseUnavailable } from '../db/unavailable';
import { logger } from './logger';

/**
 * Run `fn` every `everyMs` in this process, never two runs at once, failures logged. The timer does not
 * keep the process alive; `stop()` ends it. While the database is unreachable the runs fail and are
 * retried at the next tick, logged once per outage rather than on every tick.
 */
export function every(everyMs: number, name: string, fn: () => Promise<unknown>): { stop(): void } {
  let running = false;
  let unavailable = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    fn()
      .then(
        () => {
          if (unavailable) logger.info(`${name}: database reachable again`);
          unavailable = false;
        },
        (err: unknown) => {
          if (!isDatabaseUnavailable(err)) return logger.error(`${name} failed`, { err });
          if (!unavailable) logger.warn(`${name} skipped: database unavailable`, { err });
          unavailable = true;
        },
      )
      .finally(() => (running = false));
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
