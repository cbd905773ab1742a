import { generate } from 'otplib';
import type { GraphQLClient } from './client';

/** The TOTP code of a secret at now + offsetSeconds (a code for the next step is valid within the one-step window). */
export const totpCode = (secret: string, offsetSeconds = 0): Promise<string> =>
  generate({ secret, period: 30, epoch: Math.floor(Date.now() / 1000) + offsetSeconds });

/**
 * Enrol a TOTP authenticator for the signed-in user; confirming it is that session's second factor, so the
 * client is stepped up from here on (for WARDEN_STEP_UP_MAX_AGE). Returns the secret and recovery codes.
 */
export async function enrolSecondFactor(client: GraphQLClient): Promise<{ secret: string; recoveryCodes: string[] }> {
  const { enrollTotp } = await client.ok<{ enrollTotp: { secret: string } }>('mutation { enrollTotp { secret } }');
  const { confirmTotp } = await client.ok<{ confirmTotp: { recoveryCodes: string[] } }>('mutation($c: String!) { confirmTotp(code: $c) { recoveryCodes } }', {
    c: await totpCode(enrollTotp.secret),
  });
  return { secret: enrollTotp.secret, recoveryCodes: confirmTotp.recoveryCodes };
}
