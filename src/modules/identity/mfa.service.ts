import { checkTotp, hashRecoveryCode, looksLikeRecoveryCode, newRecoveryCodes, newTotpSecret, totpUri } from '../../authn/totp';
import { clearFailures, ipKey, mfaAccountKey } from '../../authn/throttle';
import { mfaFresh } from '../../authz/step-up';
import type { Viewer } from '../../authz/viewer';
import type { Tx } from '../../db/client';
import { badInput, forbidden } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { countFailure, refuseIfLocked } from './attempts';
import { revocation } from '../../authn/session-end';
import { revokeUserSessions } from './session.repo';
import { acceptStep, authSettings, deleteMfa, markSessionMfa, replaceRecoveryCodes, saveAuthSettings, savePendingTotp, totpOf, unusedRecoveryCodes, useRecoveryCode } from './mfa.repo';
import { findRoleKeys, userInTenant } from './user.repo';

export function mfaStatus(viewer: Viewer) {
  return {
    enrolled: Boolean(viewer.mfa?.enrolled),
    required: Boolean(viewer.mfa?.required),
    verifiedAt: viewer.mfa?.at ?? null,
    fresh: mfaFresh(viewer),
    maxAgeSeconds: viewer.mfa?.maxAgeSeconds ?? 0,
  };
}

export async function enrollTotp(ctx: RequestContext) {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'mfa.enroll', resourceType: 'User' }, async (tx) => {
    const current = await totpOf(tx, viewer.userId);
    if (current?.confirmedAt) throw badInput('A TOTP authenticator is already enrolled; an administrator can reset it (resetUserMfa)');
    const secret = newTotpSecret();
    await savePendingTotp(tx, viewer.tenantId, viewer.userId, secret);
    return { result: { secret, otpauthUri: totpUri(ctx.services.config.authn.totpIssuer, viewer.email, secret) }, resourceIds: [viewer.userId], detail: { step: 'started' } };
  });
}

type Check = { ok: true; method: 'TOTP' | 'RECOVERY_CODE' } | { ok: false };

/**
 * One second-factor attempt, throttled per user and per client address. Counters and audit events are
 * written in the request transaction, which commits even when the attempt is refused.
 */
async function attempt(ctx: RequestContext, kind: 'mfa.verify' | 'mfa.confirm', check: (tx: Tx) => Promise<Check>) {
  const viewer = await ctx.requireViewer();
  const keys = [mfaAccountKey(viewer.tenantId, viewer.userId), ipKey(ctx.client.ip)];
  return ctx.withTx(async (tx) => {
    const locked = await refuseIfLocked(tx, keys, kind.replace('mfa.', 'mfa_'));
    if (locked) {
      locked.events.forEach((e) => ctx.audit.record({ ...e, action: kind, resourceType: 'User', resourceIds: [viewer.userId] }));
      throw locked.error;
    }
    const result = await check(tx);
    if (!result.ok) {
      ctx.audit.record({ action: kind, outcome: 'DENIED', resourceType: 'User', resourceIds: [viewer.userId], detail: { reason: 'invalid code', ip: ctx.client.ip ?? null } });
      for (const e of await countFailure(tx, keys, ctx.services.config.authn.lockout, kind, viewer.userId)) ctx.audit.record(e);
      throw badInput('Invalid or already used code', { argument: 'code' });
    }
    await clearFailures(tx, keys[0]);
    const verifiedAt = await markSessionMfa(tx, viewer.sessionId);
    ctx.audit.record({ action: kind, outcome: 'ALLOWED', resourceType: 'User', resourceIds: [viewer.userId], detail: { method: result.method } });
    return { verifiedAt, method: result.method };
  });
}

export async function confirmTotp(ctx: RequestContext, code: string) {
  const viewer = await ctx.requireViewer();
  let codes: string[] = [];
  await attempt(ctx, 'mfa.confirm', async (tx) => {
    const totp = await totpOf(tx, viewer.userId);
    if (!totp) throw badInput('Start with enrollTotp');
    if (totp.confirmedAt) throw badInput('A TOTP authenticator is already enrolled');
    const step = await checkTotp(totp.secret, code.trim(), totp.lastStep);
    if (step === null || !(await acceptStep(tx, viewer.userId, step, true))) return { ok: false };
    codes = newRecoveryCodes();
    await replaceRecoveryCodes(tx, viewer.tenantId, viewer.userId, codes.map(hashRecoveryCode));
    return { ok: true, method: 'TOTP' };
  });
  return { recoveryCodes: codes };
}

