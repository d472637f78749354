// The operator CLI exactly as the seed writes it (run through `aigos-harness exec`
// against a local deployment), its exit codes (0 ok, 1 failed, 2 usage) and --json
// output; and the aigrc client: config set endpoint, auth login, status.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { harness, ROOT } from '../support/harness.js';
import { call, startApiDeployment, type ApiEnv } from './support.js';

let env: ApiEnv;
let tmp: string;
const AIGRC = join(ROOT, 'dist', 'reference', 'src', 'cli', 'aigrc.js');

/** `aigos-harness exec --target local --state DIR -- <argv>` as an operator types it */
const exec = (...argv: string[]) =>
  harness(['exec', '--target', 'local', '--state', env.dep.stateDir, '--', ...argv], { timeoutMs: 60_000 });

beforeAll(async () => {
  env = await startApiDeployment();
  tmp = await mkdtemp(join(tmpdir(), 'aigos-cli-test-'));
});

afterAll(async () => {
  await env?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('aigos-admin, as the seed uses it', () => {
  it('user create --email --name --role --password', async () => {
    const r = await exec(
      'npm',
      'run',
      'cli',
      '--',
      'user',
      'create',
      '--email',
      'admin@customer.com',
      '--name',
      'Admin User',
      '--role',
      'admin',
      '--password',
      'Str0ng-Passphrase-42',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('user admin@customer.com created as admin of default');
    expect(r.stderr).toContain('visible in the process list');
    const again = await env.admin(
      'user',
      'create',
      '--email',
      'admin@customer.com',
      '--name',
      'Admin User',
      '--role',
      'admin',
      '--password',
      'Str0ng-Passphrase-42',
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('org create --name --slug --plan, then org add-domain --org --domain --verified', async () => {
    const created = await exec(
      'aigos-admin',
      'org',
      'create',
      '--name',
      'Customer Corp',
      '--slug',
      'customer-corp',
      '--plan',
      'enterprise',
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/organization customer-corp created/);
    const domain = await exec(
      'aigos-admin',
      'org',
      'add-domain',
      '--org',
      'customer-corp',
      '--domain',
      'customer.com',
      '--verified',
      'true',
    );
    expect(domain.code, domain.stderr).toBe(0);
    expect(domain.stdout).toContain('customer.com added to customer-corp (verified)');
    const shown = await env.admin('org', 'show', '--org', 'customer-corp', '--json');
    expect(JSON.parse(shown.stdout)).toMatchObject({
      slug: 'customer-corp',
      plan: 'enterprise',
      domains: [{ domain: 'customer.com', verified: true }],
    });
    // a verified domain belongs to one organization only
    await env.admin('org', 'create', '--name', 'Other', '--slug', 'other-corp', '--plan', 'team');
    const taken = await env.admin(
      'org',
      'add-domain',
      '--org',
      'other-corp',
      '--domain',
      'customer.com',
      '--verified',
      'true',
    );
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/verified for another organization/);
    const dup = await env.admin(
      'org',
      'create',
      '--name',
      'Customer Corp',
      '--slug',
      'customer-corp',
      '--plan',
      'enterprise',
      '--json',
    );
    expect(dup.code).toBe(1);
    expect(JSON.parse(dup.stdout).error.code).toBe('CONFLICT');
  });

  it('policy import --source built-in --policies eu-ai-act,nist-ai-rmf,iso-42001', async () => {
    const r = await exec(
      'npm',
      'run',
      'cli',
      '--',
      'policy',
      'import',
      '--source',
      'built-in',
      '--policies',
      'eu-ai-act,nist-ai-rmf,iso-42001',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('eu-ai-act 1.0.0 (14 controls): imported');
    expect(r.stdout).toMatch(/nist-ai-rmf 1\.0\.0 \(\d+ controls\): imported/);
    expect(r.stdout).toMatch(/iso-42001 1\.0\.0 \(\d+ controls\): imported/);
    const list = await env.admin('policy', 'list', '--json');
    expect(JSON.parse(list.stdout).packs.filter((p: { active: boolean }) => p.active)).toHaveLength(3);
    const unknown = await env.admin(
      'policy',
      'import',
      '--source',
      'built-in',
      '--policies',
      'eu-ai-act,gdpr',
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--policies: must name built-in packs/);
  });

  it('policy import --file PATH, reporting every problem of a bad file with its path', async () => {
    const good = join(tmp, 'custom-policies.yaml');
    await writeFile(
      good,
      await readFile(join(ROOT, 'fixtures', 'policy-packs', 'examples', 'custom-policies.yaml'), 'utf8'),
    );
    const r = await exec('npm', 'run', 'cli', '--', 'policy', 'import', '--file', good);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/: imported/);
    const bad = join(tmp, 'bad.yaml');
    await writeFile(
      bad,
      stringify({
        apiVersion: 'aigos.dev/v1',
        kind: 'PolicyPack',
        id: 'Bad Id',
        version: 'one',
        name: 'x',
        framework: { name: 'x', reference: 'y' },
        controls: [
          {
            id: 'c1',
            ref: 'R1',
            title: 't',
            requirement: 'A requirement stated in enough words.',
            check: { field: 'nope', present: true },
          },
        ],
      }),
    );
    const failed = await env.admin('policy', 'import', '--file', bad);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('id: pack ids are');
    expect(failed.stderr).toContain('version: must be a semantic version');
    expect(failed.stderr).toContain('controls[0].check.field: unknown asset card field');
    const missing = await env.admin('policy', 'import', '--file', join(tmp, 'absent.yaml'));
    expect(missing.code).toBe(1);
    const both = await env.admin('policy', 'import', '--source', 'built-in', '--file', good);
    expect(both.code).toBe(2);
  });

  it('apikey create --org SLUG --scopes events:write,events:read,assets:read prints the key once', async () => {
    const r = await exec(
      'aigos-admin',
      'apikey',
      'create',
      '--org',
      'default',
      '--scopes',
      'events:write,events:read,assets:read',
    );
    expect(r.code, r.stderr).toBe(0);
    const key = r.stdout.trim();
    expect(key).toMatch(/^aigos_[a-z0-9]{12}_[A-Za-z0-9]{43}$/);
    expect(r.stderr).toMatch(/shown only once/);
    const me = await call(env, 'GET', '/api/v1/me', { key });
    expect(me.body).toMatchObject({ role: 'editor', scopes: ['assets:read', 'events:read', 'events:write'] });
    const list = await env.admin('apikey', 'list', '--org', 'default', '--json');
    expect(list.stdout).not.toContain(key.split('_')[2]);
    const badScope = await env.admin(
      'apikey',
      'create',
      '--org',
      'default',
      '--scopes',
      'events:write,everything',
    );
    expect(badScope.code).toBe(2);
    const noOrg = await env.admin('apikey', 'create', '--org', 'nowhere', '--scopes', 'assets:read');
    expect(noOrg.code).toBe(1);
    expect(noOrg.stderr).toMatch(/no organization nowhere/);
  });

  it('db:migrate, db:seed and healthcheck', async () => {
    const migrate = await exec('npm', 'run', 'db:migrate');
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout).toMatch(/migrations are current/);
    const seed = await exec('npm', 'run', 'db:seed');
    expect(seed.code, seed.stderr).toBe(0);
    const health = await exec('npm', 'run', 'healthcheck', '--', '--json');
    expect(health.code).toBe(0);
    expect(JSON.parse(health.stdout).status).toBe('ok');
  });

  it('usage errors exit 2, failures 1, help 0', async () => {
    expect((await env.admin('user', 'create', '--email', 'x@y.z')).code).toBe(2); // missing options
    expect(
      (
        await env.admin(
          'user',
          'create',
          '--email',
          'x',
          '--name',
          'n',
          '--role',
          'boss',
          '--password',
          'short',
        )
      ).code,
    ).toBe(2);
    expect((await env.admin('org', 'create', '--name', 'X', '--slug', 'BAD SLUG')).code).toBe(2);
    expect(
      (await env.admin('org', 'add-domain', '--org', 'default', '--domain', 'a.com', '--verified', 'maybe'))
        .code,
    ).toBe(2);
    expect((await env.admin('org', 'frobnicate')).code).toBe(2);
    expect((await env.admin('org', 'add-domain', '--org', 'absent', '--domain', 'a.com')).code).toBe(1);
    expect((await env.admin('apikey', '--help')).code).toBe(0);
    const json = await env.admin('user', 'create', '--email', 'x', '--name', 'n', '--role', 'boss', '--json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error.code).toBe('USAGE');
  });
});

describe('aigrc client', () => {
  const aigrc = (configDir: string, args: string[], input?: string) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      import('node:child_process').then(({ spawn }) => {
        const child = spawn(process.execPath, [AIGRC, ...args], {
          env: { PATH: process.env.PATH, AIGRC_CONFIG_DIR: configDir },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c));
        child.stderr.on('data', (c: Buffer) => (stderr += c));
        child.once('error', reject);
        child.once('close', (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(input ?? '');
      });
    });

  it('config set endpoint, auth login with an API key, status showing organization, user and role', async () => {
    const dir = join(tmp, 'aigrc');
    const noEndpoint = await aigrc(dir, ['status']);
    expect(noEndpoint.code).toBe(2);
    expect(noEndpoint.stderr).toMatch(/aigrc config set endpoint/);
    const set = await aigrc(dir, ['config', 'set', 'endpoint', env.gateway]);
    expect(set.code, set.stderr).toBe(0);
    const notLogged = await aigrc(dir, ['status']);
    expect(notLogged.code).toBe(1);
    expect(notLogged.stdout).toMatch(/^Status: Not connected/m);

    // a key acting for the admin user created by the operator
    const user = await env.admin(
      'user',
      'create',
      '--email',
      'ops@customer.com',
      '--name',
      'Ops',
      '--role',
      'admin',
      '--password',
      'Another-Str0ng-Pass',
    );
    expect(user.code, user.stderr).toBe(0);
    const k = await env.admin(
      'apikey',
      'create',
      '--org',
      'default',
      '--role',
      'admin',
      '--scopes',
      '*',
      '--user',
      'ops@customer.com',
      '--name',
      'laptop',
    );
    const key = k.stdout.trim();
    const bad = await aigrc(dir, ['auth', 'login'], 'aigos_aaaaaaaaaaaa_' + 'B'.repeat(43));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/login failed: invalid API key/);
    const login = await aigrc(dir, ['auth', 'login'], `${key}\n`);
    expect(login.code, login.stderr).toBe(0);
    expect((await stat(join(dir, 'credentials.json'))).mode & 0o777).toBe(0o600);
    const status = await aigrc(dir, ['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toBe(
      `Control Plane: ${env.gateway}\nStatus: Connected\nOrganization: Default Organization\nUser: ops@customer.com\nRole: admin\n`,
    );
    const json = await aigrc(dir, ['status', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: 'connected',
      role: 'admin',
      user: { email: 'ops@customer.com' },
    });
    // the key follows its user: once demoted to viewer, the key acts as a viewer
    const users = await call(env, 'GET', '/api/v1/users?limit=200', { key: env.adminKey });
    const ops = users.body.items.find((u: { email: string }) => u.email === 'ops@customer.com');
    const demoted = await call(env, 'PATCH', `/api/v1/users/${ops.id}`, {
      key: env.adminKey,
      body: { role: 'viewer' },
    });
    expect(demoted.status).toBe(200);
    expect((await aigrc(dir, ['status'])).stdout).toMatch(/^Role: viewer$/m);
    const unreachable = await aigrc(dir, ['--endpoint', 'http://127.0.0.1:1', 'status']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout).toMatch(/Status: Not connected \(cannot reach/);
    expect((await aigrc(dir, ['config', 'set', 'endpoint', 'not a url'])).code).toBe(2);
    expect((await aigrc(dir, ['bogus'])).code).toBe(2);
  });
});
