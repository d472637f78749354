// Readiness strategies shared by every target: a probe is a small async function that
// resolves when the thing is ready and throws (with a reason) when it is not yet.
import { request } from 'node:http';
import { connect } from 'node:net';

export type Probe = () => Promise<void>;

export class NotReadyError extends Error {
  constructor(
    readonly what: string,
    readonly lastReason: string,
    readonly waitedMs: number,
  ) {
    super(`${what} not ready after ${Math.round(waitedMs / 100) / 10} s: ${lastReason}`);
    this.name = 'NotReadyError';
  }
}

/** Thrown by a probe when waiting longer cannot help (the process exited, say). */
export class GiveUp extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GiveUp';
  }
}

export async function waitFor(
  what: string,
  probe: Probe,
  opts: { timeoutMs: number; intervalMs?: number; abort?: AbortSignal },
): Promise<void> {
  const started = Date.now();
  const interval = opts.intervalMs ?? 100;
  let last = 'not checked yet';
  for (;;) {
    if (opts.abort?.aborted)
      throw new NotReadyError(what, `aborted: ${String(opts.abort.reason ?? '')}`, Date.now() - started);
    try {
      await probe();
      return;
    } catch (err) {
      if (err instanceof GiveUp) throw new NotReadyError(what, err.message, Date.now() - started);
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() - started + interval > opts.timeoutMs)
      throw new NotReadyError(what, last, Date.now() - started);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** HTTP GET answers with the expected status. */
export function httpStatus(url: string, expected = 200, timeoutMs = 2_000): Probe {
  return () =>
    new Promise((resolve, reject) => {
      const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode === expected) resolve();
          else
            reject(
              new Error(
                `${url} answered ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`,
              ),
            );
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${url} did not answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
}

/** A TCP connection to host:port succeeds. */
export function tcpPort(port: number, host = '127.0.0.1'): Probe {
  return () =>
    new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', (err) => reject(new Error(`${host}:${port}: ${err.message}`)));
    });
}
