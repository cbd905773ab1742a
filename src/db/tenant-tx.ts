import { sql } from 'drizzle-orm';
import type { Db, Tx } from './client';

/** The role application statements run as: not superuser, not owner, no BYPASSRLS (drizzle/0001_security.sql). */
export const APP_ROLE = 'warden_app';

/**
 * Make the current transaction run as the application role, for one tenant (or none).
 * One statement, transaction-local, so it is compatible with a transaction-pooling PgBouncer.
 */
export async function enterTenant(tx: Tx, tenantId: string | null): Promise<void> {
  await tx.execute(sql`select set_config('role', ${APP_ROLE}, true), set_config('app.tenant_id', ${tenantId ?? ''}, true)`);
}

/** A short transaction bound to one tenant, as the application role. */
export function withTenantTx<T>(db: Db, tenantId: string | null, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await enterTenant(tx, tenantId);
    return fn(tx);
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
            await enterTenant(tx, this.tenantId);
            const commit = new Promise<boolean>((r) => (this.settle = r));
            resolveTx(tx);
            if (!(await commit)) tx.rollback();
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
