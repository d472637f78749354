import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type ServiceName } from './config.js';

// Distinctive secret values, so a leak into an error message cannot go unnoticed.
const SECRETS = {
  DATABASE_URL: 'postgres://aigos:db-pass-LEAKCHECK-1@127.0.0.1:5432/aigos',
  REDIS_URL: 'redis://:redis-pass-LEAKCHECK-2@127.0.0.1:6379',
  S3_ACCESS_KEY: 'access-LEAKCHECK-3',
  S3_SECRET_KEY: 's3-secret-LEAKCHECK-4',
  JWT_SECRET: 'jwt-secret-LEAKCHECK-5-0123456789abcdef',
  SESSION_SECRET: 'session-secret-LEAKCHECK-6-0123456789ab',
};

/** A complete, valid environment for the api service. */
const validEnv = (): NodeJS.ProcessEnv => ({ ...SECRETS, S3_ENDPOINT: 'http://127.0.0.1:9000' });

function configErrorOf(service: ServiceName, env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(service, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

describe('loadConfig: a valid environment', () => {
  it('loads and applies the documented defaults', () => {
    const config = loadConfig('api', validEnv());
    expect(config.service).toBe('api');
    expect(config.GATEWAY_PORT).toBe(3000);
    expect(config.WEB_PORT).toBe(3001);
    expect(config.API_PORT).toBe(3002);
    expect(config.CA_PORT).toBe(3003);
    expect(config.BIND_HOST).toBe('127.0.0.1');
    expect(config.NODE_ENV).toBe('production');
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.SESSION_MAX_AGE).toBe(86_400_000);
    expect(config.SHUTDOWN_TIMEOUT_MS).toBe(8000);
    expect(config.DB_POOL_MAX).toBe(10);
    expect(config.DB_POOL_MIN).toBe(4);
    expect(config.S3_BUCKET).toBe('aigos-data');
    expect(config.OAUTH_ENABLED).toBe(false);
    expect(config.API_UPSTREAM_URL).toBe('http://127.0.0.1:3002');
    expect(config.OAUTH_ISSUER).toBeUndefined();
  });

  it('treats an empty value as unset, so the default applies', () => {
    expect(loadConfig('api', { ...validEnv(), API_PORT: '' }).API_PORT).toBe(3002);
  });

  it('converts numbers and booleans', () => {
    const config = loadConfig('api', {
      ...validEnv(),
      API_PORT: '4002',
      SESSION_MAX_AGE: '3600000',
      OAUTH_ENABLED: 'yes',
    });
    expect(config.API_PORT).toBe(4002);
    expect(config.SESSION_MAX_AGE).toBe(3_600_000);
    expect(config.OAUTH_ENABLED).toBe(true);
  });

  it('does not require DATABASE_URL (or any data-store variable) for the web service', () => {
    const config = loadConfig('web', {});
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.WEB_PORT).toBe(3001);
  });

  it('does not require the token secrets for the ca service', () => {
    const { JWT_SECRET: _jwt, SESSION_SECRET: _session, ...env } = validEnv();
    expect(() => loadConfig('ca', env)).not.toThrow();
  });
});

describe('loadConfig: a missing required variable', () => {
  it.each([
    'DATABASE_URL',
    'REDIS_URL',
    'S3_ENDPOINT',
    'S3_ACCESS_KEY',
    'S3_SECRET_KEY',
    'JWT_SECRET',
    'SESSION_SECRET',
  ])('is refused for the api service, naming %s', (name) => {
    const env = validEnv();
    delete env[name];
    const err = configErrorOf('api', env);
    expect(err.variable).toBe(name);
    expect(err.message).toContain(name);
    expect(err.message).toMatch(/required by the api service/);
  });

  it('names DATABASE_URL for the gateway too', () => {
    const env = validEnv();
    delete env.DATABASE_URL;
    expect(configErrorOf('gateway', env).message).toMatch(/DATABASE_URL is required by the gateway service/);
  });
});

