import { generate } from 'otplib';

/** The TOTP code of a secret at now + offsetSeconds (a code for the next step is valid within the one-step window). */
export const totpCode = (secret: string, offsetSeconds = 0): Promise<string> =>
  generate({ secret, period: 30, epoch: Math.floor(Date.now() / 1000) + offsetSeconds });
