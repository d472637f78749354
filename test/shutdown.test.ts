// SIGTERM drains: a gateway started here, in front of a deliberately slow upstream,
// finishes the request in flight, refuses new connections and exits 0. The gateway uses
// the real PostgreSQL, Redis and S3 endpoint of a local deployment, so closing its
// clients is part of what is tested.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AIGOS_CLI,
  exitOf,
  freePort,
  http,
  type HttpResult,
  pollUntil,
  ROOT,
  TestDeployment,
} from './support/harness.js';

const SLOW_MS = 1_500;

let dep: TestDeployment;
let slow: Server;
let slowPort: number;
const slowRequests: IncomingMessage[] = [];

beforeAll(async () => {
  dep = await TestDeployment.start();
  // an "api" upstream that answers every request after SLOW_MS
  slow = createServer((req, res) => {
    slowRequests.push(req);
    setTimeout(() => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ slow: true, path: req.url, requestId: req.headers['x-request-id'] }));
    }, SLOW_MS);
  });
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
  slowPort = (slow.address() as { port: number }).port;
});

afterAll(async () => {
  slow?.closeAllConnections();
  await new Promise<void>((resolve) => (slow ? slow.close(() => resolve()) : resolve()));
  await dep?.destroy();
});

describe('gateway SIGTERM', () => {
  let gateway: ChildProcess | undefined;
  let output = '';

  afterAll(async () => {
    if (gateway && gateway.exitCode === null && gateway.signalCode === null) {
      gateway.kill('SIGKILL');
      await exitOf(gateway, 5_000);
    }
  });

  it('completes the request in flight, refuses new connections and exits 0 within 10 s', async () => {
    const env = await dep.serviceEnv();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    gateway = spawn(process.execPath, [AIGOS_CLI, 'serve', 'gateway'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        LOG_LEVEL: 'info',
        BIND_HOST: '127.0.0.1',
        GATEWAY_PORT: String(port),
        API_UPSTREAM_URL: `http://127.0.0.1:${slowPort}`,
        DATABASE_URL: env.DATABASE_URL,
        REDIS_URL: env.REDIS_URL,
        S3_ENDPOINT: env.S3_ENDPOINT,
        S3_ACCESS_KEY: env.S3_ACCESS_KEY,
        S3_SECRET_KEY: env.S3_SECRET_KEY,
        S3_BUCKET: env.S3_BUCKET,
        JWT_SECRET: 'test-jwt-secret-0123456789abcdefghijklmnop',
        SESSION_SECRET: 'test-session-secret-0123456789abcdefghijk',
      },
    });
    gateway.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    gateway.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));

    // ready means connected to PostgreSQL, Redis and storage: shutdown has clients to close
    await pollUntil(
      'gateway ready',
      async () => {
        if (gateway!.exitCode !== null) throw new Error(`gateway exited ${gateway!.exitCode}: ${output}`);
        return (await http(`${base}/health/ready`, { timeoutMs: 2_000 })).status === 200 ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );

    // a request that the upstream holds for SLOW_MS
    const sentAt = Date.now();
    const inFlight: Promise<HttpResult & { at: number }> = http(`${base}/api/v1/slow`, {
      headers: { 'X-Request-Id': 'test-drain-1' },
      timeoutMs: 15_000,
    }).then((r) => ({ ...r, at: Date.now() }));
    let answered = false;
    inFlight.then(
      () => (answered = true),
      () => (answered = true), // awaited below; no unhandled rejection meanwhile
    );
    await pollUntil(
      'upstream receives the request',
      async () => (slowRequests.length > 0 ? true : undefined),
      {
        timeoutMs: 5_000,
        intervalMs: 20,
      },
    );

    expect(answered).toBe(false); // SIGTERM goes out while the request is in flight
    const exited = exitOf(gateway, 10_000).then((e) => ({ ...e, at: Date.now() }));
    const termAt = Date.now();
    gateway.kill('SIGTERM');

    // once the gateway says it is draining, its listener is closed
    await pollUntil(
      'gateway starts draining',
      async () => (output.includes('shutting down') ? true : undefined),
      {
        timeoutMs: 5_000,
        intervalMs: 10,
      },
    );
    await expect(http(`${base}/health`, { timeoutMs: 2_000 })).rejects.toThrow(
      /ECONNREFUSED|ECONNRESET|socket hang up/,
    );

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ slow: true, path: '/api/v1/slow', requestId: 'test-drain-1' });
    expect(response.at - sentAt).toBeGreaterThanOrEqual(SLOW_MS - 50);

    const exit = await exited;
    expect(exit.code, `gateway still running 10 s after SIGTERM:\n${output}`).toBe(0);
    expect(exit.signal).toBeNull();
    expect(exit.at - termAt).toBeLessThan(10_000);
    expect(output).toContain('shutdown complete');
  });
});
