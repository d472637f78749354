// Helpers of the dashboard's end-to-end tests: Debian's Chromium driven by playwright-core
// (never `npx playwright install`), pages that record console errors, CSP violations and
// failed requests, screenshots kept in the test's temporary folder and copied to
// reports/screenshots/ (the harness reuses them as evidence).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ROOT } from '../support/harness.js';

export const CHROMIUM = process.env.AIGOS_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const WEB_BUILD = join(ROOT, 'dist', 'web', 'index.html');
export const SCREENSHOT_COPY_DIR = join(ROOT, 'reports', 'screenshots');

/** The dashboard must be built before a deployment starts (the web service picks dist/web then). */
export function assertWebBuilt(): void {
  if (!existsSync(WEB_BUILD))
    throw new Error(`${WEB_BUILD} is missing: build the dashboard first (npm run build)`);
  const app = join(ROOT, 'reference', 'src', 'web', 'app');
  const newest = (dir: string): number => {
    let t = statSync(dir).mtimeMs;
    for (const e of readdirSync(dir, { withFileTypes: true }))
      t = Math.max(t, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs);
    return t;
  };
  if (newest(app) > statSync(WEB_BUILD).mtimeMs)
    process.stderr.write('warning: dist/web is older than reference/src/web/app; run npm run build\n');
}

/** Everything a page reported that a clean dashboard never does. */
export interface PageProblems {
  list: string[];
  /** requests that are expected to fail (e.g. a viewer's forbidden API call) */
  allow: RegExp[];
}

export async function newPage(
  browser: Browser,
  problems: PageProblems,
  opts: { acceptDownloads?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: 1366, height: 768 },
    acceptDownloads: opts.acceptDownloads ?? true,
  });
  // bounded waits: a missing element fails the step in seconds, not half a minute
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const allowed = (text: string) => problems.allow.some((r) => r.test(text));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = `console: ${m.text()} (${m.location().url})`;
    if (!allowed(text)) problems.list.push(text);
  });
  page.on('pageerror', (e) => problems.list.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const text = `request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`;
    // downloads end as "net::ERR_ABORTED" in the page; navigations away abort fetches too
    if (/ERR_ABORTED/.test(text) || allowed(text)) return;
    problems.list.push(text);
  });
  return { context, page };
}

export class Screenshots {
  readonly taken: string[] = [];
  constructor(readonly dir: string) {}

  async take(page: Page, name: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    this.taken.push(file);
    return file;
  }

  /** Copy to reports/screenshots/ (git-ignored) for the harness. */
  async publish(): Promise<string[]> {
    if (!existsSync(this.dir)) return [];
    await mkdir(SCREENSHOT_COPY_DIR, { recursive: true });
    const out: string[] = [];
    for (const f of await readdir(this.dir)) {
      await copyFile(join(this.dir, f), join(SCREENSHOT_COPY_DIR, f));
      out.push(join(SCREENSHOT_COPY_DIR, f));
    }
    return out;
  }
}

/** Sign in through the dashboard's own form, with the keyboard only. */
export async function signIn(page: Page, base: string, email: string, password: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.waitForURL(/\/login/);
  const emailBox = page.getByLabel('E-mail');
  await emailBox.waitFor();
  await emailBox.focus();
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
}

/** Labels of form controls without an accessible name (should be none). */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll('input, select, textarea'))) {
      const e = el as HTMLInputElement;
      if (e.type === 'hidden') continue;
      const named =
        (e.labels && e.labels.length > 0) ||
        e.getAttribute('aria-label') ||
        e.getAttribute('aria-labelledby');
      if (!named) out.push(e.outerHTML.slice(0, 120));
    }
    return out;
  });
}

/** The CSRF token of the page's session (the non-HttpOnly cookie the dashboard echoes). */
export async function csrfOf(context: BrowserContext): Promise<string> {
  const c = (await context.cookies()).find((x) => /aigos_csrf$/.test(x.name));
  if (!c) throw new Error('no CSRF cookie: not signed in?');
  return decodeURIComponent(c.value);
}
