// The one error envelope of every service (contracts.md §3):
// { "error": { "code", "message", "details"?, "requestId" } }
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown[]; requestId: string };
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown[],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function sendError(
  res: Response,
  status: number,
  code: string,
  message: string,
  details?: unknown[],
): void {
  const body: ErrorBody = { error: { code, message, requestId: res.locals.requestId ?? 'unknown' } };
  if (details && details.length > 0) body.error.details = details;
  res.status(status).json(body);
}

export const notFound: RequestHandler = (req: Request, res: Response) => {
  sendError(res, 404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`);
};

function isJson(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Last middleware: maps known errors to the envelope; never leaks a stack trace. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (res.headersSent) return;
  if (err instanceof HttpError) return sendError(res, err.status, err.code, err.message, err.details);
  // body-parser errors carry a status and a type
  const status = typeof err?.status === 'number' ? err.status : 500;
  if (status === 413) return sendError(res, 413, 'PAYLOAD_TOO_LARGE', 'request body is too large');
  if (status === 400 && err?.type === 'entity.parse.failed') {
    // strict parsing also refuses valid JSON that is not an object or array (null, 1, "x")
    return sendError(
      res,
      400,
      'INVALID_JSON',
      isJson(err.body) ? 'request body must be a JSON object or array' : 'request body is not valid JSON',
    );
  }
  if (status >= 400 && status < 500)
    return sendError(res, status, 'BAD_REQUEST', String(err?.message ?? 'bad request'));
  req.log?.error({ err }, 'unhandled error');
  sendError(res, 500, 'INTERNAL', 'internal error; quote the request id when reporting it');
};
