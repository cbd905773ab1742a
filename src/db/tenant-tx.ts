import { is, sql } from 'drizzle-orm';
import { PostgresJsSession } from 'drizzle-orm/postgres-js';
import { statementCounter } from './statements';
import type { Db, Tx } from './client';

/** The role application statements run as: not superuser, not owner, no BYPASSRLS (drizzle/0001_security.sql). */
export const APP_ROLE = 'warden_app';

const SETUP = "select set_config('role', $1, true), set_config('app.tenant_id', $2, true)";

/**
 * Make the current transaction run as the application role, for one tenant (or none).
 * One statement, transaction-local, so it is compatible with a transaction-pooling PgBouncer.
 * On postgres.js the statement is handed to the connection at once (`execute()`), so every statement
 * the caller issues after this call goes out behind it on the same connection, in the same write:
 * callers may issue their first query before the answer is in (`pipelined`), which saves a round
 * trip. PGlite answers in process; there the caller waits for the answer as before.
 */
export function enterTenant(tx: Tx, tenantId: string | null): { answered: Promise<void>; pipelined: boolean } {
  const session = tx._.session;
  if (is(session, PostgresJsSession)) {
    const params = [APP_ROLE, tenantId ?? ''];
    statementCounter.logQuery(SETUP, params);
    const answered = session.client.unsafe(SETUP, params).execute().then(() => undefined);
    // A failed set-up fails the statements behind it too (the transaction is aborted); the caller
    // awaits `answered`, which rolls the transaction back.
    answered.catch(() => {});
    return { answered, pipelined: true };
  }
  return { answered: tx.execute(sql`select set_config('role', ${APP_ROLE}, true), set_config('app.tenant_id', ${tenantId ?? ''}, true)`).then(() => undefined), pipelined: false };
}

/** A short transaction bound to one tenant, as the application role. */
export function withTenantTx<T>(db: Db, tenantId: string | null, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    const setup = enterTenant(tx, tenantId);
    if (!setup.pipelined) await setup.answered;
    try {
      return await fn(tx);
    } finally {
      // After the work has settled: statements sent behind a failed set-up must not outlive the transaction.
      await setup.answered;
    }
  });
}

/**
 * A transaction held open across one GraphQL request, opened lazily on first use and finished by
 * the server once the response is known (commit) or on failure (rollback).
 */
export class RequestTransaction {
  private opened: Promise<Tx> | undefined;
  private settle: ((commit: boolean) => void) | undefined;
  private done: Promise<unknown> | undefined;

  constructor(
    private readonly db: Db,
    private readonly tenantId: string | null,
  ) {}

  get isOpen(): boolean {
    return this.opened !== undefined;
  }

  get(): Promise<Tx> {
    if (!this.opened) {
      this.opened = new Promise<Tx>((resolveTx, rejectTx) => {
        this.done = this.db
          .transaction(async (tx) => {
            const commit = new Promise<boolean>((r) => (this.settle = r));
            const setup = enterTenant(tx, this.tenantId);
            if (!setup.pipelined) await setup.answered;
            resolveTx(tx);
            const ok = await commit;
            // Only once the request is done: its statements went out behind the set-up on this
            // connection and must not outlive the transaction if the set-up failed.
            await setup.answered;
            if (!ok) tx.rollback();
          })
          .catch((err: unknown) => {
            rejectTx(err);
            // drizzle signals a requested rollback by throwing; that is not a failure.
            if ((err as Error)?.name !== 'TransactionRollbackError') throw err;
          });
        // When BEGIN fails (the database is unreachable) `finish` returns at the rejected `opened` and
        // never awaits `done`: without this its rejection is unhandled, which ends the process.
        this.done.catch(() => {});
      });
    }
    return this.opened;
  }

  /** Commit (or roll back) and wait until the connection is released. Safe to call when never opened. */
  async finish(commit: boolean): Promise<void> {
    if (!this.opened) return;
    try {
      await this.opened;
    } catch {
      return;
    }
    this.settle?.(commit);
    await this.done;
  }
}
