import { toGlobalId } from '../lib/global-id';

/**
 * Why a session ended, in one closed set: every revocation stores one of these (sessions.revoked_reason,
 * checked by the database), and the session's own holder is told it with what to do next. The codes say
 * what happened to the session, never which detection rule fired or at what threshold.
 */
export const REVOKE_REASONS = [
  /** Signed out: this session's logout, or the user ending it from another session. */
  'LOGGED_OUT',
  /** The user changed their password in another session; the others end. */
  'PASSWORD_CHANGED',
  /** An administrator ended it: revoked sessions, suspension, second-factor reset, emergency lockdown. */
  'REVOKED_BY_ADMIN',
  /** The account was offboarded (in Warden or by the identity provider through SCIM). */
  'OFFBOARDED',
  /** An automatic response to a security alert; the alert is kept as the session's reference. */
  'SECURITY_RESPONSE',
  /** A refresh token of the session was presented again after it had been rotated away. */
  'TOKEN_REUSE',
] as const;

export type RevokeReason = (typeof REVOKE_REASONS)[number];

/** What a refusal can report: a stored revocation, or the session's (or access token's) expiry. */
export type SessionEndReason = RevokeReason | 'EXPIRED';

/** A revocation as written: SECURITY_RESPONSE names the alert (its id), every other reason nothing. */
export type Revocation = { reason: Exclude<RevokeReason, 'SECURITY_RESPONSE'> } | { reason: 'SECURITY_RESPONSE'; alertId: string };

export const revocation = (reason: Exclude<RevokeReason, 'SECURITY_RESPONSE'>): Revocation => ({ reason });

/** The columns a revocation sets. */
export const revocationColumns = (r: Revocation) => ({ revokedReason: r.reason, revokedReference: r.reason === 'SECURITY_RESPONSE' ? r.alertId : null });

/** What an unauthenticated request is told: the message, and for the session's own holder the reason. */
export type AuthFailure = { message: string; reason?: SessionEndReason; reference?: string };

const MESSAGES: Record<SessionEndReason, string> = {
  LOGGED_OUT: 'This session was signed out. Sign in again.',
  EXPIRED: 'Your sign-in has expired. Get a new access token with refreshSession, or sign in again.',
  PASSWORD_CHANGED: 'This session ended because the password was changed. Sign in with the new password; if you did not change it, contact your administrator.',
  REVOKED_BY_ADMIN: 'An administrator ended this session. Sign in again; if you cannot, contact your administrator.',
  OFFBOARDED: 'This account has been offboarded and can no longer sign in. If you think this is a mistake, contact your administrator.',
  SECURITY_RESPONSE: 'This session was ended by an automatic security response. Sign in again; if you cannot, or did not expect this, contact your administrator',
  TOKEN_REUSE: 'This session was ended because one of its refresh tokens was used twice (it may have been copied). Sign in again; if this happens again, contact your administrator.',
};

/**
 * The refusal for a session that ended, told only to whoever proved they hold it (a valid token of that
 * session). `reference` is the alert's global id, which the administrator looks up.
 */
export function sessionEnded(reason: SessionEndReason, reference?: string): AuthFailure {
  if (reason !== 'SECURITY_RESPONSE') return { message: MESSAGES[reason], reason };
  return reference ? { message: `${MESSAGES[reason]} and quote reference ${reference}.`, reason, reference } : { message: `${MESSAGES[reason]}.`, reason };
}

/** The refusal for a stored session: its revocation, or its expiry when it was not revoked. */
export function storedSessionEnd(revokedReason: string | null, revokedReference: string | null): AuthFailure {
  if (!revokedReason) return sessionEnded('EXPIRED');
  const reason = (REVOKE_REASONS as readonly string[]).includes(revokedReason) ? (revokedReason as RevokeReason) : 'REVOKED_BY_ADMIN';
  return sessionEnded(reason, revokedReference ? toGlobalId('SecurityAlert', revokedReference) : undefined);
}

/** The GraphQL extensions of a refusal (next to code UNAUTHENTICATED). */
export const failureExtensions = (f: AuthFailure | undefined): Record<string, unknown> =>
  f?.reason ? { reason: f.reason, ...(f.reference ? { reference: f.reference } : {}) } : {};
