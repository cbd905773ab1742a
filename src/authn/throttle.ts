import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Config } from '../config';
import type { Executor } from '../db/client';
import { queryRows } from '../db/rows';

/**
 * Throttling and lockout for password, TOTP and recovery-code attempts, in PostgreSQL so that every
 * instance shares the counters. Each attempt is its own resolver call and its own statement, so aliased
 * fields in one operation count one by one (mutation fields run serially).
 */
export type ThrottleKey = { key: string; kind: 'account' | 'ip' };

const hash = (s: string) => createHash('sha256').update(s).digest('hex');

/** Password attempts against an account: keyed by tenant slug and e-mail, whether or not either exists. */
export const passwordAccountKey = (tenantSlug: string, email: string): ThrottleKey => ({ key: hash(`pw:${tenantSlug}:${email}`), kind: 'account' });
/** Second-factor attempts (TOTP and recovery codes) of one user. */
export const mfaAccountKey = (tenantId: string, userId: string): ThrottleKey => ({ key: hash(`mfa:${tenantId}:${userId}`), kind: 'account' });
/** Every failed attempt from one client address, of any kind. */
export const ipKey = (ip: string | undefined): ThrottleKey => ({ key: hash(`ip:${ip ?? 'unknown'}`), kind: 'ip' });

type Lockout = Config['authn']['lockout'];

/** The latest lock among the keys, if any is locked now. */
export async function lockedUntil(ex: Executor, keys: ThrottleKey[]): Promise<Date | null> {
  const [row] = await queryRows<{ until: Date | string | null }>(
    ex,
    sql`select max(locked_until) as until from auth_throttle
        where key in (${sql.join(keys.map((k) => sql`${k.key}`), sql`, `)}) and locked_until > now()`,
  );
  return row?.until ? new Date(row.until) : null;
}

/** Count one failure on every key (one statement); returns when the account became or stays locked. */
export async function recordFailure(ex: Executor, keys: ThrottleKey[], cfg: Lockout): Promise<{ accountLockedUntil: Date | null; ipLockedUntil: Date | null }> {
  const calls = keys.map((k) => {
    const threshold = k.kind === 'account' ? cfg.accountThreshold : cfg.ipThreshold;
    return sql`warden_throttle_fail(${k.key}, ${threshold}::int, ${cfg.windowSeconds}::int, ${cfg.baseSeconds}::int, ${cfg.maxSeconds}::int)`;
  });
  const [row] = await queryRows<Record<string, Date | string | null>>(
    ex,
    sql`select ${sql.join(calls.map((c, i) => sql`${c} as ${sql.identifier(`k${i}`)}`), sql`, `)}`,
  );
  const at = (kind: ThrottleKey['kind']) => {
    const i = keys.findIndex((k) => k.kind === kind);
    const v = i >= 0 ? row?.[`k${i}`] : null;
    return v ? new Date(v) : null;
  };
  return { accountLockedUntil: at('account'), ipLockedUntil: at('ip') };
}

/** A success forgets the account's failures (the address keeps its count). */
export async function clearFailures(ex: Executor, key: ThrottleKey): Promise<void> {
  await ex.execute(sql`delete from auth_throttle where key = ${key.key}`);
}

export const retryAfterSeconds = (until: Date): number => Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
