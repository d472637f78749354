// aigos-harness run: exit 2 for harness errors (bad arguments, an unreachable url
// target, an unknown suite); against a url target the scenarios that need operator
// access, TLS or credentials are skipped with the reason, a route the deployment does
// not serve fails, and a signed report is written.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../harness/src/runner/model.js';
import { harness } from '../support/harness.js';
import { json, startServer, type TestServer } from './support.js';

let server: TestServer;
let tmp: string;

beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.url === '/health') return json(res, 200, { status: 'ok', service: 'gateway', version: '1.2.3' });
    if (req.url === '/health/ready')
      return json(res, 200, { status: 'ok', service: 'gateway', checks: { migrations: { status: 'ok' } } });
    json(res, 404, {
      error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${req.url}`, requestId: 'r' },
    });
  });
  tmp = await mkdtemp(join(tmpdir(), 'aigos-cli-test-'));
});

afterAll(async () => {
  await server.close();
  await rm(tmp, { recursive: true, force: true });
});

const env = () => ({ ...process.env, AIGOS_HARNESS_KEY: join(tmp, 'key.pem') });

describe('aigos-harness run', () => {
  it('exits 2 when the url target has no --url', async () => {
    const r = await harness(['run', '--target', 'url'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--target url needs --url URL/);
  });

  it('exits 2 when the url target cannot be reached', async () => {
    const r = await harness(
      ['run', '--target', 'url', '--url', 'http://127.0.0.1:1', '--out', join(tmp, 'r0')],
      { env: env() },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/http:\/\/127\.0\.0\.1:1\/health cannot be reached/);
  });

  it('exits 2 for an unknown suite, naming the available ones', async () => {
    const r = await harness(['run', '--target', 'url', '--url', server.url, '--suite', 'nope'], {
      env: env(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown suite nope; available: cp-02, api-contract, security/);
  });

  it('runs cp-02 against a url target, skipping what needs operator access or TLS, and signs the report', async () => {
    const out = join(tmp, 'reports');
    const r = await harness(
      ['run', '--target', 'url', '--url', server.url, '--suite', 'cp-02', '--out', out, '--quiet'],
      {
        env: env(),
        timeoutMs: 60_000,
      },
    );
    expect([0, 1]).toContain(r.code);
    expect(r.stderr).toMatch(/\d+ scenarios: \d+ passed/);
    const report = JSON.parse(await readFile(join(out, 'latest', 'report.json'), 'utf8')) as Report;
    expect(report.target).toEqual({ kind: 'url', url: server.url, version: '1.2.3' });
    const byId = new Map(report.suites[0]!.scenarios.map((s) => [s.id, s]));
    expect(byId.get('cp-02.tls')!.skipReason).toMatch(/needs an https public URL/);
    expect(byId.get('cp-02.migrations')!.status).toBe('passed'); // from the readiness answer
    expect(byId.get('cp-02.metrics')!.skipReason).toMatch(/--metrics-url/);
    // a route the deployment does not serve fails its check; it is never skipped or passed
    const login = byId.get('cp-02.default-password')!;
    expect(login.status).toBe('failed');
    expect(login.checks[0]!.actual).toBe('404 NOT_FOUND');
    expect(login.checks[0]!.remediation).toMatch(
      /must refuse wrong credentials with 401 at POST \/auth\/login/,
    );
    expect(byId.get('cp-02.organization')!.skipReason).toMatch(/needs admin credentials/);
    const verify = await harness(['verify', join(out, 'latest', 'report.json')], { env: env() });
    expect(verify.code).toBe(0);
  }, 90_000);
});
