// One single sign-on in Chromium, as a user does it: open the public sign-in page, click
// the provider's button, sign in on the test IdP's own page, and land back on the
// control plane — on "who am I" (/auth/whoami) when it worked, on the refusal page
// otherwise. Observation only; the scenarios judge what it returns.
import type { Page } from 'playwright-core';
import { launchChromium } from '../../harness/src/drivers/browser.js';
import type { EvidenceRef } from '../../harness/src/runner/model.js';
import type { ScenarioContext } from '../../harness/src/runner/scenario.js';

export interface Landing {
  /** where the browser ended */
  url: string;
  /** the steps the browser went through (URLs without query strings) */
  steps: string[];
  /** #who-* of the whoami page, when it landed there */
  who?: { role: string; email: string; method: string; org: string };
  /** the refusal page (its heading and reason), when it did not */
  refused?: { title: string; reason: string; status?: number };
  /** GET /api/v1/me with the browser's session */
  me?: { status: number; role?: string; email?: string; organization?: string };
  /** what went wrong in the browser (timeouts, missing elements) */
  error?: string;
  screenshot?: EvidenceRef;
}

const strip = (u: string) => u.replace(/\?.*$/, '');

async function text(page: Page, selector: string): Promise<string | undefined> {
  const l = page.locator(selector);
  return (await l.count()) ? ((await l.first().textContent()) ?? '').trim() : undefined;
}

/** The refusal page or whoami, whichever the page shows. */
async function landing(page: Page, publicOrigin: string): Promise<Pick<Landing, 'who' | 'refused'>> {
  if (new URL(page.url()).origin !== publicOrigin) return {};
  const role = await text(page, '#who-role');
  if (role !== undefined)
    return {
      who: {
        role,
        email: (await text(page, '#who-email')) ?? '',
        method: (await text(page, '#who-method')) ?? '',
        org: (await text(page, '#who-org')) ?? '',
      },
    };
  const reason = await text(page, '#reason');
  if (reason !== undefined) return { refused: { title: (await text(page, 'h1')) ?? '', reason } };
  return {};
}

/**
 * Sign in through the provider's button on /auth/login. `button` is the path the
 * button links to (/auth/oidc/<name>/login or /auth/saml/login).
 */
export async function browserSignIn(
  ctx: ScenarioContext,
  o: { button: string; username: string; password: string; label: string },
): Promise<Landing> {
  const publicOrigin = new URL(ctx.target.publicUrl).origin;
  const launched = await launchChromium(ctx.target.browserPath!, {
    acceptPrivateCa: ctx.target.caBundle !== undefined,
  });
  const abort = () => void launched.close();
  ctx.signal.addEventListener('abort', abort, { once: true });
  const steps: string[] = [];
  const out: Landing = { url: '', steps };
  let lastStatus: number | undefined;
  try {
    const page = await launched.context.newPage();
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) steps.push(strip(f.url()));
    });
    page.on('response', (r) => {
      if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) lastStatus = r.status();
    });
    try {
      ctx.note(`${o.label}: sign-in page`);
      await page.goto(ctx.target.url('/auth/login'), { waitUntil: 'load', timeout: 15_000 });
      const link = page.locator(`a[href*="${o.button}"]`);
      if (!(await link.count())) throw new Error(`the sign-in page has no button linking to ${o.button}`);
      await link.first().click();
      // the IdP's form, or (misconfiguration) the control plane's refusal page
      await page.waitForSelector('#username, #reason', { timeout: 15_000 });
      if (await page.locator('#username').count()) {
        ctx.note(`${o.label}: signing in at the IdP as ${o.username}`);
        await page.fill('#username', o.username);
        await page.fill('#password', o.password);
        await page.click('#idp-submit');
        // back at the control plane: whoami or the refusal page (polled: the browser goes
        // through several redirects, and a navigation may interrupt one look at the page)
        const deadline = Date.now() + 20_000;
        let seen = '';
        for (;;) {
          const here = page.url();
          const found =
            here.startsWith(publicOrigin) &&
            (await page
              .locator('#who-role, #reason')
              .count()
              .catch(() => 0)) > 0;
          if (found) break;
          seen = strip(here);
          if (Date.now() > deadline || ctx.signal.aborted)
            throw new Error(`did not come back to the control plane within 20 s (last at ${seen})`);
          await page.waitForTimeout(150).catch(() => undefined);
        }
        await page.waitForLoadState('load', { timeout: 5_000 }).catch(() => undefined);
      }
      Object.assign(out, await landing(page, publicOrigin));
      if (out.refused) out.refused.status = lastStatus;
      if (out.who) {
        const me = await launched.context.request.get(ctx.target.url('/api/v1/me'), {
          headers: { Accept: 'application/json' },
          timeout: 10_000,
        });
        const body = (await me.json().catch(() => undefined)) as
          { role?: string; user?: { email?: string } | null; organization?: { name?: string } } | undefined;
        out.me = {
          status: me.status(),
          role: body?.role,
          email: body?.user?.email,
          organization: body?.organization?.name,
        };
      }
    } catch (err) {
      out.error = (err as Error).message.split('\n')[0];
      Object.assign(out, await landing(page, publicOrigin).catch(() => ({})));
    }
    out.url = strip(page.url());
    out.screenshot = await ctx.evidence(
      `${o.label} landing`,
      await page.screenshot({ fullPage: true }),
      'screenshot',
      'png',
    );
    await ctx.evidence(
      `${o.label} steps`,
      `browser sign-in through ${o.button} as ${o.username}\n` +
        steps.map((s, i) => `${i + 1}. ${s}`).join('\n') +
        `\nlanded: ${out.url}${out.who ? ` (role ${out.who.role})` : ''}${out.refused ? ` (refused: ${out.refused.reason})` : ''}${out.error ? `\nerror: ${out.error}` : ''}\n`,
      'text',
    );
    return out;
  } finally {
    ctx.signal.removeEventListener('abort', abort);
    await launched.close();
  }
}
