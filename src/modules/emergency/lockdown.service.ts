import { badInput } from '../../lib/errors';
import { text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { activeLockdown, insertLockdown, latestLockdown, liftLockdownRow, revokeSessionsExceptLockdownHolders, setLockdownSessions, type LockdownRow } from './emergency.repo';

/**
 * Tenant lockdown: every session but those of LOCKDOWN holders is revoked at once, and while the
 * lockdown is active every knowledge-base mutation is refused (the per-request viewer statement reads
 * the lockdown, authorize() refuses with extensions.reason LOCKDOWN). Lifting ends it.
 */
export async function startLockdown(ctx: RequestContext, reasonInput: string): Promise<LockdownRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'lockdown.start', resourceType: 'Lockdown' }, async (tx) => {
    const reason = text(reasonInput, 'reason', { min: 5, max: 500 });
    if (await activeLockdown(tx)) throw badInput('The tenant is already in lockdown', { argument: 'reason' });
    const row = await insertLockdown(tx, { tenantId: viewer.tenantId, reason, startedBy: viewer.userId });
    const revoked = await revokeSessionsExceptLockdownHolders(tx);
    return { result: await setLockdownSessions(tx, row.id, revoked), resourceIds: [row.id], detail: { reason, sessionsRevoked: revoked } };
  });
}

export async function liftLockdown(ctx: RequestContext, reasonInput: string): Promise<LockdownRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'lockdown.lift', resourceType: 'Lockdown' }, async (tx) => {
    const reason = text(reasonInput, 'reason', { min: 5, max: 500 });
    const active = await activeLockdown(tx);
    if (!active) throw badInput('The tenant is not in lockdown', { argument: 'reason' });
    const row = await liftLockdownRow(tx, active.id, viewer.userId, reason);
    return { result: row, resourceIds: [row.id], detail: { reason, startedAt: active.startedAt.toISOString() } };
  });
}

export const lockdownStatus = (ctx: RequestContext) => ctx.withTx(latestLockdown);
