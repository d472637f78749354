// `aigos-harness up|exec|down --target local`, driven through the compiled CLI: the
// redis-server prerequisite, moving off a taken default port, operator commands with
// the deployment's configuration, and a `down` that leaves nothing behind.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPONENTS } from '../harness/src/targets/target.js';
import { DEFAULT_PORTS, type Status } from '../harness/src/targets/local/supervisor.js';
import {
  alive,
  harness,
  holdPort,
  http,
  isPortFree,
  pollUntil,
  processGroupMembers,
  run,
  TestDeployment,
} from './support/harness.js';

/** Every pid a deployment's status lists: the supervisor and each component. */
function pidsOf(status: Status): number[] {
  const pids = [status.supervisorPid];
  for (const c of Object.values(status.components)) if (c?.pid) pids.push(c.pid);
  return pids;
}

async function processesMentioning(text: string): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,args=']);
  return stdout.split('\n').filter((line) => line.includes(text) && !line.includes(' ps -eo'));
}

describe('up --target local without redis-server', () => {
  let tmp: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'aigos-test-noredis-'));
  });

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('exits 2 naming redis-server and how to install it, and leaves nothing running', async () => {
    // a PATH with node and a shell (so the lookup itself works) but no redis-server
    const bin = join(tmp, 'bin');
    const stateDir = join(tmp, 'state');
    await run('mkdir', ['-p', bin]);
    await symlink(process.execPath, join(bin, 'node'));
    await symlink('/bin/sh', join(bin, 'sh'));

    const result = await harness(['up', '--target', 'local', '--state', stateDir], {
      env: { ...process.env, PATH: bin },
      timeoutMs: 30_000,
    });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/redis-server is not installed/);
    expect(result.stderr).toContain('apt-get install -y redis-server');
    expect(result.elapsedMs).toBeLessThan(10_000);
    // no supervisor was started for this state directory
    expect(existsSync(join(stateDir, 'supervisor.pid'))).toBe(false);
    expect(existsSync(join(stateDir, 'status.json'))).toBe(false);
    expect(await processesMentioning(stateDir)).toEqual([]);
  });
});

