// The report folder, end to end through `run` on tiny inline scenarios against a fake
// url target: report.json follows contracts §2, junit.xml parses with one testsuite per
// suite and one testcase per scenario, report.html is self-contained, summary.md and
// reports/latest exist; the JWS signature verifies, and `aigos-harness verify` exits 1
// when a report byte or an evidence file changed after signing (broken deployment (f)).
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../harness/src/commands/run.js';
import { renderHtml } from '../../harness/src/reporters/html.js';
import { renderJunit } from '../../harness/src/reporters/junit.js';
import { Multiplexer, type Reporter } from '../../harness/src/reporters/reporter.js';
import { loadOrCreateSigningKey, signDetached, verifyDetached } from '../../harness/src/reporters/sign.js';
import { verifyReport } from '../../harness/src/reporters/verify.js';
import type { Report } from '../../harness/src/runner/model.js';
import type { Suite } from '../../harness/src/runner/scenario.js';
import { HARNESS_CLI } from '../support/harness.js';
import { json, startServer, type TestServer } from './support.js';

// a 1x1 PNG
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

const suites: Suite[] = [
  {
    id: 'alpha',
    title: 'Alpha <suite> & "quotes"',
    scenarios: [
      {
        id: 'alpha.ok',
        title: 'passes with a screenshot',
        run: async (ctx) => {
          const res = await ctx.http({ url: '/health' });
          const shot = await ctx.evidence('page', PNG, 'screenshot', 'png');
          ctx.check({
            id: 'health',
            title: 'health 200',
            pass: res.status === 200,
            expected: 200,
            actual: res.status,
            evidence: [res, shot],
          });
        },
      },
      {
        id: 'alpha.broken',
        title: 'fails with a remediation',
        run: async (ctx) => {
          const res = await ctx.http({ url: '/broken' });
          ctx.check({
            id: 'status',
            title: 'broken answers 200',
            pass: res.status === 200,
            expected: 200,
            actual: res.status,
            remediation: 'Restart the broken thing ]]> <now>.',
            evidence: [res],
          });
        },
      },
    ],
  },
  {
    id: 'beta',
    title: 'Beta',
    scenarios: [
      {
        id: 'beta.later',
        title: 'lands later',
        run: async (ctx) => ctx.skip('requires the thing (issue 99)'),
      },
      {
        id: 'beta.dependent',
        title: 'depends on broken',
        dependsOn: ['alpha.broken'],
        run: async (ctx) => void ctx.check({ id: 'x', title: 'x', pass: true }),
      },
    ],
  },
];

let server: TestServer;
let tmp: string;
let keyPath: string;
let dir: string;
let report: Report;
let code: number;

beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.url === '/health') return json(res, 200, { status: 'ok', version: '9.9.9' });
    json(res, 503, { error: { code: 'DOWN', message: 'broken', requestId: 'r1' } });
  });
  tmp = await mkdtemp(join(tmpdir(), 'aigos-reports-test-'));
  keyPath = join(tmp, 'keys', 'signing-key.pem');
  const outcome = await runCommand(
    { target: 'url', url: server.url, suites, out: join(tmp, 'reports'), key: keyPath, quiet: true },
    () => undefined,
  );
  code = outcome.code;
  dir = outcome.dir!;
  report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as Report;
});

afterAll(async () => {
  await server.close();
  await rm(tmp, { recursive: true, force: true });
});

/** A small XML well-formedness check: balanced tags, CDATA, attributes quoted. */
function parseXml(xml: string): { name: string; attrs: Record<string, string>; children: unknown[] }[] {
  const flat: { name: string; attrs: Record<string, string>; children: unknown[] }[] = [];
  const stack: string[] = [];
  const body = xml.replace(/^<\?xml[^>]*\?>\s*/, '').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  const tag = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    const between = body.slice(last, m.index);
    if (/[<>]/.test(between)) throw new Error(`stray markup near ${between.slice(0, 40)}`);
    last = tag.lastIndex;
    const [, close, name, attrText, selfClose] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`unbalanced </${name}>`);
      continue;
    }
    const attrs = Object.fromEntries(
      [...attrText!.matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!]),
    );
    flat.push({ name: name!, attrs, children: [] });
    if (!selfClose) stack.push(name!);
  }
  if (stack.length) throw new Error(`unclosed ${stack.join(', ')}`);
  return flat;
}

