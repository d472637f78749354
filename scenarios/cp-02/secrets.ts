// No secret in any response: every HTTP answer the run received (and a few more from
// routes that commonly leak: errors, readiness, metrics, the CA's info) is scanned for
// the deployment's secret values when the target knows them, and for credential
// patterns (private keys, passwords in URLs or JSON) everywhere. Findings name where,
// never the value. With logs, the service logs are scanned for the secret values too.
import type { HttpExchange } from '../../harness/src/drivers/http.js';
import { Redactor } from '../../harness/src/runner/redact.js';
import type { Scenario } from '../../harness/src/runner/scenario.js';

export const CREDENTIAL_PATTERNS: { name: string; re: RegExp }[] = [
  { name: 'PEM private key', re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  {
    name: 'password in a connection URL',
    re: /\b(?:postgres(?:ql)?|redis|rediss|mysql|mongodb|amqp|s3):\/\/[^\s:/@"']*:[^\s@"'/]+@/i,
  },
  {
    name: 'password or secret field with a value',
    re: /"(?:password|passwd|secret|client_?secret|private_?key|secret_?key|session_?secret|jwt_?secret)"\s*:\s*"[^"*[\]]{4,}"/i,
  },
  { name: 'AWS-style access key', re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
];

function responseText(x: HttpExchange): string {
  const headers = Object.entries(x.responseHeaders)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : (v ?? '')}`)
    .join('\n');
  return `${headers}\n\n${x.responseBody.toString('utf8')}`;
}

const PROBES: { method: string; path: string; body?: string; headers?: Record<string, string> }[] = [
  { method: 'GET', path: '/health/ready' },
  { method: 'GET', path: '/api/v1/aigos-harness-no-such-route' },
  {
    method: 'POST',
    path: '/api/v1/health',
    body: '{"broken json',
    headers: { 'Content-Type': 'application/json' },
  },
  { method: 'GET', path: '/ca/api/v1/info' },
  { method: 'GET', path: '/graphql?query=%7B__schema%7Btypes%7Bname%7D%7D%7D' },
  { method: 'GET', path: '/.env' },
  { method: 'GET', path: '/api/v1/../../.env' },
];

export const noSecrets: Scenario = {
  id: 'cp-02.no-secrets',
  title: 'No secret in any response (and none in the service logs)',
  timeoutMs: 30_000,
  async run(ctx) {
    for (const p of PROBES)
      await ctx.http({
        method: p.method,
        url: p.path,
        body: p.body,
        headers: { Accept: 'application/json', ...p.headers },
      });
    for (const [service, base] of Object.entries(ctx.target.services)) {
      await ctx.http({ url: `${base}/health/ready`, label: `${service} readiness` });
      await ctx.http({
        url: `${base}/metrics`,
        label: `${service} metrics`,
        headers: { Accept: 'text/plain' },
      });
    }
    const exchanges = ctx.exchanges().filter((x) => !x.error);
    const secrets = await ctx.target.secretValues();
    const known = new Redactor(secrets);
    if (ctx.target.admin.password) known.add('admin-password', ctx.target.admin.password);
    if (ctx.target.admin.token) known.add('admin-token', ctx.target.admin.token);

    const valueHits: string[] = [];
    const patternHits: string[] = [];
    for (const x of exchanges) {
      const text = responseText(x);
      for (const name of known.find(text))
        valueHits.push(`${x.method} ${x.url} -> ${x.status}: contains ${name}`);
      for (const p of CREDENTIAL_PATTERNS)
        if (p.re.test(text)) patternHits.push(`${x.method} ${x.url} -> ${x.status}: ${p.name}`);
    }
    ctx.metric('responsesScanned', exchanges.length);
    const hitsEvidence = async (name: string, lines: string[]) =>
      lines.length ? ctx.evidence(name, lines.join('\n') + '\n', 'findings') : undefined;
    if (known.size)
      ctx.check({
        id: 'no-secret-values',
        title: `none of the deployment's ${known.size} secret values appears in the ${exchanges.length} responses of this run`,
        pass: valueHits.length === 0,
        expected: 'no occurrence',
        actual: valueHits.length ? valueHits.slice(0, 20) : 'none',
        remediation:
          'A response carries a secret (see where): never echo configuration, connection strings or credentials in answers, error messages or debug output; rotate the leaked secret.',
        evidence: [await hitsEvidence('secret-value-findings', valueHits)],
      });
    else
      ctx.check({
        id: 'no-secret-values',
        title: "none of the deployment's secret values appears in a response",
        status: 'skipped',
        skipReason: `the ${ctx.target.kind} target does not give the deployment's secret values; credential patterns are checked instead`,
      });
    ctx.check({
      id: 'no-credential-patterns',
      title: `no private key, password-bearing URL or password field in the ${exchanges.length} responses`,
      pass: patternHits.length === 0,
      expected: 'no match',
      actual: patternHits.length ? patternHits.slice(0, 20) : 'none',
      remediation:
        'A response looks like it carries a credential (see where): remove it from the answer; if it is real, rotate it.',
      evidence: [await hitsEvidence('pattern-findings', patternHits)],
    });

    if (ctx.target.has('logs') && known.size) {
      const logHits: string[] = [];
      for (const component of ['gateway', 'api', 'ca', 'web', 'nginx']) {
        const lines = await ctx.target.logTail(component, 100_000);
        for (const name of known.find(lines.join('\n'))) logHits.push(`${component} log: contains ${name}`);
      }
      ctx.check({
        id: 'no-secret-values-in-logs',
        title: 'no secret value in the service logs (gateway, api, ca, web, nginx)',
        pass: logHits.length === 0,
        expected: 'no occurrence',
        actual: logHits.length ? logHits : 'none',
        remediation:
          'A service logs a secret: redact it in the logger (pino redact paths) and rotate the secret.',
        evidence: [await hitsEvidence('log-findings', logHits)],
      });
    }
  },
};
