// The suites against a real, healthy local deployment behind the repository's nginx with
// the test IdPs (one deployment for this file): every scenario of cp-02, api-contract,
// security, sso and ca passes — none skipped; the same deployment judged as a url target
// skips exactly what a url target cannot give and still runs the aigrc client. Then
// broken deployments make the right scenario fail with a useful remediation:
// (a) Redis stopped, the gateway stopped behind the proxy (502), and (d) an audit row
// tampered with as the PostgreSQL superuser. Each fault is repaired before the next test.
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium } from '../../harness/src/drivers/browser.js';
import type { ScenarioResult } from '../../harness/src/runner/model.js';
import { TargetUnderTest } from '../../harness/src/runner/target-under-test.js';
import { UrlTarget } from '../../harness/src/targets/url/url-target.js';
import { suite as apiContract } from '../../scenarios/api-contract/index.js';
import { suite as ca } from '../../scenarios/ca/index.js';
import { suite as cp02 } from '../../scenarios/cp-02/index.js';
import { suite as security } from '../../scenarios/security/index.js';
import { suite as sso } from '../../scenarios/sso/index.js';
import { pollUntil } from '../support/harness.js';
import { failedChecks, type LocalUnderTest, notPassed, runScenarios, upLocal } from './support.js';

let local: LocalUnderTest;
const run = (suites: Parameters<typeof runScenarios>[2], only?: string[]) =>
  runScenarios(local.target, local.tmp, suites, only);

beforeAll(async () => {
  local = await upLocal(['--test-idps']);
}, 120_000);

afterAll(async () => {
  await local?.destroy();
}, 90_000);

