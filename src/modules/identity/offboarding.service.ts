import { transferOwnership as transferCustomers } from '../crm/customer.repo';
import { transferOwnership as transferArticles } from '../knowledge/article.repo';
import type { Tx } from '../../db/client';
import { badInput, notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import { text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { revokeApiTokens, transferTickets, withdrawGrantsAndAccessRequests } from './offboarding.hooks';
import { revocation } from '../../authn/session-end';
import { attemptsAfter, readsBefore } from './offboarding.repo';
import { revokeUserSessions } from './session.repo';
import { isAdmin, otherActiveAdmins, removeRoles, setUserStatus, userInTenant } from './user.repo';

export type OffboardResult = Awaited<ReturnType<typeof offboard>>;

/**
 * Everything offboarding does, in the caller's transaction: it all happens or none of it. Shared by
 * the offboardUser mutation and SCIM deactivation. Once committed, the revocation NOTIFY closes the
 * leaver's open WebSocket operations on every instance, and every later request with their tokens is
 * refused by the per-request session check.
 */
export async function offboard(tx: Tx, input: { userId: string; transferToUserId: string; actorId: string | null }) {
  const { userId, transferToUserId } = input;
  if (userId === input.actorId) throw badInput('You cannot offboard yourself', { argument: 'userId' });
  const user = await userInTenant(tx, userId);
  if (!user) throw notFound('User not found');
  if (user.offboardedAt) throw badInput('This user is already offboarded', { argument: 'userId' });
  if (transferToUserId === userId) throw badInput('Transfer to someone other than the leaver', { argument: 'transferToUserId' });
  const target = await userInTenant(tx, transferToUserId);
  if (!target || target.status !== 'ACTIVE') throw badInput('transferToUserId must be an active user', { argument: 'transferToUserId' });
  if ((await isAdmin(tx, userId)) && (await otherActiveAdmins(tx, userId)) === 0) {
    throw badInput('The last administrator cannot be offboarded', { argument: 'userId' });
  }
  const disabled = await setUserStatus(tx, userId, 'DISABLED', true);
  const revokedSessions = await revokeUserSessions(tx, userId, revocation('OFFBOARDED'));
  const revokedApiTokens = await revokeApiTokens(tx, userId);
  const removedRoles = await removeRoles(tx, userId);
  const withdrawnGrants = await withdrawGrantsAndAccessRequests(tx, userId, input.actorId);
  const transferred = {
    customers: await transferCustomers(tx, userId, transferToUserId),
    articles: await transferArticles(tx, userId, transferToUserId),
    tickets: await transferTickets(tx, userId, transferToUserId),
  };
  return { user: disabled, transferredTo: target, revokedSessions, revokedApiTokens, removedRoles, withdrawnGrants, transferred, offboardedAt: disabled.offboardedAt! };
}

export async function offboardUser(ctx: RequestContext, input: { userId: string; transferToUserId: string; reason: string }) {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'user.offboard', resourceType: 'User' }, async (tx) => {
    const reason = text(input.reason, 'reason', { max: 500 });
    const userId = idOf(input.userId, 'User');
    const transferToUserId = idOf(input.transferToUserId, 'User');
    const out = await offboard(tx, { userId, transferToUserId, actorId: viewer.userId });
    return {
      result: out,
      resourceIds: [userId],
      detail: { reason, transferTo: transferToUserId, revokedSessions: out.revokedSessions, removedRoles: out.removedRoles, transferred: out.transferred },
    };
  });
}

async function changeStatus(ctx: RequestContext, userGlobalId: string, to: 'SUSPENDED' | 'ACTIVE', reason?: string) {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: to === 'SUSPENDED' ? 'user.suspend' : 'user.reactivate', resourceType: 'User' }, async (tx) => {
    const why = reason === undefined ? undefined : text(reason, 'reason', { max: 500 });
    const userId = idOf(userGlobalId, 'User');
    if (userId === viewer.userId) throw badInput('You cannot change your own status', { argument: 'userId' });
    const user = await userInTenant(tx, userId);
    if (!user) throw notFound('User not found');
    if (user.offboardedAt) throw badInput('An offboarded user cannot be suspended or reactivated', { argument: 'userId' });
    if (to === 'ACTIVE' && user.status !== 'SUSPENDED') throw badInput('The user is not suspended', { argument: 'userId' });
    if (to === 'SUSPENDED' && user.status !== 'ACTIVE') throw badInput('The user is not active', { argument: 'userId' });
    if (to === 'SUSPENDED' && (await isAdmin(tx, userId)) && (await otherActiveAdmins(tx, userId)) === 0) {
      throw badInput('The last administrator cannot be suspended', { argument: 'userId' });
    }
    const row = await setUserStatus(tx, userId, to);
    const revoked = to === 'SUSPENDED' ? await revokeUserSessions(tx, userId, revocation('REVOKED_BY_ADMIN')) : 0;
    return { result: row, resourceIds: [userId], detail: { reason: why, revokedSessions: revoked } };
  });
}

export const suspendUser = (ctx: RequestContext, userId: string, reason: string) => changeStatus(ctx, userId, 'SUSPENDED', reason);
export const reactivateUser = (ctx: RequestContext, userId: string) => changeStatus(ctx, userId, 'ACTIVE');

export async function leaverReport(ctx: RequestContext, userGlobalId: string) {
  const userId = idOf(userGlobalId, 'User');
  return ctx.withTx(async (tx) => {
    const user = await userInTenant(tx, userId);
    if (!user) return null;
    const until = user.offboardedAt ?? new Date();
    return {
      user,
      offboardedAt: user.offboardedAt,
      reads: await readsBefore(tx, userId, until),
      attemptsAfter: user.offboardedAt ? await attemptsAfter(tx, userId, user.offboardedAt) : [],
    };
  });
}
