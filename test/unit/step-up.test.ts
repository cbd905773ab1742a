import { mfaFresh, mfaPending, stepUpApplies, stepUpError } from '../../src/authz/step-up';
import { passwordProblem } from '../../src/authn/passwords';
import { checkTotp, hashRecoveryCode, looksLikeRecoveryCode, newRecoveryCodes, newTotpSecret } from '../../src/authn/totp';
import type { Viewer } from '../../src/authz/viewer';
import { totpCode } from '../testkit/totp';

const viewer = (mfa?: Viewer['mfa']): Viewer => ({
  tenantId: 't', userId: 'u', sessionId: 's', email: 'lead@acme.test', permissions: new Set(), clearance: 'CONFIDENTIAL', roleKeys: ['support_lead'], teamIds: [], mfa,
  assignments: [], grants: [], at: new Date(),
});

describe('step-up decisions (pure functions of the viewer and the loaded row)', () => {
  const now = Date.now();
  it('counts a second factor as fresh only within the step-up age', () => {
    expect(mfaFresh(viewer({ at: new Date(now - 100_000), enrolled: true, required: false, maxAgeSeconds: 300 }), now)).toBe(true);
    expect(mfaFresh(viewer({ at: new Date(now - 301_000), enrolled: true, required: false, maxAgeSeconds: 300 }), now)).toBe(false);
    expect(mfaFresh(viewer({ at: null, enrolled: true, required: false, maxAgeSeconds: 300 }), now)).toBe(false);
    expect(mfaFresh(viewer(undefined), now)).toBe(false);
  });

  it('holds a session pending only when the policy requires MFA and it has not passed one', () => {
    expect(mfaPending(viewer({ at: null, enrolled: false, required: true, maxAgeSeconds: 900 }))).toBe(true);
    expect(mfaPending(viewer({ at: new Date(0), enrolled: true, required: true, maxAgeSeconds: 900 }))).toBe(false);
    expect(mfaPending(viewer({ at: null, enrolled: true, required: false, maxAgeSeconds: 900 }))).toBe(false);
  });

  it('applies a classification-bound step-up at and above the tier, and fails closed without one', () => {
    const s = { minClassification: 'CONFIDENTIAL' as const };
    expect(stepUpApplies(s, { classification: 'PUBLIC' })).toBe(false);
    expect(stepUpApplies(s, { classification: 'INTERNAL' })).toBe(false);
    expect(stepUpApplies(s, { classification: 'CONFIDENTIAL' })).toBe(true);
    expect(stepUpApplies(s, { classification: 'RESTRICTED' })).toBe(true);
    expect(stepUpApplies(s, {})).toBe(true);
    expect(stepUpApplies({ minClassification: undefined }, { classification: 'PUBLIC' })).toBe(true);
  });

  it('tells the client how to step up', () => {
    expect(stepUpError(viewer({ at: null, enrolled: true, required: false, maxAgeSeconds: 600 }), 'step-up').extensions).toEqual({
      code: 'MFA_REQUIRED', stepUp: 'verifyMfa', enrolled: true, maxAgeSeconds: 600, reason: 'STEP_UP',
    });
    expect(stepUpError(viewer({ at: null, enrolled: false, required: true, maxAgeSeconds: 600 }), 'policy').extensions).toMatchObject({ stepUp: 'enrollTotp', reason: 'MFA_POLICY' });
  });
});

describe('password policy', () => {
  const opts = { minLength: 12, email: 'mei.chen@acme.test' };
  it.each([
    ['short', /at least 12/],
    ['password1234', /too common/],
    ['Password2024!!', /too common/],
    ['iloveyou!!!!!!', /too common/],
    ['zzzzzzzzzzzzzzzz', /too common/],
    ['mei.chen-is-great', /e-mail name/],
  ])('refuses %s', (password, why) => {
    expect(passwordProblem(password, opts)).toMatch(why);
  });
  it('accepts a long passphrase, counting characters not bytes', () => {
    expect(passwordProblem('correct horse battery staple', opts)).toBeUndefined();
    expect(passwordProblem('我的密码是一个很长的句子啊', opts)).toBeUndefined();
  });
});

describe('TOTP (RFC 6238) and recovery codes', () => {
  it('accepts the current and adjacent steps once each, and refuses replays and stale codes', async () => {
    const secret = newTotpSecret();
    const step = await checkTotp(secret, await totpCode(secret), null);
    expect(step).toEqual(expect.any(Number));
    expect(await checkTotp(secret, await totpCode(secret), step)).toBeNull();
    expect(await checkTotp(secret, await totpCode(secret, 30), step)).toBe(step! + 1);
    expect(await checkTotp(secret, await totpCode(secret, -90), null)).toBeNull();
    expect(await checkTotp(secret, await totpCode(secret, 90), null)).toBeNull();
    expect(await checkTotp(secret, '12345', null)).toBeNull();
  });
  it('makes recovery codes unique, recognisable, and hashed case-insensitively', () => {
    const codes = newRecoveryCodes();
    expect(new Set(codes).size).toBe(10);
    expect(codes.every(looksLikeRecoveryCode)).toBe(true);
    expect(hashRecoveryCode(codes[0].toUpperCase())).toBe(hashRecoveryCode(codes[0]));
    expect(looksLikeRecoveryCode('123456')).toBe(false);
  });
});
