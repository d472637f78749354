// Input validation: every route parses its params, query and body with zod and answers
// 400 VALIDATION_FAILED listing every problem with its field path (contracts.md §3).
import type { Request } from 'express';
import type { z } from 'zod';
import { HttpError } from '../../common/errors.js';

export interface FieldProblem {
  in?: 'body' | 'query' | 'params' | 'file';
  path: string;
  code: string;
  message: string;
}

/** `a.b[2].c` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

export function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  where?: FieldProblem['in'],
  prefix: PropertyKey[] = [],
): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const issue of issues) {
    const base = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({
          ...(where ? { in: where } : {}),
          path: formatPath([...base, key]),
          code: 'unknown_field',
          message: `unknown field "${key}"`,
        });
      continue;
    }
    out.push({
      ...(where ? { in: where } : {}),
      path: formatPath(base),
      code: issue.code,
      message: issue.message,
    });
  }
  return out;
}

export function validationError(problems: FieldProblem[], message = 'the request is not valid'): HttpError {
  return new HttpError(400, 'VALIDATION_FAILED', `${message}: ${problems.length} problem(s)`, problems);
}

export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: FieldProblem['in'],
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw validationError(issuesToProblems(result.error.issues, where), `invalid request ${where}`);
}

export const parseParams = <S extends z.ZodType>(schema: S, req: Request) =>
  parseWith(schema, req.params, 'params');
export const parseQuery = <S extends z.ZodType>(schema: S, req: Request) =>
  parseWith(schema, { ...req.query }, 'query');

/**
 * The request's JSON body as sent (an empty object when there is none), for a service to
 * validate; 415 when a body was sent in another media type.
 */
export function bodyOf(req: Request): unknown {
  if (req.body === undefined) {
    const hasBody =
      Number(req.header('content-length') ?? 0) > 0 || req.header('transfer-encoding') !== undefined;
    if (hasBody)
      throw new HttpError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `send the body as application/json (got ${req.header('content-type') ?? 'no content type'})`,
      );
  }
  return req.body ?? {};
}

/** The JSON body; 415 when a body was sent in another media type. */
export function parseBody<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  return parseWith(schema, bodyOf(req), 'body');
}
