// Security headers on what users and clients receive from the public URL (seed CP-02
// §4.5 with seed-review row 13: modern headers, no X-XSS-Protection).
import type { HttpResult } from '../../harness/src/drivers/http.js';
import { header } from '../../harness/src/drivers/http.js';
import type { Scenario, ScenarioContext } from '../../harness/src/runner/scenario.js';
import { TROUBLESHOOTING } from '../common/remediation.js';

export const MIN_HSTS_SECONDS = 15_552_000; // 180 days

export function hstsMaxAge(value: string | undefined): number | undefined {
  const m = /max-age\s*=\s*"?(\d+)"?/i.exec(value ?? '');
  return m ? Number(m[1]) : undefined;
}

const GOOD_REFERRER = new Set([
  'no-referrer',
  'same-origin',
  'strict-origin',
  'strict-origin-when-cross-origin',
  'no-referrer-when-downgrade',
  'origin',
  'origin-when-cross-origin',
]);

function checkResponse(ctx: ScenarioContext, what: string, res: HttpResult): void {
  const h = (n: string) => header(res.headers, n);
  const fix = TROUBLESHOOTING.proxyHeaders;
  const id = what
    .replace(/[^a-z0-9]+/gi, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();
  if (ctx.target.https) {
    const age = hstsMaxAge(h('strict-transport-security'));
    ctx.check({
      id: `${id}-hsts`,
      title: `${what}: Strict-Transport-Security with max-age of at least 180 days`,
      pass: age !== undefined && age >= MIN_HSTS_SECONDS,
      expected: `max-age >= ${MIN_HSTS_SECONDS}`,
      actual: h('strict-transport-security') ?? 'absent',
      remediation: fix,
      evidence: [res],
    });
  }
  const csp = h('content-security-policy');
  ctx.check({
    id: `${id}-csp`,
    title: `${what}: Content-Security-Policy with frame-ancestors`,
    pass: Boolean(csp && /frame-ancestors\s+('none'|'self')/.test(csp) && /default-src/.test(csp)),
    expected: "default-src ...; frame-ancestors 'none' (or 'self')",
    actual: csp ?? 'absent',
    remediation: fix,
    evidence: [res],
  });
  ctx.check({
    id: `${id}-nosniff`,
    title: `${what}: X-Content-Type-Options nosniff (once)`,
    pass: h('x-content-type-options') === 'nosniff',
    expected: 'nosniff',
    actual: h('x-content-type-options') ?? 'absent',
    remediation: fix,
    evidence: [res],
  });
  const ref = h('referrer-policy');
  const refs = (ref ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  ctx.check({
    id: `${id}-referrer`,
    title: `${what}: Referrer-Policy set to a privacy-preserving value`,
    pass: refs.length > 0 && refs.every((r) => GOOD_REFERRER.has(r)),
    expected: 'e.g. strict-origin-when-cross-origin',
    actual: ref ?? 'absent',
    remediation: fix,
    evidence: [res],
  });
  const xss = h('x-xss-protection');
  ctx.check({
    id: `${id}-no-xss-protection`,
    title: `${what}: no deprecated X-XSS-Protection (or "0")`,
    pass: xss === undefined || xss.trim() === '0',
    expected: 'absent',
    actual: xss ?? 'absent',
    remediation:
      'Remove add_header X-XSS-Protection (seed-review row 13): the auditor it drove is gone from browsers and could introduce issues in old ones; Content-Security-Policy replaces it.',
    evidence: [res],
  });
  const server = h('server');
  const powered = h('x-powered-by');
  ctx.check({
    id: `${id}-no-version-leak`,
    title: `${what}: no server or framework version disclosed`,
    pass: !powered && !/\d+\.\d+/.test(server ?? ''),
    expected: 'no X-Powered-By; Server without a version',
    actual: `Server: ${server ?? 'absent'}; X-Powered-By: ${powered ?? 'absent'}`,
    remediation:
      'Set server_tokens off in nginx and hide X-Powered-By (proxy_hide_header X-Powered-By; app.disable("x-powered-by")).',
    evidence: [res],
  });
}

export const securityHeaders: Scenario = {
  id: 'cp-02.security-headers',
  title:
    'Security headers on the public URL (HSTS, CSP frame-ancestors, nosniff, Referrer-Policy; no X-XSS-Protection)',
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    checkResponse(ctx, 'dashboard page', await ctx.http({ url: '/', headers: { Accept: 'text/html' } }));
    checkResponse(
      ctx,
      'API answer',
      await ctx.http({ url: '/api/v1/health', headers: { Accept: 'application/json' } }),
    );
    checkResponse(
      ctx,
      'error answer',
      await ctx.http({ url: '/api/v1/aigos-harness-no-such-route', headers: { Accept: 'application/json' } }),
    );
  },
};
