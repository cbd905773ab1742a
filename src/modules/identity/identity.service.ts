import { formatRefreshToken, hashSecret, newRefreshSecret, parseRefreshToken, secretMatches } from '../../authn/tokens';
import { verifyPassword } from '../../authn/passwords';
import { writeAuditEvents } from '../../audit/writer';
import type { Tx } from '../../db/client';
import { withTenantTx } from '../../db/tenant-tx';
import { unauthenticated } from '../../lib/errors';
import { text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import type { AuditEventInput } from '../../audit/events';
import { clearFailures, ipKey, passwordAccountKey } from '../../authn/throttle';
import { revocation, sessionEnded, storedSessionEnd, failureExtensions, type AuthFailure } from '../../authn/session-end';
import { countFailure, refuseIfLocked } from './attempts';
import { rememberUsedRefreshToken, wasUsedRefreshToken } from './session.repo';
import { findSessionForRefresh, findTenantBySlug, findUserByEmail, insertSession, revokeSession, rotateRefreshToken } from './identity.repo';

export type AuthPayload = { accessToken: string; refreshToken: string; expiresIn: number; tokenType: 'Bearer' };

const INVALID_CREDENTIALS = 'Invalid email or password';

export async function issueTokens(ctx: RequestContext, tenantId: string, userId: string, sessionId: string, secret: string): Promise<AuthPayload> {
  const tokens = ctx.services.tokens;
  return {
    accessToken: await tokens.signAccess({ sub: userId, sid: sessionId, tid: tenantId }),
    refreshToken: formatRefreshToken({ tenantId, sessionId, secret }),
    expiresIn: tokens.accessTtl,
    tokenType: 'Bearer',
  };
}

/**
 * Password sign-in. Unknown tenant, unknown user, wrong password and an inactive account all give the
 * same error after the same argon2 work, so the answer tells nothing about which accounts exist.
 */
/** A new session row for a sign-in (password or SSO): hashed refresh secret, lifetime, client. */
export function startSession(tx: Tx, ctx: RequestContext, s: { tenantId: string; userId: string; secret: string; authMethod: 'PASSWORD' | 'SSO' }) {
  return insertSession(tx, {
    tenantId: s.tenantId,
    userId: s.userId,
    refreshTokenHash: hashSecret(s.secret),
    expiresAt: new Date(Date.now() + ctx.services.config.jwt.refreshTtl * 1000),
    userAgent: ctx.client.userAgent?.slice(0, 300),
    ip: ctx.client.ip,
    authMethod: s.authMethod,
  });
}

export async function login(ctx: RequestContext, input: { tenant: string; email: string; password: string }): Promise<AuthPayload> {
  const db = ctx.services.database.db;
  const slug = text(input.tenant, 'tenant', { max: 100 }).toLowerCase();
  const email = text(input.email, 'email', { max: 320 }).toLowerCase();
  if (input.password.length > 1024) throw unauthenticated(INVALID_CREDENTIALS);
  const keys = [passwordAccountKey(slug, email), ipKey(ctx.client.ip)];
  const lockout = ctx.services.config.authn.lockout;

  const { tenant, locked } = await withTenantTx(db, null, async (tx) => ({
    tenant: await findTenantBySlug(tx, slug),
    locked: await refuseIfLocked(tx, keys, 'login'),
  }));
  if (!tenant) {
    // Same work and same answers as for a real tenant: a lockout here tells nothing either.
    if (locked) throw locked.error;
    await verifyPassword(null, input.password);
    await withTenantTx(db, null, (tx) => countFailure(tx, keys, lockout, 'login', null));
    throw unauthenticated(INVALID_CREDENTIALS);
  }
  const audit = (tx: Tx, actorId: string | null, sessionId: string | null, events: AuditEventInput[]) =>
    writeAuditEvents(tx, { tenantId: tenant.id, actorId, sessionId }, ctx.requestId, events.map((e) => ({ ...e, detail: { ...e.detail, ip: ctx.client.ip ?? null } })));
  if (locked) {
    await withTenantTx(db, tenant.id, (tx) => audit(tx, null, null, locked.events.map((e) => ({ ...e, detail: { ...e.detail, email } }))));
    throw locked.error;
  }
  const user = await withTenantTx(db, tenant.id, (tx) => findUserByEmail(tx, email));
  const ok = (await verifyPassword(user?.passwordHash, input.password)) && user?.status === 'ACTIVE';

  if (!ok || !user) {
    await withTenantTx(db, tenant.id, async (tx) => {
      const reason = !user ? 'unknown account' : user.status !== 'ACTIVE' ? `account ${user.status}` : 'wrong password';
      const events: AuditEventInput[] = [
        { action: 'auth.login', outcome: 'DENIED', resourceType: 'User', resourceIds: user ? [user.id] : [], detail: { reason, email: user ? undefined : email } },
        ...(await countFailure(tx, keys, lockout, 'login', user?.id ?? null)),
      ];
      if (user?.offboardedAt) events.push(leaverAttempt(user.id, 'password'));
      await audit(tx, user?.id ?? null, null, events);
    });
    throw unauthenticated(INVALID_CREDENTIALS);
  }
  const secret = newRefreshSecret();
  const session = await withTenantTx(db, tenant.id, async (tx) => {
    await clearFailures(tx, keys[0]);
    const s = await startSession(tx, ctx, { tenantId: tenant.id, userId: user.id, secret, authMethod: 'PASSWORD' });
    await audit(tx, user.id, s.id, [{ action: 'auth.login', outcome: 'ALLOWED', resourceType: 'User', resourceIds: [user.id], detail: { method: 'PASSWORD' } }]);
    return s;
  });
  return issueTokens(ctx, tenant.id, user.id, session.id, secret);
}

/** The security event for any use of an offboarded user's credentials (leaver report, analysts' stream). */
export const leaverAttempt = (userId: string, credential: string): AuditEventInput => ({
  action: 'security.leaver_access_attempt',
  outcome: 'DENIED',
  resourceType: 'User',
  resourceIds: [userId],
  detail: { credential },
});

/**
 * Refresh-token rotation: each refresh token works once. Presenting the one a rotation replaced is
 * reuse (it was stolen, or the client is confused): the whole session is revoked and audited.
 */
export async function refresh(ctx: RequestContext, token: string): Promise<AuthPayload> {
  const parsed = parseRefreshToken(token);
  if (!parsed) throw unauthenticated('Invalid refresh token');
  const next = newRefreshSecret();
  const outcome = await withTenantTx(ctx.services.database.db, parsed.tenantId, async (tx) => {
    const s = await findSessionForRefresh(tx, parsed.sessionId);
    if (!s) return { error: { message: 'Invalid refresh token' } };
    const actor = { tenantId: parsed.tenantId, actorId: s.userId, sessionId: s.id };
    const refuse = async (reason: string, told?: AuthFailure) => {
      await writeAuditEvents(tx, actor, ctx.requestId, [{ action: 'auth.refresh', outcome: 'DENIED', resourceType: 'Session', resourceIds: [s.id], detail: { reason } }]);
      return { error: told ?? { message: 'Invalid refresh token' } };
    };
    // Whoever presents the session's current refresh token holds it, and is told why it ended.
    const ended = () => (secretMatches(parsed.secret, s.refreshTokenHash) ? storedSessionEnd(s.revokedReason, s.revokedReference) : undefined);
    if (s.userOffboardedAt) {
      await writeAuditEvents(tx, actor, ctx.requestId, [leaverAttempt(s.userId, 'refresh token')]);
      return refuse('account offboarded', s.revokedAt ? ended() : undefined);
    }
    if (s.revokedAt) return refuse('session revoked', ended());
    if (s.expiresAt.getTime() <= Date.now()) return refuse('session expired', ended());
    if (s.userStatus !== 'ACTIVE') return refuse(`account ${s.userStatus}`);
    if (!secretMatches(parsed.secret, s.refreshTokenHash)) {
      // Any refresh token this session rotated away from, presented again: the family is revoked.
      if (secretMatches(parsed.secret, s.previousRefreshTokenHash) || (await wasUsedRefreshToken(tx, s.id, hashSecret(parsed.secret)))) {
        await revokeSession(tx, s.id, revocation('TOKEN_REUSE'));
        await writeAuditEvents(tx, actor, ctx.requestId, [
          { action: 'security.refresh_token_reuse', outcome: 'DENIED', resourceType: 'Session', resourceIds: [s.id], detail: { ip: ctx.client.ip ?? null } },
        ]);
        return refuse('refresh token reuse: session revoked', sessionEnded('TOKEN_REUSE'));
      }
      return refuse('unknown refresh token');
    }
    await rememberUsedRefreshToken(tx, parsed.tenantId, s.id, s.refreshTokenHash);
    await rotateRefreshToken(tx, s.id, s.refreshTokenHash, hashSecret(next));
    await writeAuditEvents(tx, actor, ctx.requestId, [{ action: 'auth.refresh', outcome: 'ALLOWED', resourceType: 'Session', resourceIds: [s.id] }]);
    return { userId: s.userId, sessionId: s.id };
  });
  if ('error' in outcome) throw unauthenticated(outcome.error.message, failureExtensions(outcome.error));
  return issueTokens(ctx, parsed.tenantId, outcome.userId, outcome.sessionId, next);
}

export async function logout(ctx: RequestContext): Promise<boolean> {
  const viewer = await ctx.requireViewer();
  await ctx.withTx((tx) => revokeSession(tx, viewer.sessionId, revocation('LOGGED_OUT')));
  ctx.audit.record({ action: 'auth.logout', outcome: 'ALLOWED', resourceType: 'Session', resourceIds: [viewer.sessionId] });
  return true;
}
