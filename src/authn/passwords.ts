import fs from 'node:fs';
import path from 'node:path';
import argon2 from 'argon2';

/** argon2id with the library's defaults (64 MiB, t=3, p=4): OWASP's recommended profile or stronger. */
export const hashPassword = (password: string): Promise<string> => argon2.hash(password, { type: argon2.argon2id });

// A real hash of a random string, verified against when the user does not exist, so that an unknown
// account costs the same time as a wrong password (no user enumeration by timing).
let dummyHash: Promise<string> | undefined;

export async function verifyPassword(hash: string | null | undefined, password: string): Promise<boolean> {
  if (!hash) {
    dummyHash ??= hashPassword(`dummy-${Math.random()}`);
    await argon2.verify(await dummyHash, password).catch(() => false);
    return false;
  }
  return argon2.verify(hash, password).catch(() => false);
}

let common: Set<string> | undefined;
/** The bundled list (src/authn/common-passwords.txt), loaded once. */
function commonPasswords(): Set<string> {
  common ??= new Set(
    fs.readFileSync(path.join(__dirname, 'common-passwords.txt'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')),
  );
  return common;
}

/**
 * Why a new password is refused, or undefined when it is acceptable (NIST SP 800-63B §5.1.1.2: a minimum
 * length, no composition rules, and no password from a list of commonly used ones). A common word
 * dressed with trailing digits or symbols ("password2024!") counts as the word.
 */
export function passwordProblem(password: string, opts: { minLength: number; email?: string }): string | undefined {
  if ([...password].length < opts.minLength) return `Password must be at least ${opts.minLength} characters`;
  if (password.length > 1024) return 'Password must be at most 1024 characters';
  const lower = password.toLowerCase();
  const stripped = lower.replace(/[\d\W_]+$/u, '');
  const list = commonPasswords();
  if (list.has(lower) || (stripped.length >= 4 && list.has(stripped)) || /^(.)\1+$/u.test(password)) return 'Password is too common';
  const local = opts.email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 3 && lower.includes(local)) return 'Password must not contain your e-mail name';
  return undefined;
}
