/**
 * Paths pino replaces with "[redacted]" before a line is written: credentials (headers, tokens,
 * passwords, one-time codes, secrets) and personal data (e-mail addresses, phone numbers, client
 * addresses), at the top level of a line's fields and one level down (`*.x`), and inside the audit
 * events an unauthenticated request's refusal logs. Request URLs are logged without their query string
 * (src/server/http-log.ts), where GET requests carry variables.
 */
const CREDENTIALS = ['password', 'newPassword', 'currentPassword', 'token', 'accessToken', 'refreshToken', 'idToken', 'secret', 'clientSecret', 'totpCode', 'otp', 'authorization', 'cookie'];
const PERSONAL = ['email', 'phone', 'ip', 'displayName', 'fullName'];

const fields = [...CREDENTIALS, ...PERSONAL];

export const REDACT_PATHS: string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...fields,
  ...fields.map((f) => `*.${f}`),
  ...fields.map((f) => `events[*].detail.${f}`),
];
