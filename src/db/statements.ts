import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'drizzle-orm/logger';

/** Counts SQL statements per request (tests assert them; the benchmark reports them). */
const store = new AsyncLocalStorage<{ statements: number }>();

export const countStatements = <T>(fn: () => T): T => store.run({ statements: 0 }, fn);
export const statementsSoFar = (): number => store.getStore()?.statements ?? 0;

export const statementCounter: Logger = {
  logQuery() {
    const s = store.getStore();
    if (s) s.statements++;
  },
};
