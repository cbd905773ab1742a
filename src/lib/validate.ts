import { badInput } from './errors';

/** Trimmed text within bounds, or BAD_USER_INPUT naming the argument. */
export function text(value: string, field: string, opts: { min?: number; max: number }): string {
  const v = value.trim();
  if (v.length < (opts.min ?? 1) || v.length > opts.max) {
    throw badInput(`${field} must be ${opts.min ?? 1} to ${opts.max} characters`, { argument: field });
  }
  return v;
}

export function optionalText(value: string | null | undefined, field: string, opts: { max: number }): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  return text(value, field, { min: 0, max: opts.max }) || null;
}

const PHONE = /^\+?[0-9][0-9 -]{5,19}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@]{2,63}$/;

export function phone(value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  const v = value.trim();
  if (!PHONE.test(v)) throw badInput('phone must be 6 to 20 digits, optionally with +, spaces or dashes', { argument: 'phone' });
  return v;
}

export function email(value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  const v = value.trim().toLowerCase();
  if (!EMAIL.test(v)) throw badInput('email is not a valid address', { argument: 'email' });
  return v;
}
