// Keyset (cursor) pagination: stable under inserts, O(limit) per page. A cursor is the
// sort key of the last row returned plus its id, opaque to clients (base64url JSON).
import { z } from 'zod';
import { HttpError } from '../../common/errors.js';

export const MAX_LIMIT = 200;

export const limitSchema = (fallback = 50) =>
  z.coerce
    .number({ message: 'limit must be a whole number' })
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(MAX_LIMIT, `limit must be at most ${MAX_LIMIT}`)
    .default(fallback);

export interface Cursor {
  /** sort key the cursor belongs to */
  s: string;
  /** sort value of the last row (text form) */
  v: string;
  /** id of the last row */
  i: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

const cursorShape = z.object({ s: z.string(), v: z.string().max(1000), i: z.string().max(200) }).strict();

export function decodeCursor(raw: string | undefined, sort: string): Cursor | undefined {
  if (raw === undefined) return undefined;
  const bad = (why: string) =>
    new HttpError(400, 'VALIDATION_FAILED', `invalid request query: 1 problem(s)`, [
      { in: 'query', path: 'cursor', code: 'invalid_cursor', message: why },
    ]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw bad('cursor is not one this server issued');
  }
  const c = cursorShape.safeParse(parsed);
  if (!c.success) throw bad('cursor is not one this server issued');
  if (c.data.s !== sort) throw bad(`cursor belongs to sort ${c.data.s}, not ${sort}`);
  return c.data;
}
