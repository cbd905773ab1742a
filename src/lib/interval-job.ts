import { logger } from './logger';

/**
 * Run `fn` every `everyMs` in this process, never two runs at once, failures logged. The timer does not
 * keep the process alive; `stop()` ends it.
 */
export function every(everyMs: number, name: string, fn: () => Promise<unknown>): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    fn()
      .catch((err: unknown) => logger.error(`${name} failed`, { err }))
      .finally(() => (running = false));
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
