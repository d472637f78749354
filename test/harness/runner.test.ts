// Runner semantics on tiny inline scenarios: dependency skipping with the reason,
// timeout -> errored, declared retries reported, undeclared retries -> failed, needs the
// target cannot give -> skipped, evidence hashed and redacted. No deployment needed.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redactor } from '../../harness/src/runner/redact.js';
import { orderScenarios, Runner } from '../../harness/src/runner/runner.js';
import type { Scenario, Suite } from '../../harness/src/runner/scenario.js';
import type { Report, ScenarioResult } from '../../harness/src/runner/model.js';
import { fakeTarget, json, startServer, type TestServer } from './support.js';

let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startServer((req, res, body) => {
    if (req.url === '/login')
      return json(
        res,
        200,
        { token: 'tok-abc-123456', echo: JSON.parse(body || '{}') },
        { 'Set-Cookie': 'sid=s3cr3tcookie; Path=/; HttpOnly; Secure' },
      );
    if (req.url === '/leak') return json(res, 200, { config: 'value is SUPERSECRETVALUE-42 here' });
    json(res, 200, { status: 'ok' });
  });
  dir = await mkdtemp(join(tmpdir(), 'aigos-runner-test-'));
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const pass = (id: string, extra: Partial<Scenario> = {}): Scenario => ({
  id,
  title: id,
  run: async (ctx) => void ctx.check({ id: 'ok', title: 'ok', pass: true }),
  ...extra,
});
const fail = (id: string, extra: Partial<Scenario> = {}): Scenario => ({
  id,
  title: id,
  run: async (ctx) =>
    void ctx.check({ id: 'bad', title: 'bad', pass: false, expected: 1, actual: 2, remediation: 'fix it' }),
  ...extra,
});

async function run(
  scenarios: Scenario[],
  opts: { undeclaredRetries?: number; secrets?: string[] } = {},
): Promise<{ report: Report; byId: Map<string, ScenarioResult> }> {
  const target = await fakeTarget(server.url);
  const suite: Suite = { id: 't', title: 'test suite', scenarios };
  const runner = new Runner({
    runId: `run-${Math.random().toString(16).slice(2)}`,
    toolVersion: '0.0.0',
    target,
    suites: [suite],
    reportDir: dir,
    redactor: new Redactor((opts.secrets ?? []).map((value, i) => ({ name: `secret-${i}`, value }))),
    undeclaredRetries: opts.undeclaredRetries,
  });
  const report = await runner.run();
  return { report, byId: new Map(report.suites[0]!.scenarios.map((s) => [s.id, s])) };
}

