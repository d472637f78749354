// Text PostgreSQL cannot store: U+0000 (text and jsonb refuse it) and unpaired UTF-16
// surrogates (jsonb refuses their escapes). Found in a parsed body before anything is
// written, and reported with the field's path, so such input is a 400 that loses nothing.
import { formatPath } from './validate.js';

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const UNSTORABLE_TEXT_MESSAGE =
  'contains the NUL character (U+0000) or an unpaired UTF-16 surrogate, which cannot be stored';

const unstorable = (s: string) => s.includes('\u0000') || UNPAIRED_SURROGATE.test(s);

/** The path of the first string (value or key) that cannot be stored, or undefined. */
export function findUnstorableText(value: unknown, path: (string | number)[] = []): string | undefined {
  if (typeof value === 'string') return unstorable(value) ? formatPath(path) || '(body)' : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableText(value[i], [...path, i]);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (unstorable(k)) return formatPath([...path, k]);
      const found = findUnstorableText(v, [...path, k]);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