export async function verifyMfa(ctx: RequestContext, code: string) {
  const viewer = await ctx.requireViewer();
  if (code.length > 64) throw badInput('Invalid or already used code', { argument: 'code' });
  const out = await attempt(ctx, 'mfa.verify', async (tx) => {
    const totp = await totpOf(tx, viewer.userId);
    if (!totp?.confirmedAt) throw badInput('No second factor is enrolled: start with enrollTotp');
    if (looksLikeRecoveryCode(code)) {
      return (await useRecoveryCode(tx, viewer.userId, hashRecoveryCode(code))) ? { ok: true, method: 'RECOVERY_CODE' } : { ok: false };
    }
    const step = await checkTotp(totp.secret, code.trim(), totp.lastStep);
    return step !== null && (await acceptStep(tx, viewer.userId, step, false)) ? { ok: true, method: 'TOTP' } : { ok: false };
  });
  return { verifiedAt: out.verifiedAt, method: out.method, recoveryCodesLeft: await ctx.withTx((tx) => unusedRecoveryCodes(tx, viewer.userId)) };
}

export async function regenerateRecoveryCodes(ctx: RequestContext): Promise<string[]> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'mfa.recovery_codes', resourceType: 'User' }, async (tx) => {
    const totp = await totpOf(tx, viewer.userId);
    if (!totp?.confirmedAt) throw badInput('No second factor is enrolled');
    const codes = newRecoveryCodes();
    await replaceRecoveryCodes(tx, viewer.tenantId, viewer.userId, codes.map(hashRecoveryCode));
    return { result: codes, resourceIds: [viewer.userId] };
  });
}

export async function resetUserMfa(ctx: RequestContext, userGlobalId: string): Promise<boolean> {
  return auditedMutation(ctx, { action: 'mfa.reset', resourceType: 'User' }, async (tx) => {
    const userId = idOf(userGlobalId, 'User');
    if (!(await userInTenant(tx, userId))) throw badInput('Unknown user', { argument: 'userId' });
    await deleteMfa(tx, userId);
    const revoked = await revokeUserSessions(tx, userId, revocation('REVOKED_BY_ADMIN'));
    return { result: true, resourceIds: [userId], detail: { revokedSessions: revoked } };
  });
}

export async function mfaPolicy(ctx: RequestContext) {
  const row = await ctx.withTx((tx) => authSettings(tx));
  return policyOut(ctx, row);
}

const policyOut = (ctx: RequestContext, row: { mfaRequiredRoles: string[]; stepUpMaxAgeSeconds: number | null } | undefined) => ({
  requiredForRoles: row?.mfaRequiredRoles ?? [],
  stepUpMaxAgeSeconds: Math.min(row?.stepUpMaxAgeSeconds ?? Infinity, ctx.services.config.authn.stepUpMaxAge),
});

export async function setMfaPolicy(ctx: RequestContext, input: { requiredForRoles: string[]; stepUpMaxAgeSeconds?: number | null }) {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'mfa.policy', resourceType: 'Tenant' }, async (tx) => {
    const known = new Set(await findRoleKeys(tx));
    const unknown = input.requiredForRoles.filter((r) => !known.has(r));
    if (unknown.length) throw badInput(`Unknown roles: ${unknown.join(', ')}`, { argument: 'requiredForRoles' });
    // No lock-out of the caller: a policy that would require a second factor of an admin who has none
    // would end their access at their next request (only @preMfa fields answer until they verify one).
    const mine = input.requiredForRoles.filter((r) => viewer.roleKeys.includes(r));
    if (mine.length && !viewer.mfa?.enrolled) {
      throw forbidden(`This policy would require a second factor of you (role ${mine.join(', ')}) and you have none: enrol one first (enrollTotp, confirmTotp)`, {
        reason: 'MFA_ENROLMENT_REQUIRED',
        roles: mine,
      });
    }
    const age = input.stepUpMaxAgeSeconds;
    if (age != null && (!Number.isInteger(age) || age < 30 || age > ctx.services.config.authn.stepUpMaxAge)) {
      throw badInput(`stepUpMaxAgeSeconds must be between 30 and ${ctx.services.config.authn.stepUpMaxAge}`, { argument: 'stepUpMaxAgeSeconds' });
    }
    const row = await saveAuthSettings(tx, viewer.tenantId, { mfaRequiredRoles: [...new Set(input.requiredForRoles)], stepUpMaxAgeSeconds: age ?? null });
    return { result: policyOut(ctx, row), resourceIds: [], detail: { requiredForRoles: row.mfaRequiredRoles, stepUpMaxAgeSeconds: row.stepUpMaxAgeSeconds } };
  });
}
