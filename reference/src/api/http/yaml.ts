// YAML documents to plain values, with the alias expansion bounded: a "billion laughs"
// document (aliases of aliases) is a 400 problem, not an exhausted process or a 500.
// Strings PostgreSQL cannot store (YAML's "\0" escape) are a problem with their path.
import type { Document } from 'yaml';
import { findUnstorableText, UNSTORABLE_TEXT_MESSAGE } from './text.js';

/** More aliases than this in one document is treated as a resource-exhaustion attempt. */
export const MAX_YAML_ALIASES = 100;

export type YamlValue =
  | { ok: true; value: unknown }
  | { ok: false; code: 'too_many_aliases' | 'invalid_text'; path: string; message: string };

export function yamlToJs(doc: Document.Parsed): YamlValue {
  try {
    const value: unknown = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    const bad = findUnstorableText(value);
    if (bad !== undefined)
      return {
        ok: false,
        code: 'invalid_text',
        path: bad === '(body)' ? '' : bad,
        message: UNSTORABLE_TEXT_MESSAGE,
      };
    return { ok: true, value };
  } catch (err) {
    // the yaml library throws a ReferenceError when the alias count is exceeded
    if (err instanceof ReferenceError && /alias/i.test(err.message))
      return {
        ok: false,
        code: 'too_many_aliases',
        path: '',
        message: `the document expands too many aliases (more than ${MAX_YAML_ALIASES}); write the values out`,
      };
    throw err;
  }
}