describe('a local deployment', () => {
  let heldGatewayPort: Awaited<ReturnType<typeof holdPort>> | undefined;
  let dep: TestDeployment;

  beforeAll(async () => {
    // occupy the gateway's default port ourselves when nobody else does already
    if (await isPortFree(DEFAULT_PORTS.gateway)) heldGatewayPort = await holdPort(DEFAULT_PORTS.gateway);
    dep = await TestDeployment.start();
  });

  afterAll(async () => {
    await dep?.destroy();
    await heldGatewayPort?.close();
  });

  describe('on a taken default port', () => {
    it('moves the gateway to another port, says which, and writes it to endpoints.json', async () => {
      const gatewayPort = Number(new URL(dep.endpoints.gateway).port);
      expect(gatewayPort).not.toBe(DEFAULT_PORTS.gateway);
      const notice = `gateway: port ${DEFAULT_PORTS.gateway} is taken; using ${gatewayPort}`;
      expect(dep.up.stderr).toContain(notice);
      expect((await dep.status()).notices).toContain(notice);

      const written = JSON.parse(await readFile(dep.state.endpointsFile, 'utf8')) as typeof dep.endpoints;
      expect(written.gateway).toBe(`http://127.0.0.1:${gatewayPort}`);
      expect(written.public).toBe(`http://127.0.0.1:${gatewayPort}`);

      const health = await http(`${written.gateway}/health`);
      expect(health.status).toBe(200);
      expect(health.json()).toMatchObject({ status: 'ok', service: 'gateway' });
    });
  });

  it('each data service holds DB_POOL_MIN (4) PostgreSQL connections open from the start', async () => {
    const db = new pg.Client({ connectionString: dep.endpoints.database.url });
    await db.connect();
    try {
      const counts = async () =>
        Object.fromEntries(
          (
            await db.query<{ app: string; n: number }>(
              `SELECT application_name AS app, count(*)::int AS n FROM pg_stat_activity
                WHERE application_name IN ('aigos-api', 'aigos-ca', 'aigos-gateway') GROUP BY 1`,
            )
          ).rows.map((r) => [r.app, r.n]),
        );
      const apps = ['aigos-api', 'aigos-ca', 'aigos-gateway'];
      await pollUntil(
        'four connections per data service',
        async () => {
          const n = await counts();
          return apps.every((app) => (n[app] ?? 0) >= 4) ? n : undefined;
        },
        { timeoutMs: 5_000 },
      );
    } finally {
      await db.end();
    }
  });

  describe('exec -- operator commands', () => {
    const exec = (...argv: string[]) =>
      harness(['exec', '--target', 'local', '--state', dep.stateDir, '--', ...argv], { timeoutMs: 30_000 });

    it('aigos-admin healthcheck exits 0 and prints an ok line per dependency', async () => {
      const result = await exec('aigos-admin', 'healthcheck');
      expect(result.code, result.stderr).toBe(0);
      const lines = result.stdout.trim().split('\n');
      for (const dependency of ['postgres', 'migrations', 'redis', 'storage']) {
        expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${dependency}\\s+ok$`)));
      }
    });

    it('npm run healthcheck is mapped onto the same command', async () => {
      const result = await exec('npm', 'run', 'healthcheck', '--', '--json');
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({
        status: 'ok',
        checks: {
          postgres: { status: 'ok' },
          migrations: { status: 'ok' },
          redis: { status: 'ok' },
          storage: { status: 'ok' },
        },
      });
    });

    it('aigos-admin db:migrate reports the migrations are current', async () => {
      const result = await exec('aigos-admin', 'db:migrate');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim()).toBe('migrations are current');
    });

    it('aigos-admin db:seed is idempotent', async () => {
      const args = [
        'aigos-admin',
        'db:seed',
        '--org-slug',
        'test-seed-org',
        '--admin-email',
        'seed-test@aigos.local',
      ];
      const first = await exec(...args);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(
        /organization test-seed-org: created; admin seed-test@aigos.local: created/,
      );

      const second = await exec(...args);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toMatch(
        /organization test-seed-org: exists; admin seed-test@aigos.local: exists/,
      );
    });

    it('aigos-admin db:seed finds what bring-up seeded', async () => {
      const result = await exec(
        'aigos-admin',
        'db:seed',
        '--org-slug',
        'default',
        '--admin-email',
        dep.endpoints.admin.email,
        '--admin-password-file',
        dep.endpoints.admin.passwordFile,
      );
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(
        new RegExp(`organization default: exists; admin ${dep.endpoints.admin.email}: exists`),
      );
    });
  });

  describe('down', () => {
    it('--keep stops every process and keeps the state directory', async () => {
      const status = await dep.status();
      const pids = pidsOf(status);
      expect(pids.length).toBe(1 + COMPONENTS.length);
      for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(true);

      const result = await harness(['down', '--target', 'local', '--state', dep.stateDir, '--keep'], {
        timeoutMs: 60_000,
      });
      expect(result.code, result.stderr).toBe(0);

      for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
      expect(await processGroupMembers(status.supervisorPid)).toEqual([]);
      expect(existsSync(dep.state.secretFile('jwt-secret'))).toBe(true);
      expect(existsSync(dep.state.endpointsFile)).toBe(true);
      expect(existsSync(dep.state.controlSocket)).toBe(false);
    });

    it('up again reuses the kept state; down then removes it and leaves no orphan processes', async () => {
      const adminPassword = await readFile(dep.state.secretFile('admin-password'), 'utf8');

      const up = await harness(['up', '--target', 'local', '--state', dep.stateDir, '--json'], {
        timeoutMs: 100_000,
      });
      expect(up.code, up.stderr).toBe(0);
      expect(await readFile(dep.state.secretFile('admin-password'), 'utf8')).toBe(adminPassword);
      const endpoints = JSON.parse(up.stdout) as { gateway: string };
      expect((await http(`${endpoints.gateway}/health/ready`)).status).toBe(200);

      const status = await dep.status();
      const pids = pidsOf(status);
      const { pgDataDir } = await dep.layout();
      for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(true);

      const result = await harness(['down', '--target', 'local', '--state', dep.stateDir], {
        timeoutMs: 60_000,
      });
      expect(result.code, result.stderr).toBe(0);

      for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
      expect(await processGroupMembers(status.supervisorPid)).toEqual([]);
      expect(existsSync(dep.stateDir)).toBe(false);
      if (pgDataDir) expect(existsSync(dirname(pgDataDir))).toBe(false);
    });
  });
});
