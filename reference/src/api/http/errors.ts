// PostgreSQL errors that user input can cause, mapped to the envelope rather than 500.
import type { ErrorRequestHandler } from 'express';
import { sendError } from '../../common/errors.js';
import { UNSTORABLE_TEXT_MESSAGE } from './text.js';

interface PgError {
  code?: string;
  constraint?: string;
  detail?: string;
}

const UNSTORABLE_TEXT = `a text value ${UNSTORABLE_TEXT_MESSAGE}`;
const BAD_DATE = 'a date or time value is malformed or out of range';

/** PostgreSQL's data errors that only input can cause (class 22): code and message for a 400. */
const PG_INPUT_ERRORS: Record<string, { code: string; message: string }> = {
  '22P02': { code: 'VALIDATION_FAILED', message: 'a value has the wrong format' },
  '22007': { code: 'VALIDATION_FAILED', message: BAD_DATE },
  '22008': { code: 'VALIDATION_FAILED', message: BAD_DATE },
  '22009': { code: 'VALIDATION_FAILED', message: BAD_DATE }, // time zone displacement out of range
  '22021': { code: 'INVALID_TEXT', message: UNSTORABLE_TEXT }, // invalid byte sequence (U+0000 in text)
  '22P05': { code: 'INVALID_TEXT', message: UNSTORABLE_TEXT }, // untranslatable character (jsonb)
};

/** The 400 an error of PostgreSQL deserves when it was caused by input, else undefined. */
export function pgInputError(err: unknown): { code: string; message: string } | undefined {
  const code = (err as PgError | undefined)?.code;
  return typeof code === 'string' ? PG_INPUT_ERRORS[code] : undefined;
}

export const pgErrorHandler: ErrorRequestHandler = (err: unknown, req, res, next) => {
  const e = err as PgError;
  if (res.headersSent || typeof e?.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code)) return next(err);
  const input = pgInputError(e);
  if (input) return sendError(res, 400, input.code, input.message);
  switch (e.code) {
    case '23505':
      return sendError(res, 409, 'CONFLICT', `already exists (${e.constraint ?? 'unique constraint'})`);
    case '23514':
      return sendError(
        res,
        400,
        'VALIDATION_FAILED',
        `a value is out of range (${e.constraint ?? 'check constraint'})`,
      );
    case '23503':
      return sendError(res, 404, 'NOT_FOUND', 'a referenced object does not exist');
    case '40001':
    case '40P01':
      res.setHeader('Retry-After', '1');
      return sendError(res, 503, 'RETRY', 'a concurrent change interfered; retry the request');
    default:
      req.log?.error({ err: { code: e.code, message: (err as Error).message } }, 'database error');
      return sendError(res, 500, 'INTERNAL', 'internal error; quote the request id when reporting it');
  }
};
