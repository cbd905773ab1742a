import { hashPassword, passwordProblem, verifyPassword } from '../../authn/passwords';
import { clearFailures, ipKey, passwordAccountKey } from '../../authn/throttle';
import { badInput, notFound } from '../../lib/errors';
import { idOf, toGlobalId } from '../../lib/global-id';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { countFailure, refuseIfLocked } from './attempts';
import { revocation } from '../../authn/session-end';
import { findTenantSlug } from './identity.repo';
import { liveSessionsOf, revokeOwnSession, revokeUserSessions, type SessionRow } from './session.repo';
import { passwordHashOf, setPasswordHash, userInTenant } from './user.repo';

export async function mySessions(ctx: RequestContext) {
  const viewer = await ctx.requireViewer();
  const rows = await ctx.withTx((tx) => liveSessionsOf(tx, viewer.userId));
  return rows.map((r: SessionRow) => ({
    id: toGlobalId('Session', r.id),
    createdAt: r.createdAt,
    lastSeenAt: r.lastSeenAt,
    expiresAt: r.expiresAt,
    userAgent: r.userAgent,
    ip: r.ip,
    authMethod: r.authMethod,
    mfaVerifiedAt: r.mfaAt,
    current: r.id === viewer.sessionId,
  }));
}

export async function revokeSessionById(ctx: RequestContext, sessionGlobalId: string): Promise<boolean> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'session.revoke', resourceType: 'Session' }, async (tx) => {
    const id = idOf(sessionGlobalId, 'Session');
    // Another user's session, or an ended one, is simply not found.
    if (!(await revokeOwnSession(tx, viewer.userId, id, revocation('LOGGED_OUT')))) throw notFound('Session not found');
    return { result: true, resourceIds: [id] };
  });
}

export async function revokeMySessions(ctx: RequestContext, includeCurrent: boolean): Promise<number> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'session.revoke_all', resourceType: 'User' }, async (tx) => {
    const n = await revokeUserSessions(tx, viewer.userId, revocation('LOGGED_OUT'), includeCurrent ? undefined : viewer.sessionId);
    return { result: n, resourceIds: [viewer.userId], detail: { count: n, includeCurrent } };
  });
}

export async function revokeSessionsOfUser(ctx: RequestContext, userGlobalId: string): Promise<number> {
  return auditedMutation(ctx, { action: 'session.revoke_user', resourceType: 'User' }, async (tx) => {
    const userId = idOf(userGlobalId, 'User');
    if (!(await userInTenant(tx, userId))) throw notFound('User not found');
    const n = await revokeUserSessions(tx, userId, revocation('REVOKED_BY_ADMIN'));
    return { result: n, resourceIds: [userId], detail: { count: n } };
  });
}

/**
 * Change the password: the current one is checked (throttled like sign-in, on the same counters), the new
 * one must pass the policy, and every other session ends.
 */
export async function changePassword(ctx: RequestContext, input: { currentPassword: string; newPassword: string }): Promise<number> {
  const viewer = await ctx.requireViewer();
  const cfg = ctx.services.config.authn;
  const slug = await ctx.withTx((tx) => findTenantSlug(tx, viewer.tenantId));
  const keys = [passwordAccountKey(slug ?? '', viewer.email), ipKey(ctx.client.ip)];
  const locked = await ctx.withTx((tx) => refuseIfLocked(tx, keys, 'password_change'));
  if (locked) {
    locked.events.forEach((e) => ctx.audit.record({ ...e, action: 'auth.password_change', resourceType: 'User', resourceIds: [viewer.userId] }));
    throw locked.error;
  }
  const hash = await ctx.withTx((tx) => passwordHashOf(tx, viewer.userId));
  if (input.currentPassword.length > 1024 || !(await verifyPassword(hash, input.currentPassword))) {
    const events = await ctx.withTx((tx) => countFailure(tx, keys, cfg.lockout, 'password_change', viewer.userId));
    ctx.audit.record({ action: 'auth.password_change', outcome: 'DENIED', resourceType: 'User', resourceIds: [viewer.userId], detail: { reason: 'wrong current password' } });
    events.forEach((e) => ctx.audit.record(e));
    throw badInput('The current password is wrong', { argument: 'currentPassword' });
  }
  return auditedMutation(ctx, { action: 'auth.password_change', resourceType: 'User' }, async (tx) => {
    const problem = passwordProblem(input.newPassword, { minLength: cfg.passwordMinLength, email: viewer.email });
    if (problem) throw badInput(problem, { argument: 'newPassword' });
    await setPasswordHash(tx, viewer.userId, await hashPassword(input.newPassword));
    await clearFailures(tx, keys[0]);
    const n = await revokeUserSessions(tx, viewer.userId, revocation('PASSWORD_CHANGED'), viewer.sessionId);
    return { result: n, resourceIds: [viewer.userId], detail: { revokedSessions: n } };
  });
}
