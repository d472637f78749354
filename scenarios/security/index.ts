// Suite security: rate limits that a forged X-Forwarded-For cannot escape (seed-review
// row 15), a sample of the role matrix, the audit chain (verify, tamper refused) and
// brute-force lockout. Scenarios whose interfaces land with later issues probe for them
// and are skipped until they are served.
import { randomInt } from 'node:crypto';
import { httpProbe } from '../../harness/src/drivers/http.js';
import type { Scenario, ScenarioContext, Suite } from '../../harness/src/runner/scenario.js';
import { requires, serves } from '../common/features.js';
import { adminHeaders, LOGIN_PATH } from '../cp-02/accounts.js';

const RATE_PROBE_PATH = '/auth/aigos-harness-rate-probe';
export const BURST = 30;

function forgedAddress(): string {
  return `203.0.113.${randomInt(1, 255)}`; // TEST-NET-3: never a real client
}

export const rateLimitForgedXff: Scenario = {
  id: 'security.rate-limit-forged-xff',
  title: 'The /auth/ rate limit holds when every request forges a different X-Forwarded-For',
  dependsOn: ['cp-02.health'],
  timeoutMs: 30_000,
  async run(ctx) {
    const url = ctx.target.url(RATE_PROBE_PATH);
    ctx.note(`${BURST} requests`);
    const results = await Promise.all(
      Array.from({ length: BURST }, (_, i) => {
        const xff = forgedAddress();
        return httpProbe({
          url,
          ca: ctx.target.caBundle,
          signal: ctx.signal,
          headers: {
            Accept: 'application/json',
            'X-Forwarded-For': xff,
            'X-Real-IP': xff,
            'X-Request-Id': `aigos-harness-rate-${i}`,
          },
        }).then((r) => ({ xff, status: r.status, error: r.error }));
      }),
    );
    const limited = results.filter((r) => r.status === 429).length;
    const errors = results.filter((r) => r.status === 0).length;
    const ev = await ctx.evidence(
      'burst',
      `${BURST} concurrent GET ${url}, each with its own forged X-Forwarded-For / X-Real-IP\n` +
        results.map((r, i) => `#${i + 1} X-Forwarded-For: ${r.xff} -> ${r.error ?? r.status}`).join('\n') +
        '\n',
      'http-summary',
    );
    ctx.metric('burst', { requests: BURST, limited, errors });
    ctx.check({
      id: 'limited-despite-forged-xff',
      title: `a burst of ${BURST} requests to /auth/ is rate limited although each claims another client address`,
      pass: limited > 0,
      expected: 'some answers 429 (nginx: zone auth 10r/s burst 5)',
      actual: `${limited} x 429 of ${BURST}${errors ? `, ${errors} network errors` : ''}`,
      remediation:
        'Rate limits must key on the connecting address, with real_ip taken from X-Forwarded-For only when the connection comes from a trusted proxy (nginx: set_real_ip_from <your load balancer>; never 0.0.0.0/0), and /auth/ must have its own limit (limit_req zone=auth burst=5). See seed-review row 15.',
      evidence: [ev],
    });
    // let the auth zone drain so later scenarios are not limited by this one
    await new Promise((r) => setTimeout(r, 1_200));
  },
};

/** The operator CLI's audit commands, when it has them. */
async function auditCli(ctx: ScenarioContext): Promise<boolean> {
  if (!ctx.target.has('operator-exec')) return false;
  const help = await ctx.target.exec(['aigos-admin', '--help']);
  return /\baudit[: ]verify\b/.test(help.stdout + help.stderr);
}

export const auditChainVerify: Scenario = {
  id: 'security.audit-chain-verify',
  title: 'The audit trail hash chain verifies',
  dependsOn: ['cp-02.health'],
  needs: ['operator-exec'],
  async run(ctx) {
    if (!(await auditCli(ctx)))
      return ctx.skip(requires('apiCore', 'audit chain verification (aigos-admin audit verify)'));
    const r = await ctx.target.exec(['aigos-admin', 'audit', 'verify']);
    const ev = await ctx.evidence(
      'audit verify',
      `$ aigos-admin audit verify\n${r.stdout}${r.stderr}\n(exit ${r.code})\n`,
      'command-output',
    );
    ctx.check({
      id: 'chain-verifies',
      title: 'aigos-admin audit verify reports an intact chain',
      pass: r.code === 0,
      expected: 'exit 0',
      actual: `exit ${r.code}: ${(r.stdout + r.stderr).trim().split('\n').slice(-1)[0] ?? ''}`,
      remediation:
        'The audit chain is broken: a row was changed or removed outside the application. Restore from backup and investigate who had database access.',
      evidence: [ev],
    });
  },
};

export const auditTamperRefused: Scenario = {
  id: 'security.audit-tamper-refused',
  title: 'Tampering with an audit row is refused by the database or detected by verification',
  dependsOn: ['security.audit-chain-verify'],
  needs: ['operator-exec', 'database'],
  async run(ctx) {
    if (!(await auditCli(ctx)))
      return ctx.skip(requires('apiCore', 'the audit trail (aigos-admin audit verify)'));
    return ctx.skip(
      requires(
        'apiCore',
        'a documented audit table to tamper with (the scenario lands with the audit trail)',
      ),
    );
  },
};

export const roleMatrix: Scenario = {
  id: 'security.role-matrix',
  title: 'Role matrix sample: a viewer cannot write, an editor cannot administer',
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    if (!(await serves(ctx, 'GET', '/api/v1/me')))
      return ctx.skip(requires('apiCore', 'GET /api/v1/me and role-scoped API keys'));
    await adminHeaders(ctx);
    return ctx.skip(
      requires('apiCore', 'creating viewer and editor credentials through a documented interface'),
    );
  },
};

export const bruteForceLockout: Scenario = {
  id: 'security.brute-force-lockout',
  title: 'Repeated wrong passwords lock the account (and the right one is then refused too)',
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    if (!(await serves(ctx, 'POST', LOGIN_PATH)))
      return ctx.skip(requires('auth', 'local login with lockout (POST /auth/login)'));
    return ctx.skip(
      requires('auth', 'a documented lockout policy (attempts, window) and a throwaway user to lock'),
    );
  },
};

export const suite: Suite = {
  id: 'security',
  title: 'Security: rate limits, roles, audit trail, brute force',
  scenarios: [rateLimitForgedXff, roleMatrix, auditChainVerify, auditTamperRefused, bruteForceLockout],
};