function cli(args: string[]) {
  return spawnSync(process.execPath, [HARNESS_CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
}

describe('report folder', () => {
  it('exits 1 when a scenario failed and writes every file of contracts §2', async () => {
    expect(code).toBe(1);
    for (const f of ['report.json', 'report.json.sig', 'junit.xml', 'report.html', 'summary.md'])
      expect(existsSync(join(dir, f))).toBe(true);
    const latest = join(tmp, 'reports', 'latest');
    expect(await readlink(latest)).toBe(report.runId);
  });

  it('report.json follows the contract (schemaVersion 1, counts over scenarios, skipReason on skips)', () => {
    expect(report.schemaVersion).toBe('1');
    expect(report.tool).toMatchObject({ name: 'aigos-harness' });
    expect(report.tool.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.target).toEqual({ kind: 'url', url: server.url, version: '9.9.9' });
    expect(Date.parse(report.startedAt)).toBeLessThanOrEqual(Date.parse(report.finishedAt));
    expect(report.summary).toEqual({ total: 4, passed: 1, failed: 1, skipped: 2, errored: 0 });
    expect(report.suites.map((s) => s.id)).toEqual(['alpha', 'beta']);
    const all = report.suites.flatMap((s) => s.scenarios);
    for (const s of all) {
      expect(['passed', 'failed', 'skipped', 'errored']).toContain(s.status);
      expect(typeof s.durationMs).toBe('number');
      if (s.status === 'skipped') expect(s.skipReason).toBeTruthy();
      for (const c of s.checks)
        for (const e of c.evidence ?? [])
          expect(e).toMatchObject({
            kind: expect.any(String),
            path: expect.stringMatching(/^evidence\//),
            sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
          });
    }
    const broken = all.find((s) => s.id === 'alpha.broken')!;
    expect(broken.checks[0]).toMatchObject({
      status: 'failed',
      expected: 200,
      actual: 503,
      remediation: 'Restart the broken thing ]]> <now>.',
    });
    expect(all.find((s) => s.id === 'beta.dependent')!.skipReason).toBe(
      'depends on alpha.broken, which failed',
    );
  });

  it('junit.xml parses: one testsuite per suite, one testcase per scenario, failure and skipped elements', async () => {
    const xml = await readFile(join(dir, 'junit.xml'), 'utf8');
    const nodes = parseXml(xml);
    const suitesEl = nodes.filter((n) => n.name === 'testsuite');
    expect(suitesEl.map((s) => s.attrs.name)).toEqual(['alpha', 'beta']);
    expect(suitesEl[0]!.attrs).toMatchObject({ tests: '2', failures: '1', errors: '0', skipped: '0' });
    expect(suitesEl[1]!.attrs).toMatchObject({ tests: '2', skipped: '2' });
    expect(nodes.filter((n) => n.name === 'testcase')).toHaveLength(4);
    expect(nodes.filter((n) => n.name === 'failure')).toHaveLength(1);
    expect(nodes.filter((n) => n.name === 'skipped').map((n) => n.attrs.message)).toContain(
      'requires the thing (issue 99)',
    );
    expect(nodes.find((n) => n.name === 'testsuites')!.attrs).toMatchObject({ tests: '4', failures: '1' });
    expect(xml).toContain('Restart the broken thing');
  });

  it('report.html is self-contained: no external resources, screenshots inline, failures first with the fix', async () => {
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/@import|<script|<link\b|<iframe/i);
    expect(html).toContain('src="data:image/png;base64,');
    expect(html).toContain('<svg');
    const fixAt = html.indexOf('What to fix');
    expect(fixAt).toBeGreaterThan(0);
    expect(html.indexOf('Restart the broken thing ]]&gt; &lt;now&gt;.')).toBeGreaterThan(fixAt);
    expect(html.indexOf('Restart the broken thing')).toBeLessThan(html.indexOf('<h2>alpha'));
    expect(html).toContain('Alpha &lt;suite&gt; &amp; &quot;quotes&quot;');
  });

  it('summary.md lists what to fix with the remediation', async () => {
    const md = await readFile(join(dir, 'summary.md'), 'utf8');
    expect(md).toMatch(/^# AIGOS validation FAILED/);
    expect(md).toContain('fix: Restart the broken thing');
    expect(md).toContain('| `beta.later` lands later | skipped |');
  });

  it('generates the signing key once, outside the report folder, mode 0600', async () => {
    expect(((await stat(keyPath)).mode & 0o777).toString(8)).toBe('600');
    const again = await loadOrCreateSigningKey({ path: keyPath });
    expect(again.created).toBe(false);
    await expect(
      loadOrCreateSigningKey({ path: join(dir, 'key.pem'), notInside: join(tmp, 'reports') }),
    ).rejects.toThrow(/must not live inside the report folder/);
  });

  it('verify accepts the untouched report (embedded key and trusted --key)', async () => {
    expect((await verifyReport(join(dir, 'report.json'))).ok).toBe(true);
    const r = cli(['verify', join(dir, 'report.json'), '--key', keyPath]);
    expect(r.stdout).toContain('OK   signature: valid ES256 signature');
    expect(r.stdout).toMatch(/OK {3}evidence: \d+ file\(s\) checked, every SHA-256 matches/);
    expect(r.status).toBe(0);
  });

  it('verify exits 1 when a key other than the trusted one signed', async () => {
    const other = join(tmp, 'other.pem');
    await writeFile(
      other,
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    const r = cli(['verify', join(dir, 'report.json'), '--key', other]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL signature: signed by key \S+, not by the trusted key/);
  });

  it('(f) verify exits 1 when one byte of report.json changed after signing', async () => {
    const file = join(dir, 'report.json');
    const original = await readFile(file);
    const changed = Buffer.from(original);
    const i = changed.indexOf('"failed": 1');
    changed[i + 10] = '0'.charCodeAt(0); // "failed": 0
    await writeFile(file, changed);
    try {
      const r = cli(['verify', file]);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(
        'FAIL signature: signature does not match report.json (the file changed after signing',
      );
      expect(r.stdout).toContain('NOT verified');
    } finally {
      await writeFile(file, original);
    }
  });

  it('verify exits 1 when an evidence file changed, naming it', async () => {
    const ev = report.suites[0]!.scenarios[1]!.checks[0]!.evidence![0]!;
    const file = join(dir, ev.path);
    const original = await readFile(file);
    await writeFile(file, Buffer.concat([original, Buffer.from('tampered\n')]));
    try {
      const r = cli(['verify', dir]);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('OK   signature');
      expect(r.stdout).toContain(`${ev.path}: SHA-256`);
      expect(r.stdout).toContain('does not match');
    } finally {
      await writeFile(file, original);
    }
  });

  it('verify exits 1 without a signature file', async () => {
    const sig = join(dir, 'report.json.sig');
    const original = await readFile(sig);
    await rm(sig);
    try {
      const r = cli(['verify', join(dir, 'report.json')]);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('no signature file');
    } finally {
      await writeFile(sig, original);
    }
  });
});

describe('signing', () => {
  it('round-trips a detached ES256 JWS and refuses a changed payload', async () => {
    const key = await loadOrCreateSigningKey({ path: join(tmp, 'rt', 'k.pem') });
    const payload = Buffer.from('{"a":1}\n');
    const sig = await signDetached(payload, key);
    expect(sig).toMatch(/^[\w-]+\.\.[\w-]+$/);
    const header = JSON.parse(Buffer.from(sig.split('.')[0]!, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    expect(header).toMatchObject({ alg: 'ES256', kid: key.kid, jwk: { kty: 'EC', crv: 'P-256' } });
    expect(header.jwk).not.toHaveProperty('d');
    expect((await verifyDetached(payload, sig)).ok).toBe(true);
    expect((await verifyDetached(Buffer.from('{"a":2}\n'), sig)).ok).toBe(false);
  });
});

describe('reporters', () => {
  it('the multiplexer isolates a reporter that throws: the others still get every event', async () => {
    const seen: string[] = [];
    const warnings: string[] = [];
    const ok: Reporter = {
      name: 'ok',
      onRunEnd: () => void seen.push('end'),
      onScenarioEnd: () => void seen.push('scenario'),
    };
    const bad: Reporter = {
      name: 'bad',
      onRunEnd: () => {
        throw new Error('disk full');
      },
      onScenarioEnd: () => {
        throw new Error('nope');
      },
    };
    const mux = new Multiplexer([bad, ok], (l) => warnings.push(l));
    await mux.onScenarioEnd(
      { suiteId: 's', id: 's.x', title: 'x', index: 1, total: 1 },
      { id: 's.x', title: 'x', status: 'passed', durationMs: 1, checks: [] },
    );
    await mux.onRunEnd(report, dir);
    expect(seen).toEqual(['scenario', 'end']);
    expect(mux.failures.map((f) => `${f.reporter}.${f.hook}: ${f.message}`)).toEqual([
      'bad.onScenarioEnd: nope',
      'bad.onRunEnd: disk full',
    ]);
    expect(warnings[0]).toMatch(/reporter bad failed in onScenarioEnd: nope/);
  });

  it('renders 1,000 checks into junit and html well within a second', async () => {
    const big: Report = {
      ...report,
      suites: [
        {
          id: 'big',
          title: 'big',
          scenarios: Array.from({ length: 100 }, (_, i) => ({
            id: `big.s${i}`,
            title: `scenario ${i}`,
            status: i % 10 ? 'passed' : 'failed',
            durationMs: i,
            checks: Array.from(
              { length: 10 },
              (_, j) =>
                ({
                  id: `c${j}`,
                  title: `check ${j}`,
                  status: i % 10 || j ? 'passed' : 'failed',
                  expected: j,
                  actual: j,
                  remediation: 'fix',
                }) as const,
            ),
          })),
        },
      ],
    };
    const started = performance.now();
    renderJunit(big);
    await renderHtml(big, dir);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
