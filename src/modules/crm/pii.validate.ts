import { badInput } from '../../lib/errors';
import { isValidIdNumber } from '../../lib/id-number';
import { optionalText } from '../../lib/validate';

/** 身份证号: spaces dropped, x upper-cased, then the format, birth date and check character verified. */
export function idNumber(value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  const v = value.replace(/\s/g, '').toUpperCase();
  if (!isValidIdNumber(v)) {
    throw badInput('idNumber must be an 18-character resident identity number with a valid birth date and check character', { argument: 'idNumber' });
  }
  return v;
}

export function address(value: string | null | undefined): string | null | undefined {
  return optionalText(value, 'address', { max: 300 });
}
