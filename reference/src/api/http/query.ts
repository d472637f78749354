// Query-string helpers: repeated or comma-separated values as one validated list.
import { z } from 'zod';

export const listOf = <T extends readonly [string, ...string[]]>(values: T, max = 10) =>
  z
    .preprocess(
      (v) =>
        v === undefined
          ? undefined
          : (Array.isArray(v) ? v : [v])
              .flatMap((s) => String(s).split(','))
              .map((s) => s.trim())
              .filter(Boolean),
      z.array(z.enum(values, { message: `must be one of ${values.join(', ')}` })).max(max),
    )
    .optional();

export const boolParam = z
  .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1');

export const formatParam = z.enum(['json', 'yaml'], { message: 'must be json or yaml' });
