// Liveness and readiness. /health answers while the process is up; /health/ready
// checks each dependency with its own deadline and answers 503 naming what is down,
// so load balancers and Kubernetes probes take the replica out of rotation.
import type { Request, Response, Router } from 'express';
import express from 'express';

export type CheckResult =
  { status: 'ok'; latencyMs: number } | { status: 'down'; latencyMs: number; error: string };
export type ReadinessCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 1_500;

async function runCheck(check: ReadinessCheck): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return { status: 'ok', latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    const message = err instanceof Error && err.message ? err.message : String(err);
    return { status: 'down', latencyMs: Math.round(performance.now() - started), error: message };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRouter(opts: {
  service: string;
  version: string;
  /** Resolved per request, so checks a service registers after start are included. */
  checks: () => Record<string, ReadinessCheck>;
  isShuttingDown: () => boolean;
}): Router {
  const router = express.Router();
  const started = Date.now();
  router.get('/health', (_req: Request, res: Response) => {
    res.json({
      status: 'ok',
      service: opts.service,
      version: opts.version,
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
    });
  });
  router.get('/health/ready', async (_req: Request, res: Response) => {
    const all = opts.checks();
    const names = Object.keys(all);
    const results = await Promise.all(names.map((n) => runCheck(all[n]!)));
    const checks = Object.fromEntries(names.map((n, i) => [n, results[i]]));
    const down = names.filter((_, i) => results[i]!.status !== 'ok');
    const ready = down.length === 0 && !opts.isShuttingDown();
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ok' : 'unavailable',
      service: opts.service,
      version: opts.version,
      ...(opts.isShuttingDown() ? { shuttingDown: true } : {}),
      ...(down.length ? { down } : {}),
      checks,
    });
  });
  return router;
}