describe('loadConfig: malformed values', () => {
  it('refuses a value copied with a trailing comment, naming SESSION_MAX_AGE', () => {
    const err = configErrorOf('api', { ...validEnv(), SESSION_MAX_AGE: '86400000  # 24 hours' });
    expect(err.variable).toBe('SESSION_MAX_AGE');
    expect(err.message).toMatch(/^configuration error: SESSION_MAX_AGE /);
    expect(err.message).toMatch(/whole number/);
  });

  it.each([
    ['API_PORT', '70000', /at most 65535/],
    ['GATEWAY_PORT', '0', /at least 1/],
    ['WEB_PORT', 'http', /whole number/],
    ['CA_PORT', '-1', /whole number/],
    ['SMTP_PORT', '3000.5', /whole number/],
  ])('refuses the bad port %s=%s, naming the variable and showing the value', (name, value, problem) => {
    const err = configErrorOf('api', { ...validEnv(), [name]: value });
    expect(err.variable).toBe(name);
    expect(err.message).toContain(name);
    expect(err.message).toMatch(problem);
    // non-secret values are shown so the operator sees what was read
    expect(err.message).toContain(JSON.stringify(value));
  });

  it.each([
    ['API_UPSTREAM_URL', 'ftp://127.0.0.1:3002', /http:\/\/ or https:\/\//],
    ['PUBLIC_URL', 'localhost:3000', /http:\/\/ or https:\/\//],
    ['WS_URL', 'http://127.0.0.1:3000/ws', /ws:\/\/ or wss:\/\//],
    ['S3_ENDPOINT', 'minio:9000', /http:\/\/ or https:\/\//],
    ['DATABASE_URL', 'mysql://aigos:db-pass-LEAKCHECK-1@127.0.0.1/aigos', /postgres:\/\/ or postgresql:\/\//],
    ['REDIS_URL', 'http://:redis-pass-LEAKCHECK-2@127.0.0.1:6379', /redis:\/\/ or rediss:\/\//],
  ])('refuses %s with the wrong URL scheme (%s)', (name, value, expected) => {
    const err = configErrorOf('api', { ...validEnv(), [name]: value });
    expect(err.variable).toBe(name);
    expect(err.message).toMatch(expected);
  });

  it('refuses a pool minimum above the pool size, naming DB_POOL_MIN', () => {
    const err = configErrorOf('api', { ...validEnv(), DB_POOL_MIN: '12', DB_POOL_MAX: '8' });
    expect(err.variable).toBe('DB_POOL_MIN');
    expect(err.message).toMatch(/at most DB_POOL_MAX \(8\)/);
    expect(err.message).toContain('"12"');
    expect(loadConfig('api', { ...validEnv(), DB_POOL_MIN: '8', DB_POOL_MAX: '8' }).DB_POOL_MIN).toBe(8);
  });

  it('lowers the default pool minimum to a smaller DB_POOL_MAX (set before DB_POOL_MIN existed)', () => {
    const config = loadConfig('api', { ...validEnv(), DB_POOL_MAX: '2' });
    expect(config.DB_POOL_MIN).toBe(2);
    expect(loadConfig('web', { DB_POOL_MAX: '1' }).DB_POOL_MIN).toBe(1);
  });

  it('refuses an unknown NODE_ENV, listing the allowed values', () => {
    const err = configErrorOf('web', { NODE_ENV: 'staging' });
    expect(err.variable).toBe('NODE_ENV');
    expect(err.message).toMatch(/development, production or test/);
  });
});

describe('loadConfig: secrets never appear in error messages', () => {
  it('refuses a too-short JWT_SECRET without printing it', () => {
    const short = 'short-jwt-LEAKCHECK';
    const err = configErrorOf('api', { ...validEnv(), JWT_SECRET: short });
    expect(err.variable).toBe('JWT_SECRET');
    expect(err.message).toMatch(/at least 32 characters/);
    expect(err.message).not.toContain(short);
    expect(err.message).not.toContain('LEAKCHECK');
  });

  it.each([
    ['DATABASE_URL', 'mysql://aigos:db-pass-LEAKCHECK-1@127.0.0.1/aigos'],
    ['REDIS_URL', 'http://:redis-pass-LEAKCHECK-2@127.0.0.1:6379'],
    ['S3_SECRET_KEY', 'LEAK'],
    ['SESSION_SECRET', 'LEAKCHECK-session'],
  ])('does not print the rejected value of %s', (name, value) => {
    const err = configErrorOf('api', { ...validEnv(), [name]: value });
    expect(err.variable).toBe(name);
    expect(err.message).not.toContain(value);
    expect(err.message).not.toContain('LEAK');
  });

  it('does not print the other, valid secrets when a later variable is bad', () => {
    const err = configErrorOf('api', { ...validEnv(), SESSION_MAX_AGE: '86400000  # 24 hours' });
    for (const value of Object.values(SECRETS)) expect(err.message).not.toContain(value);
  });
});