describe('runner', () => {
  it('skips a scenario whose dependency failed, naming the dependency, and runs dependencies first', async () => {
    const { byId, report } = await run([
      pass('t.after', { dependsOn: ['t.first'] }),
      fail('t.first'),
      pass('t.free'),
    ]);
    expect(report.suites[0]!.scenarios.map((s) => s.id)).toEqual(['t.first', 't.after', 't.free']);
    expect(byId.get('t.first')!.status).toBe('failed');
    expect(byId.get('t.after')!.status).toBe('skipped');
    expect(byId.get('t.after')!.skipReason).toBe('depends on t.first, which failed');
    expect(byId.get('t.free')!.status).toBe('passed');
    expect(report.summary).toEqual({ total: 3, passed: 1, failed: 1, skipped: 1, errored: 0 });
  });

  it('chains skips: a dependency that was skipped skips its dependents with the reason', async () => {
    const { byId } = await run([
      { id: 't.a', title: 'a', run: async (ctx) => ctx.skip('requires X (issue N)') },
      pass('t.b', { dependsOn: ['t.a'] }),
    ]);
    expect(byId.get('t.a')!.skipReason).toBe('requires X (issue N)');
    expect(byId.get('t.b')!.skipReason).toBe('depends on t.a, which was skipped (requires X (issue N))');
  });

  it('turns a scenario past its timeout into errored, with a check saying so, and aborts its signal', async () => {
    let aborted = false;
    const { byId } = await run([
      {
        id: 't.slow',
        title: 'slow',
        timeoutMs: 150,
        run: (ctx) =>
          new Promise<void>((resolve) => {
            ctx.signal.addEventListener('abort', () => {
              aborted = true;
              resolve();
            });
          }),
      },
    ]);
    const r = byId.get('t.slow')!;
    expect(r.status).toBe('errored');
    expect(r.error).toBe('timed out after 150 ms');
    expect(r.checks.at(-1)).toMatchObject({ id: 'timeout', status: 'errored' });
    expect(r.checks.at(-1)!.remediation).toMatch(/health\/ready/);
    expect(aborted).toBe(true);
  });

  it('reports a pass that needed its declared retries as passed with the attempts', async () => {
    let calls = 0;
    const { byId } = await run([
      {
        id: 't.flaky',
        title: 'flaky but declared',
        retries: 2,
        retryReason: 'the thing under test converges',
        run: async (ctx) => void ctx.check({ id: 'x', title: 'x', pass: ++calls >= 2 }),
      },
    ]);
    const r = byId.get('t.flaky')!;
    expect(r.status).toBe('passed');
    expect(r.attempts).toBe(2);
    expect(r.declaredRetries).toBe(2);
  });

  it('fails a scenario that passes only thanks to undeclared retries, and says so', async () => {
    let calls = 0;
    const { byId } = await run(
      [
        {
          id: 't.flaky',
          title: 'flaky',
          run: async (ctx) => void ctx.check({ id: 'x', title: 'x', pass: ++calls >= 2 }),
        },
      ],
      { undeclaredRetries: 2 },
    );
    const r = byId.get('t.flaky')!;
    expect(r.status).toBe('failed');
    expect(r.attempts).toBe(2);
    expect(r.checks.find((c) => c.id === 'retries')).toMatchObject({
      status: 'failed',
      expected: 'at most 0 retries (declared)',
      actual: 'passed on attempt 2',
    });
  });

  it('does not retry a failing scenario that declares no retries', async () => {
    let calls = 0;
    const { byId } = await run([
      fail('t.f', { run: async (ctx) => void ctx.check({ id: 'x', title: 'x', pass: ++calls > 5 }) }),
    ]);
    expect(byId.get('t.f')!.status).toBe('failed');
    expect(calls).toBe(1);
  });

  it('refuses retries declared without a reason', async () => {
    await expect(run([pass('t.r', { retries: 1 })])).rejects.toThrow(/retryReason/);
  });

  it('skips a scenario whose needs the target cannot give, with the reason', async () => {
    const { byId } = await run([
      pass('t.exec', { needs: ['operator-exec'] }),
      pass('t.tls', { needs: ['tls'] }),
      pass('t.only-url', { targets: ['url'] }),
    ]);
    expect(byId.get('t.exec')!.skipReason).toMatch(/needs operator access .* the local target cannot give/);
    expect(byId.get('t.tls')!.skipReason).toMatch(/needs an https public URL/);
    expect(byId.get('t.only-url')!.skipReason).toBe('supports the url target, not local');
  });

  it('errors a scenario that throws or records no check, and never passes an empty one', async () => {
    const { byId } = await run([
      {
        id: 't.throws',
        title: 'throws',
        run: async () => {
          throw new Error('boom');
        },
      },
      { id: 't.empty', title: 'empty', run: async () => undefined },
    ]);
    expect(byId.get('t.throws')).toMatchObject({ status: 'errored', error: 'boom' });
    expect(byId.get('t.empty')).toMatchObject({
      status: 'errored',
      error: 'the scenario recorded no checks',
    });
  });

  it('writes HTTP transcripts with credentials redacted and hashes every evidence file', async () => {
    const { byId } = await run(
      [
        {
          id: 't.http',
          title: 'http',
          run: async (ctx) => {
            const res = await ctx.http({
              method: 'POST',
              url: '/login',
              json: { email: 'a@b.c', password: 'hunter2-password', apiKey: 'aigos_key_value' },
              headers: { Authorization: 'Bearer tok-sent-7890', Cookie: 'sid=abcdef123' },
            });
            const leak = await ctx.http({ url: '/leak' });
            ctx.check({ id: 'c', title: 'c', pass: res.status === 200, evidence: [res, leak] });
          },
        },
      ],
      { secrets: ['SUPERSECRETVALUE-42'] },
    );
    const r = byId.get('t.http')!;
    expect(r.status).toBe('passed');
    const evidence = r.checks[0]!.evidence!;
    expect(evidence).toHaveLength(2);
    const text = await readFile(join(dir, evidence[0]!.path), 'utf8');
    expect(evidence[0]!.sha256).toBe(
      createHash('sha256')
        .update(await readFile(join(dir, evidence[0]!.path)))
        .digest('hex'),
    );
    expect(evidence[0]!.kind).toBe('http-transcript');
    for (const secret of [
      'hunter2-password',
      'aigos_key_value',
      'tok-sent-7890',
      'abcdef123',
      's3cr3tcookie',
      'tok-abc-123456',
    ])
      expect(text).not.toContain(secret);
    expect(text).toContain('Authorization: Bearer [REDACTED]');
    expect(text).toMatch(/set-cookie: sid=\[REDACTED\]; Path=\/; HttpOnly; Secure/);
    expect(text).toContain('"email": "a@b.c"');
    const leak = await readFile(join(dir, evidence[1]!.path), 'utf8');
    expect(leak).not.toContain('SUPERSECRETVALUE-42');
    expect(leak).toContain('[REDACTED:secret-0]');
  });

  it('orders by dependencies and rejects cycles', () => {
    expect(orderScenarios([pass('t.b', { dependsOn: ['t.a'] }), pass('t.a')]).map((s) => s.id)).toEqual([
      't.a',
      't.b',
    ]);
    expect(() =>
      orderScenarios([pass('t.a', { dependsOn: ['t.b'] }), pass('t.b', { dependsOn: ['t.a'] })]),
    ).toThrow(/cycle/);
  });
});
