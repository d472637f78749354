// Dashboard benchmark (issue 7), in Debian's Chromium against the local target:
//   node dist/scripts/bench-web.js [--runs 5] [--url URL --email E --password-file F]
// Without --url it brings a local deployment up in a temporary state directory (and
// takes it down afterwards). It measures
//  - first-load JavaScript: every script the browser pulls to show the sign-in page and
//    then the overview (cold cache), gzip-compressed here at level 9 (what a gzip-serving
//    proxy sends), against a budget of 300 kB;
//  - time to interactive of the overview: a fresh browser context with a session opens
//    the dashboard; the time from navigation start until the overview has rendered its
//    data (the app's performance mark `overview-ready`, set with data-ready="true"),
//    median of the runs, against a budget of 1.5 s.
// Exit 0 when both budgets hold, 1 when one does not, 2 when the benchmark could not run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';

const BUDGET_JS_GZIP_BYTES = 300 * 1000;
const BUDGET_TTI_MS = 1_500;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const runs = Number(opt('runs') ?? 5);
const cli = fileURLToPath(new URL('../harness/src/cli.js', import.meta.url));
const chromiumPath = process.env.AIGOS_CHROMIUM ?? '/usr/bin/chromium';

interface Target {
  url: string;
  email: string;
  password: string;
  close: () => void;
}

function localTarget(): Target {
  const state = mkdtempSync(join(tmpdir(), 'aigos-bench-web-'));
  const down = () => {
    spawnSync(process.execPath, [cli, 'down', '--target', 'local', '--state', state], { stdio: 'ignore' });
    rmSync(state, { recursive: true, force: true });
  };
  const up = spawnSync(process.execPath, [cli, 'up', '--target', 'local', '--state', state, '--json'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (up.status !== 0) {
    down();
    throw new Error(`up failed (exit ${up.status}):\n${up.stderr}`);
  }
  const ep = JSON.parse(up.stdout) as { public: string; admin: { email: string; passwordFile: string } };
  return {
    url: ep.public,
    email: ep.admin.email,
    password: readFileSync(ep.admin.passwordFile, 'utf8').trim(),
    close: down,
  };
}

function givenTarget(): Target | undefined {
  const url = opt('url');
  if (!url) return undefined;
  const email = opt('email');
  const file = opt('password-file');
  if (!email || !file) throw new Error('--url needs --email and --password-file');
  return { url: url.replace(/\/$/, ''), email, password: readFileSync(file, 'utf8').trim(), close: () => {} };
}

/** Scripts a page load pulls, by URL, with their raw and gzip sizes. */
function collectScripts(page: Page): Map<string, Promise<{ raw: number; gzip: number }>> {
  const scripts = new Map<string, Promise<{ raw: number; gzip: number }>>();
  page.on('response', (r: Response) => {
    const type = r.request().resourceType();
    const isJs = type === 'script' || /\.m?js(\?|$)/.test(new URL(r.url()).pathname);
    if (!isJs || scripts.has(r.url())) return;
    scripts.set(
      r.url(),
      r.body().then((b) => ({ raw: b.length, gzip: gzipSync(b, { level: 9 }).length })),
    );
  });
  return scripts;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const kb = (n: number) => `${(n / 1000).toFixed(1)} kB`;

async function signIn(browser: Browser, t: Target) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const r = await context.request.post(`${t.url}/auth/login`, {
    data: { email: t.email, password: t.password },
  });
  if (r.status() !== 200) throw new Error(`sign-in failed: ${r.status()} ${await r.text()}`);
  const body = (await r.json()) as { mustChangePassword?: boolean };
  if (body.mustChangePassword)
    throw new Error('the account must change its password first; use another account');
  return context;
}

async function main(): Promise<number> {
  const t = givenTarget() ?? localTarget();
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, headless: true });

    // 1. first load: the sign-in page (cold), then the overview after signing in
    const first = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await first.newPage();
    const scripts = collectScripts(page);
    await page.goto(`${t.url}/`, { waitUntil: 'load' });
    await page.getByLabel('E-mail').fill(t.email);
    await page.getByLabel('Password').fill(t.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('[data-testid=overview][data-ready=true]', { timeout: 15_000 });
    const sizes = await Promise.all([...scripts].map(async ([url, p]) => ({ url, ...(await p) })));
    await first.close();
    const jsGzip = sizes.reduce((n, s) => n + s.gzip, 0);
    const jsRaw = sizes.reduce((n, s) => n + s.raw, 0);
    console.log('first load (sign-in page, then the overview), JavaScript pulled:');
    for (const s of sizes) console.log(`  ${new URL(s.url).pathname}  ${kb(s.raw)} raw, ${kb(s.gzip)} gzip`);
    console.log(`  total ${kb(jsRaw)} raw, ${kb(jsGzip)} gzip`);

    // 2. time to interactive of the overview, signed in, cold cache each run
    const ttis: number[] = [];
    for (let i = 1; i <= runs; i++) {
      const context = await signIn(browser, t);
      const p = await context.newPage();
      await p.goto(`${t.url}/`, { waitUntil: 'commit' });
      await p.waitForSelector('[data-testid=overview][data-ready=true]', { timeout: 15_000 });
      const tti = await p.evaluate(() => performance.getEntriesByName('overview-ready')[0]?.startTime ?? -1);
      if (tti < 0) throw new Error('the overview set data-ready without the overview-ready mark');
      ttis.push(tti);
      console.log(`run ${i}/${runs}: overview interactive after ${tti.toFixed(0)} ms`);
      await context.close();
    }

    const ttiMedian = median(ttis);
    const jsOk = jsGzip <= BUDGET_JS_GZIP_BYTES;
    const ttiOk = ttiMedian <= BUDGET_TTI_MS;
    console.log('');
    console.log(
      `first-load JavaScript: ${kb(jsGzip)} gzip (budget ${kb(BUDGET_JS_GZIP_BYTES)}): ${jsOk ? 'PASS' : 'FAIL'}`,
    );
    console.log(
      `overview interactive: median ${ttiMedian.toFixed(0)} ms, min ${Math.min(...ttis).toFixed(0)} ms, max ${Math.max(...ttis).toFixed(0)} ms over ${runs} run(s) (budget ${BUDGET_TTI_MS} ms): ${ttiOk ? 'PASS' : 'FAIL'}`,
    );
    return jsOk && ttiOk ? 0 : 1;
  } finally {
    await browser?.close().catch(() => undefined);
    t.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench-web: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
