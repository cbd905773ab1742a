/** Masks for sensitive values shown to viewers with masked-read access. Pure functions. */
export const MASKS = {
  /**
   * 13812345678 -> 138****5678: spaces and dashes dropped, the first three and last four characters
   * kept. A leading + and country code are not set apart, they are part of the first three:
   * +85291234567 -> +85*****4567, so a masked number never shows more than seven of its digits.
   */
  PHONE(value: string): string {
    const digits = value.replace(/[\s-]/g, '');
    if (digits.length < 7) return '*'.repeat(digits.length);
    return `${digits.slice(0, 3)}${'*'.repeat(digits.length - 7)}${digits.slice(-4)}`;
  },
  /** zhang.wei@example.com -> z***@example.com */
  EMAIL(value: string): string {
    const at = value.lastIndexOf('@');
    if (at <= 0) return '***';
    return `${[...value.slice(0, at)][0]}***${value.slice(at)}`;
  },
  /** 110101199003071234 -> 110101********1234 */
  ID_NUMBER(value: string): string {
    if (value.length < 10) return '*'.repeat(value.length);
    return `${value.slice(0, 6)}${'*'.repeat(value.length - 10)}${value.slice(-4)}`;
  },
  /** 张伟 -> 张*, Alice Smith -> A**** */
  NAME(value: string): string {
    const chars = [...value.trim()];
    if (chars.length === 0) return '';
    return chars[0] + '*'.repeat(Math.max(1, Math.min(chars.length - 1, 4)));
  },
  /** Province and city only: 广东省深圳市南山区科技园 -> 广东省深圳市***; "1 Main St, Springfield, IL" -> "Springfield, IL***". */
  ADDRESS(value: string): string {
    const province = /^.*?(省|自治区|特别行政区)/u.exec(value)?.[0] ?? '';
    const city = /^.*?(市|自治州|地区|盟)/u.exec(value.slice(province.length))?.[0] ?? '';
    const head = province + city || value.split(/[,，]/u).slice(-2).join(',').trim();
    return `${head}***`;
  },
  REDACT(): string {
    return '***';
  },
} as const;

export type MaskKind = keyof typeof MASKS;

export function mask(kind: MaskKind, value: string): string {
  return MASKS[kind](value);
}
