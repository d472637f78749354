// Checklist "VERIFICATION: Web UI accessible via browser" and CP-02.1 "Dashboard
// accessible via HTTPS": Debian's Chromium opens the public URL, the page renders, the
// dashboard reaches the API through the same origin, and nothing breaks its CSP.
import { launchChromium } from '../../harness/src/drivers/browser.js';
import type { Scenario } from '../../harness/src/runner/scenario.js';
import { TROUBLESHOOTING } from '../common/remediation.js';

export const webUi: Scenario = {
  id: 'cp-02.web-ui',
  title: 'Web UI loads in Chromium over the public URL',
  needs: ['browser'],
  dependsOn: ['cp-02.health'],
  timeoutMs: 60_000,
  async run(ctx) {
    ctx.note('launching Chromium');
    const launched = await launchChromium(ctx.target.browserPath!, {
      acceptPrivateCa: ctx.target.caBundle !== undefined,
    });
    const abort = () => void launched.close();
    ctx.signal.addEventListener('abort', abort, { once: true });
    try {
      const page = await launched.context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('requestfailed', (r) =>
        problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`),
      );
      ctx.note(`opening ${ctx.target.publicUrl}`);
      const started = Date.now();
      const response = await page
        .goto(ctx.target.url('/'), { waitUntil: 'load', timeout: 20_000 })
        .catch((err: Error) => err);
      const loadMs = Date.now() - started;
      ctx.metric('pageLoadMs', loadMs);
      const status = response instanceof Error ? response.message : (response?.status() ?? 0);
      ctx.check({
        id: 'page-loads',
        title: 'the dashboard page loads (HTTP 200)',
        pass: status === 200,
        expected: 200,
        actual: status,
        remediation:
          status === 502
            ? TROUBLESHOOTING.badGateway
            : 'Open the public URL in a browser and check the proxy and web service logs.',
      });
      const title = await page.title().catch(() => '');
      ctx.check({
        id: 'title',
        title: 'the page is the AIGOS dashboard (title)',
        pass: /AIGOS/i.test(title),
        expected: 'a title containing AIGOS',
        actual: title || '(none)',
        remediation:
          'The public URL serves something else than the dashboard: check the proxy location / and the web service.',
      });
      // the dashboard asks the API for its status through the same origin; poll the
      // element (a client-side route change may re-render it) for up to 10 s
      let apiStatus: string | undefined;
      let lastSeen = '';
      for (const deadline = Date.now() + 10_000; Date.now() < deadline && !ctx.signal.aborted;) {
        const t = await page
          .locator('#api-status')
          .first()
          .textContent({ timeout: 1_000 })
          .catch((err: Error) => `(${err.message.split('\n')[0]})`);
        lastSeen = (t ?? '').trim();
        if (lastSeen && !/checking/i.test(lastSeen) && !lastSeen.startsWith('(')) {
          apiStatus = lastSeen;
          break;
        }
        await page.waitForTimeout(200).catch(() => undefined);
      }
      const shot = await ctx.evidence(
        'dashboard',
        await page.screenshot({ fullPage: true }),
        'screenshot',
        'png',
      );
      ctx.check({
        id: 'api-reachable-from-ui',
        title: 'the dashboard reaches the API from the browser (same origin, through the proxy)',
        pass: apiStatus !== undefined && /^ok\b/.test(apiStatus),
        expected: 'API status: ok',
        actual:
          apiStatus ?? `no status shown within 10 s (last seen: ${lastSeen || 'no #api-status element'})`,
        remediation:
          'The browser cannot reach /api/v1 on the public URL: check the proxy location /api/, CORS_ORIGINS and PUBLIC_URL, and the Content-Security-Policy connect-src.',
        evidence: [shot],
      });
      const slow = loadMs > 5_000;
      ctx.check({
        id: 'load-time',
        title: 'the page loads in under 5 s',
        pass: !slow,
        expected: '< 5000 ms',
        actual: `${loadMs} ms`,
        remediation: TROUBLESHOOTING.slow,
      });
      ctx.check({
        id: 'no-errors',
        title: 'no console errors, CSP violations or failed requests',
        pass: problems.length === 0,
        expected: 'none',
        actual: problems.length ? problems.slice(0, 10) : 'none',
        remediation:
          'A resource or script is blocked or failing: a CSP violation names the directive to fix; a failed request names the route.',
        evidence: [shot],
      });
    } finally {
      ctx.signal.removeEventListener('abort', abort);
      await launched.close();
    }
  },
};
