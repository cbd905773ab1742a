import type { AuditEventInput } from '../../audit/events';
import { lockedUntil, recordFailure, retryAfterSeconds, type ThrottleKey } from '../../authn/throttle';
import type { Config } from '../../config';
import type { Executor } from '../../db/client';
import { rateLimited } from '../../lib/errors';

/**
 * The shape every credential check shares (password, TOTP, recovery code): refuse while locked, count
 * a failure on the account and the client address, and say what to audit. The caller writes the events
 * in its own transaction so they commit with the counters.
 */
export async function refuseIfLocked(ex: Executor, keys: ThrottleKey[], kind: string): Promise<{ error: Error; events: AuditEventInput[] } | null> {
  const until = await lockedUntil(ex, keys);
  if (!until) return null;
  return {
    error: rateLimited('Too many attempts; try again later', { retryAfterSeconds: retryAfterSeconds(until) }),
    events: [{ action: `auth.${kind}`, outcome: 'DENIED', detail: { reason: 'locked out', until: until.toISOString() } }],
  };
}

export async function countFailure(ex: Executor, keys: ThrottleKey[], cfg: Config['authn']['lockout'], kind: string, subjectId: string | null): Promise<AuditEventInput[]> {
  const { accountLockedUntil, ipLockedUntil } = await recordFailure(ex, keys, cfg);
  const events: AuditEventInput[] = [];
  if (accountLockedUntil || ipLockedUntil) {
    events.push({
      action: 'security.lockout',
      outcome: 'DENIED',
      resourceType: subjectId ? 'User' : null,
      resourceIds: subjectId ? [subjectId] : [],
      detail: { attempt: kind, account: accountLockedUntil?.toISOString() ?? null, clientAddress: ipLockedUntil?.toISOString() ?? null },
    });
  }
  return events;
}
