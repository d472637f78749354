// `aigos serve <service>` refuses to start on bad configuration or a taken port: it
// exits non-zero at once with one stderr line naming the problem, and never prints a
// secret value. No deployment is needed: both failures happen before any connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AIGOS_CLI, holdPort, run, type RunResult } from './support/harness.js';

const SECRETS = {
  DATABASE_URL: 'postgres://aigos:db-pass-LEAKCHECK-1@127.0.0.1:1/aigos',
  REDIS_URL: 'redis://:redis-pass-LEAKCHECK-2@127.0.0.1:1',
  S3_ACCESS_KEY: 'access-LEAKCHECK-3',
  S3_SECRET_KEY: 's3-secret-LEAKCHECK-4',
  JWT_SECRET: 'jwt-secret-LEAKCHECK-5-0123456789abcdef',
  SESSION_SECRET: 'session-secret-LEAKCHECK-6-0123456789ab',
};

/** A clean environment (nothing inherited from the developer's shell) for one service. */
function serviceEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LOG_LEVEL: 'warn',
    S3_ENDPOINT: 'http://127.0.0.1:1',
    ...SECRETS,
  };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function serve(service: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return run(process.execPath, [AIGOS_CLI, 'serve', service], { env, timeoutMs: 15_000 });
}

function stderrLines(result: RunResult): string[] {
  return result.stderr.split('\n').filter((l) => l.trim() !== '');
}

function expectNoSecrets(result: RunResult, values: string[]): void {
  for (const v of values) {
    expect(result.stderr).not.toContain(v);
    expect(result.stdout).not.toContain(v);
  }
  expect(result.stderr).not.toContain('LEAKCHECK');
}

describe('aigos serve with bad configuration', () => {
  it('exits non-zero quickly with one stderr line naming SESSION_MAX_AGE when it has a trailing comment', async () => {
    const result = await serve('api', serviceEnv({ SESSION_MAX_AGE: '86400000  # 24 hours' }));
    expect(result.code).not.toBe(0);
    expect(result.code).toBe(78); // EX_CONFIG
    expect(result.elapsedMs).toBeLessThan(5_000);
    const lines = stderrLines(result);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^aigos api: configuration error: SESSION_MAX_AGE /);
    expectNoSecrets(result, Object.values(SECRETS));
  });

  it('names JWT_SECRET when it is too short, without printing it', async () => {
    const short = 'short-LEAKCHECK-jwt';
    const result = await serve('api', serviceEnv({ JWT_SECRET: short }));
    expect(result.code).toBe(78);
    expect(result.elapsedMs).toBeLessThan(5_000);
    const lines = stderrLines(result);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/JWT_SECRET must be at least 32 characters/);
    expectNoSecrets(result, [short, ...Object.values(SECRETS)]);
  });

  it('names DATABASE_URL when the api service is started without it', async () => {
    const result = await serve('api', serviceEnv({ DATABASE_URL: undefined }));
    expect(result.code).toBe(78);
    const lines = stderrLines(result);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/DATABASE_URL is required by the api service/);
    expectNoSecrets(result, Object.values(SECRETS));
  });

  it('names a database URL with the wrong scheme without printing its password', async () => {
    const result = await serve(
      'gateway',
      serviceEnv({ DATABASE_URL: 'mysql://aigos:db-pass-LEAKCHECK-1@127.0.0.1/aigos' }),
    );
    expect(result.code).toBe(78);
    const lines = stderrLines(result);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^aigos gateway: configuration error: DATABASE_URL must be a URL starting with postgres:\/\//,
    );
    expectNoSecrets(result, ['db-pass-LEAKCHECK-1']);
  });
});

describe('aigos serve on a port that is already taken', () => {
  let held: Awaited<ReturnType<typeof holdPort>>;

  beforeAll(async () => {
    held = await holdPort(0);
  });

  afterAll(async () => {
    await held?.close();
  });

  it.each([
    ['web', 'WEB_PORT'],
    ['gateway', 'GATEWAY_PORT'],
    ['api', 'API_PORT'],
  ])('%s exits non-zero with a message naming %s and the port', async (service, variable) => {
    const result = await serve(
      service,
      serviceEnv({ [variable]: String(held.port), BIND_HOST: '127.0.0.1' }),
    );
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.elapsedMs).toBeLessThan(10_000);
    const lines = stderrLines(result);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(variable);
    expect(lines[0]).toContain(`port ${held.port} on 127.0.0.1 is already in use`);
    expectNoSecrets(result, Object.values(SECRETS));
  });
});
