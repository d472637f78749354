// Structured JSON logs (pino). Credentials are redacted at the logger, so a careless
// `log.info({ req })` can never write a token, cookie or password.
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.secret',
  '*.token',
];

/** Log lines are written in batches of this many bytes, or after LOG_FLUSH_MS at the latest. */
const LOG_BATCH_BYTES = 4096;
const LOG_FLUSH_MS = 200;

/**
 * Standard output, batched: one write per request and service costs more CPU than the
 * request itself on a small machine under load. Lines wait at most LOG_FLUSH_MS; pino
 * flushes what is buffered when the process exits.
 */
function batchedStdout(): pino.DestinationStream {
  const out = pino.destination({ fd: 1, sync: false, minLength: LOG_BATCH_BYTES });
  const timer = setInterval(() => {
    try {
      out.flush();
    } catch {
      clearInterval(timer); // the stream was closed (the process is exiting)
    }
  }, LOG_FLUSH_MS).unref();
  return out;
}

export function createLogger(service: string, level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? batchedStdout(),
  );
}
