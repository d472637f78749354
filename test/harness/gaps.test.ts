// Deliberate setup gaps (one deployment for this file, behind nginx, with the test IdPs):
// `up --seed-default-admin-password --without-default-packs --wrong-oidc-client-secret`.
// Each gap must make the right scenario fail with a useful remediation, and only that one:
// (b) the default admin password unchanged -> cp-02.default-password;
// (c) the policy packs not imported -> cp-02.default-packs (passes once they are imported);
// (e) a wrong OIDC client secret for the Entra ID-like IdP -> sso.entra-login (its
//     overage scenario is skipped as its dependent; the other providers still sign in).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../../harness/src/runner/model.js';
import { suite as cp02 } from '../../scenarios/cp-02/index.js';
import { suite as sso } from '../../scenarios/sso/index.js';
import { failedChecks, type LocalUnderTest, notPassed, runScenarios, upLocal } from './support.js';

let local: LocalUnderTest;
let results: Map<string, ScenarioResult>;

beforeAll(async () => {
  local = await upLocal([
    '--test-idps',
    '--seed-default-admin-password',
    '--without-default-packs',
    '--wrong-oidc-client-secret',
  ]);
  results = await runScenarios(local.target, local.tmp, [cp02, sso]);
}, 240_000);

afterAll(async () => {
  await local?.destroy();
}, 90_000);

describe('a deployment with deliberate setup gaps', () => {
  it('fails exactly the scenarios of its three gaps; every other cp-02 and sso scenario passes', () => {
    expect(
      notPassed(results).map((l) => l.split(':')[0]),
      notPassed(results).join('\n'),
    ).toEqual([
      'cp-02.default-password failed',
      'cp-02.default-packs failed',
      'sso.entra-login failed',
      'sso.entra-overage skipped',
    ]);
    expect(results.get('sso.entra-overage')!.skipReason).toBe('depends on sso.entra-login, which failed');
    // the admin's password (the seed default, as endpoints.json's password file says) still signs in
    expect(results.get('cp-02.admin-login')!.status).toBe('passed');
  });

  it('(b) the default admin password unchanged: cp-02.default-password fails, telling to change it', () => {
    const [check] = failedChecks(results.get('cp-02.default-password')!);
    expect(check!.id).toBe('default-refused-admin-example-com');
    expect(check!.expected).toBe('401 (INVALID_CREDENTIALS)');
    expect(check!.actual).toMatch(/^200: signed in/);
    expect(check!.remediation).toMatch(/^Change the admin password; the seed default still works/);
    expect(check!.evidence!.some((e) => e.kind === 'http-transcript')).toBe(true);
  });

  it('(c) policy packs not imported: cp-02.default-packs fails with the import command; after importing it passes', async () => {
    const missing = failedChecks(results.get('cp-02.default-packs')!);
    expect(missing.map((c) => [c.id, c.actual])).toEqual([
      ['pack-eu-ai-act', 'not listed'],
      ['pack-nist-ai-rmf', 'not listed'],
      ['pack-iso-42001', 'not listed'],
    ]);
    for (const c of missing)
      expect(c.remediation).toMatch(
        /aigos-admin policy import --source built-in --policies eu-ai-act,nist-ai-rmf,iso-42001/,
      );
    const imported = await local.deployment.exec([
      'aigos-admin',
      'policy',
      'import',
      '--source',
      'built-in',
      '--policies',
      'eu-ai-act,nist-ai-rmf,iso-42001',
    ]);
    expect(imported.code, imported.stderr).toBe(0);
    const after = (await runScenarios(local.target, local.tmp, [cp02], ['cp-02.default-packs'])).get(
      'cp-02.default-packs',
    )!;
    expect(after.status, JSON.stringify(after.checks)).toBe('passed');
    expect(after.checks.map((c) => c.actual)).toEqual(['listed, active', 'listed, active', 'listed, active']);
  }, 60_000);

  it('(e) a wrong OIDC client secret: sso.entra-login fails at the code exchange with the client-secret remediation', () => {
    const entra = results.get('sso.entra-login')!;
    const [check] = failedChecks(entra);
    expect(check!.id).toBe('signed-in');
    expect(String(check!.actual)).toMatch(/^401 Sign-in refused: /);
    expect(check!.remediation).toMatch(/invalid_client/);
    expect(check!.remediation).toMatch(/client secret/);
    expect(check!.remediation).toMatch(
      /AUTH_CONFIG_FILE \(clientSecret \/ clientSecretFile\) or OAUTH_CLIENT_SECRET/,
    );
    expect(check!.evidence!.map((e) => e.kind).sort()).toEqual(['log', 'screenshot']);
    for (const id of ['sso.okta-login', 'sso.google-login', 'sso.saml-login', 'sso.issuer-mismatch'])
      expect(results.get(id)!.status, notPassed(results).join('\n')).toBe('passed');
  });
});