describe('a healthy local deployment behind nginx with the test IdPs', () => {
  it('passes every scenario of cp-02, api-contract, security, sso and ca; none is skipped', async () => {
    expect(findChromium(), 'Chromium is needed (apt-get install -y chromium)').toBeDefined();
    expect(local.target.publicUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(Object.keys(local.target.endpoints.idps ?? {}).sort()).toEqual([
      'entra',
      'google',
      'mismatch',
      'okta',
      'saml',
    ]);
    const suites = [cp02, apiContract, security, sso, ca];
    const results = await run(suites);
    expect(notPassed(results)).toEqual([]);
    expect(results.size).toBe(suites.reduce((n, s) => n + s.scenarios.length, 0));
    // the checks behind a few passes, so a pass cannot be empty
    const checks = (id: string) => new Map(results.get(id)!.checks.map((c) => [c.id, c]));
    expect(checks('cp-02.cli-status').get('shows-user')!.actual).toBe('User: admin@example.com');
    expect(checks('cp-02.cli-status').get('shows-role')!.actual).toBe('Role: admin');
    expect(checks('security.role-matrix').get('viewer-post-assets')!.actual).toBe('403 FORBIDDEN');
    expect(checks('security.audit-tamper-refused').get('update-refused')!.actual).toMatch(/^refused: 42501/);
    expect(
      (results.get('security.brute-force-lockout')!.metrics?.lockout as { failuresBeforeLock: number })
        .failuresBeforeLock,
    ).toBe(10);
    expect(
      (results.get('security.rate-limit-forged-xff')!.metrics?.burst as { limited: number }).limited,
    ).toBeGreaterThan(0);
    expect(checks('sso.entra-overage').get('role')!.actual).toBe('viewer');
    expect(checks('sso.saml-login').get('role')!.actual).toBe('admin');
    expect(checks('ca.issue').get('draft-refused')!.actual).toMatch(/^409 ASSET_NOT_REGISTERED/);
    expect(checks('ca.chain').get('openssl-verify')!.status).toBe('passed');
    expect(checks('ca.ocsp').get('good')!.actual).toMatchObject({ verdict: 'good', signature: 'verifies' });
    expect(checks('ca.ocsp').get('ocsp-revoked')!.actual).toEqual({
      verdict: 'revoked',
      reason: 'keyCompromise',
    });
    expect(String(checks('sso.issuer-mismatch').get('clear-refusal')!.actual)).toMatch(
      /502 Sign-in refused: .*different issuer/,
    );
  }, 150_000);

  it('as a url target: runs aigrc with the admin token, skips what needs operator access, the database or the test IdPs', async () => {
    const endpoints = await local.deployment.endpoints();
    const key = await local.deployment.exec([
      'aigos-admin',
      'apikey',
      'create',
      '--org',
      'default',
      '--scopes',
      '*',
      '--role',
      'admin',
      '--user',
      endpoints.admin.email,
      '--expires-in-days',
      '1',
    ]);
    expect(key.code, key.stderr).toBe(0);
    const url = await new UrlTarget({
      url: endpoints.public,
      caFile: endpoints.tls!.caFile,
      adminEmail: endpoints.admin.email,
      adminPasswordFile: endpoints.admin.passwordFile,
    }).up();
    const target = await TargetUnderTest.of(url, {
      admin: {
        token: key.stdout.trim(),
        email: endpoints.admin.email,
        password: (await readFile(endpoints.admin.passwordFile, 'utf8')).trim(),
      },
      browserPath: findChromium(),
    });
    const results = await runScenarios(
      target,
      local.tmp,
      [cp02, security, sso],
      [
        'cp-02.health',
        'cp-02.admin-login',
        'cp-02.organization',
        'cp-02.cli-status',
        'security.role-matrix',
        'security.audit-chain-verify',
        'security.audit-tamper-refused',
        'security.brute-force-lockout',
        'sso.okta-login',
      ],
    );
    const status = (id: string) => results.get(id)!.status;
    for (const id of [
      'cp-02.health',
      'cp-02.admin-login',
      'cp-02.organization',
      'cp-02.cli-status',
      'security.role-matrix',
      'security.audit-chain-verify',
    ])
      expect(status(id), notPassed(results).join('\n')).toBe('passed');
    expect(results.get('security.audit-tamper-refused')!.skipReason).toMatch(
      /needs a database connection, which the url target cannot give/,
    );
    expect(results.get('security.brute-force-lockout')!.skipReason).toMatch(
      /needs operator access .* the url target cannot give/,
    );
    expect(results.get('sso.okta-login')!.skipReason).toMatch(
      /needs the kit's test identity provider "okta" named in endpoints.json idps/,
    );
  }, 90_000);

  it('(a) Redis stopped: cp-02.health fails naming Redis with the remediation, and dependents are skipped', async () => {
    await local.deployment.stopComponent('redis');
    try {
      const results = await run([cp02], ['cp-02.health', 'cp-02.routing']);
      const health = results.get('cp-02.health')!;
      expect(health.status).toBe('failed');
      const ready = failedChecks(health).find((c) => c.id === 'api-ready')!;
      expect(ready.actual).toMatchObject({ status: 503, down: expect.arrayContaining(['redis']) });
      expect(ready.remediation).toMatch(/Redis connection failed/);
      expect(ready.remediation).toMatch(/REDIS_PASSWORD/);
      expect(ready.evidence!.some((e) => e.kind === 'log')).toBe(true);
      expect(
        failedChecks(health).some((c) => c.id === 'public-ready' && /Redis/.test(c.remediation ?? '')),
      ).toBe(true);
      expect(results.get('cp-02.routing')!.skipReason).toBe('depends on cp-02.health, which failed');
    } finally {
      await local.deployment.startComponent('redis');
    }
    await pollUntil(
      'readiness after Redis returns',
      async () => {
        const r = (await run([cp02], ['cp-02.health'])).get('cp-02.health')!;
        if (r.status === 'passed') return true;
        throw new Error(notPassed(new Map([[r.id, r]])).join('; '));
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
  }, 60_000);

  it('the gateway stopped behind nginx: the public URL answers 502 and the remediation is the 502 row', async () => {
    await local.deployment.stopComponent('gateway');
    try {
      const results = await run([cp02], ['cp-02.health']);
      const pub = failedChecks(results.get('cp-02.health')!).find((c) => c.id === 'public-live')!;
      expect(pub.actual).toBe(502);
      expect(pub.remediation).toMatch(/502 Bad Gateway/);
    } finally {
      await local.deployment.startComponent('gateway');
    }
  }, 60_000);

  it('(d) an audit row tampered with as the PostgreSQL superuser: security.audit-chain-verify fails naming the broken link', async () => {
    const endpoints = await local.deployment.endpoints();
    const db = new URL(endpoints.database.url);
    const su = new pg.Client({
      host: db.hostname,
      port: Number(db.port),
      database: db.pathname.slice(1),
      user: 'postgres',
      password: (
        await readFile(local.deployment.state.secretFile('postgres-superuser-password'), 'utf8')
      ).trim(),
    });
    await su.connect();
    // the superuser may do what the application role may not: the triggers are bypassed in replica mode
    const asSuperuser = async (id: string, label: string | null) => {
      await su.query('BEGIN');
      await su.query('SET LOCAL session_replication_role = replica');
      await su.query('UPDATE audit_log SET actor_label = $1 WHERE id = $2', [label, id]);
      await su.query('COMMIT');
    };
    try {
      const row = (
        await su.query<{ id: string; seq: string; actor_label: string | null }>(
          `SELECT a.id, a.seq, a.actor_label FROM audit_log a JOIN organizations o ON o.id = a.organization_id
            WHERE o.slug = 'default' ORDER BY a.seq LIMIT 1 OFFSET 2`,
        )
      ).rows[0]!;
      expect(row).toBeDefined();
      await asSuperuser(row.id, 'someone else');
      let verify: ScenarioResult;
      try {
        verify = (await run([security], ['security.audit-chain-verify'])).get('security.audit-chain-verify')!;
      } finally {
        await asSuperuser(row.id, row.actor_label);
      }
      expect(verify.status).toBe('failed');
      const broken = failedChecks(verify).find((c) => c.id === 'chain-verifies')!;
      const link = (broken.actual as { firstBroken: string }).firstBroken;
      expect(link).toContain(`entry ${row.seq} (id ${row.id})`);
      expect(link).toMatch(/hash-mismatch/);
      expect(broken.remediation).toContain(`broken at entry ${row.seq}`);
      expect(broken.remediation).toMatch(/restore the database from the last backup/);
      expect(broken.remediation).toMatch(/superuser/);
      // repaired: the chain verifies again
      const again = (await run([security], ['security.audit-chain-verify'])).get(
        'security.audit-chain-verify',
      )!;
      expect(again.status, notPassed(new Map([[again.id, again]])).join('\n')).toBe('passed');
    } finally {
      await su.end();
    }
  }, 60_000);
});
