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

export const pgErrorHandler: ErrorRequestHandler = (err: unknown, req, res, next) => {
  const e = err as PgError;
  if (res.headersSent || typeof e?.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code)) return next(err);
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
    case '22P02':
      return sendError(res, 400, 'VALIDATION_FAILED', 'a value has the wrong format');
    case '22007':
    case '22008':
      return sendError(res, 400, 'VALIDATION_FAILED', 'a date or time value is malformed or out of range');
    case '22021': // invalid byte sequence (U+0000 in text)
    case '22P05': // untranslatable character (U+0000 or an unpaired surrogate in JSON)
      return sendError(res, 400, 'INVALID_TEXT', UNSTORABLE_TEXT);
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
