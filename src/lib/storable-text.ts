/**
 * Text PostgreSQL cannot keep as sent: U+0000, which `text` and `jsonb` refuse (the statement fails),
 * and unpaired UTF-16 surrogates, which have no UTF-8 form (the driver would store U+FFFD instead).
 */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what this looks for
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const isStorableText = (s: string): boolean => !UNSTORABLE.test(s);

export const UNSTORABLE_TEXT_MESSAGE = 'Text must not contain U+0000 (NUL) or unpaired UTF-16 surrogates';

/**
 * The path to the first string (value or object key) in parsed JSON that is not storable text, or
 * undefined. Iterative: a 100 kB body can nest far deeper than the call stack.
 */
export function findUnstorableText(value: unknown): (string | number)[] | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (!isStorableText(v)) return path;
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ value: item, path: [...path, i] }));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        if (!isStorableText(k)) return [...path, k];
        stack.push({ value: item, path: [...path, k] });
      }
    }
  }
  return undefined;
}
