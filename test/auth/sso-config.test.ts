// The SSO configuration (seed CP-02 §6 shapes, AUTH_CONFIG_FILE / OAUTH_* variables), the
// client-address rule behind trusted proxies and the group-to-role mapping — without a
// deployment — and that a broken AUTH_CONFIG_FILE stops the api with one line naming it.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapRole } from '../../reference/src/api/auth/identity.js';
import { loadSsoConfig, parseSsoConfig } from '../../reference/src/api/auth/sso-config.js';
import { clientAddress, trustProxyFn } from '../../reference/src/api/auth/trust-proxy.js';
import { ConfigError, loadConfig } from '../../reference/src/common/config.js';
import { AIGOS_CLI } from '../support/harness.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigos-sso-config-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const seedAzure = {
  auth: {
    oauth: {
      enabled: true,
      provider: 'azure',
      issuer: 'https://login.microsoftonline.com/9c1a3f7e-0d2b-4c5e-8f61-2a3b4c5d6e7f/v2.0',
      clientId: 'client-id',
      clientSecret: 'client-secret',
      callbackUrl: 'https://aigos.customer.com/auth/callback',
      scopes: ['openid', 'profile', 'email', 'offline_access'],
      attributeMapping: { id: 'oid', email: 'email', name: 'name', groups: 'groups' },
      roleMapping: {
        '12345678-1234-1234-1234-123456789012': 'admin',
        '87654321-4321-4321-4321-210987654321': 'editor',
        default: 'viewer',
      },
    },
  },
};

describe('SSO configuration', () => {
  it('accepts the seed’s Entra ID, Okta, Google and SAML examples (one provider or a list)', () => {
    const one = parseSsoConfig(seedAzure, 'test');
    expect(one.oidc).toHaveLength(1);
    expect(one.oidc[0]).toMatchObject({
      name: 'azure',
      label: 'Microsoft Entra ID',
      roleMapping: { default: 'viewer' },
    });
    expect(one.oidc[0]!.roleMapping.groups['12345678-1234-1234-1234-123456789012']).toBe('admin');
    const all = parseSsoConfig(
      {
        auth: {
          local: { enabled: false },
          oauth: [
            seedAzure.auth.oauth,
            {
              provider: 'okta',
              issuer: 'https://customer.okta.com/oauth2/default',
              clientId: 'x',
              clientSecret: 'y',
              callbackUrl: 'https://aigos.customer.com/auth/callback',
              roleMapping: { 'AIGOS-Admins': 'admin', default: 'viewer' },
            },
            {
              provider: 'google',
              issuer: 'https://accounts.google.com',
              clientId: 'x',
              clientSecret: 'y',
              callbackUrl: 'https://aigos.customer.com/auth/callback',
              hostedDomain: 'customer.com',
              attributeMapping: { id: 'sub', email: 'email', name: 'name' },
            },
          ],
          saml: {
            enabled: true,
            entryPoint: 'https://idp.customer.com/saml2/sso',
            issuer: 'https://aigos.customer.com',
            cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
            callbackUrl: 'https://aigos.customer.com/auth/saml/callback',
            logoutUrl: 'https://aigos.customer.com/auth/saml/logout',
            roleMapping: { 'cn=aigos-admins,ou=groups,dc=customer,dc=com': 'admin', default: 'viewer' },
          },
        },
      },
      'test',
    );
    expect(all.localEnabled).toBe(false);
    expect(all.oidc.map((p) => p.name)).toEqual(['azure', 'okta', 'google']);
    expect(all.oidc[1]!.scopes).toEqual(['openid', 'profile', 'email', 'groups']); // Okta default asks for groups
    expect(all.oidc[2]!.hostedDomain).toBe('customer.com');
    expect(all.saml).toMatchObject({ name: 'saml', acceptedClockSkewMs: 60_000 });
    expect(all.saml!.attributeMapping.groups).toBe('urn:oid:1.3.6.1.4.1.5923.1.5.1.1');
  });

  it('names the exact path of a mistake', () => {
    const bad = structuredClone(seedAzure) as { auth: { oauth: Record<string, unknown> } };
    bad.auth.oauth.issuer = 'not a url';
    expect(() => parseSsoConfig(bad, 'auth.yaml')).toThrow(
      'auth.yaml: auth.oauth.issuer: must be an http(s) URL',
    );
    expect(() =>
      parseSsoConfig(
        { auth: { oauth: [seedAzure.auth.oauth, { ...seedAzure.auth.oauth, roleMapping: { g: 'owner' } }] } },
        'f',
      ),
    ).toThrow(/auth\.oauth\[1\]\.roleMapping\.g: must be admin, editor or viewer/);
    expect(() =>
      parseSsoConfig({ auth: { oauth: [seedAzure.auth.oauth, seedAzure.auth.oauth] } }, 'f'),
    ).toThrow(/two providers are named azure/);
    expect(() =>
      parseSsoConfig(
        { auth: { oauth: { ...seedAzure.auth.oauth, issuer: 'http://login.example.com/' } } },
        'f',
      ),
    ).toThrow(/must use https/);
  });

  it('builds one provider from the seed’s OAUTH_* variables', () => {
    const config = loadConfig('api', {
      JWT_SECRET: 'x'.repeat(32),
      SESSION_SECRET: 'y'.repeat(32),
      DATABASE_URL: 'postgres://a:b@127.0.0.1:1/x',
      REDIS_URL: 'redis://127.0.0.1:1',
      S3_ENDPOINT: 'http://127.0.0.1:1',
      S3_ACCESS_KEY: 'abc',
      S3_SECRET_KEY: 'abcdefgh',
      OAUTH_ENABLED: 'true',
      OAUTH_PROVIDER: 'okta',
      OAUTH_ISSUER: 'https://customer.okta.com/oauth2/default',
      OAUTH_CLIENT_ID: 'id',
      OAUTH_CLIENT_SECRET: 'secret',
      OAUTH_CALLBACK_URL: 'https://aigos.customer.com/auth/callback',
    });
    const sso = loadSsoConfig(config);
    expect(sso.oidc).toHaveLength(1);
    expect(sso.oidc[0]).toMatchObject({
      name: 'okta',
      clientSecret: 'secret',
      roleMapping: { default: 'viewer' },
    });
    const missing = loadConfig('api', {
      ...process.env,
      OAUTH_ENABLED: 'true',
      OAUTH_ISSUER: '',
      JWT_SECRET: 'x'.repeat(32),
      SESSION_SECRET: 'y'.repeat(32),
      DATABASE_URL: 'postgres://a:b@127.0.0.1:1/x',
      REDIS_URL: 'redis://127.0.0.1:1',
      S3_ENDPOINT: 'http://127.0.0.1:1',
      S3_ACCESS_KEY: 'abc',
      S3_SECRET_KEY: 'abcdefgh',
    });
    expect(() => loadSsoConfig(missing)).toThrow(ConfigError);
  });

  it('refuses a malformed TRUST_PROXY', () => {
    const base = { JWT_SECRET: 'x'.repeat(32), SESSION_SECRET: 'y'.repeat(32) };
    expect(() => loadConfig('web', { ...base, TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig('web', { ...base, TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
    expect(loadConfig('web', { ...base, TRUST_PROXY: '10.0.0.0/8, ::1, loopback' }).TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      '::1',
      'loopback',
    ]);
  });

  it('stops the api with one line naming AUTH_CONFIG_FILE and the path', async () => {
    const file = join(dir, 'auth.yaml');
    await writeFile(
      file,
      'auth:\n  oauth:\n    provider: azure\n    issuer: nope\n    clientId: a\n    clientSecret: b\n    callbackUrl: https://x.example/auth/callback\n',
    );
    const child = spawn(process.execPath, [AIGOS_CLI, 'serve', 'api'], {
      env: {
        PATH: process.env.PATH,
        API_PORT: '1',
        JWT_SECRET: 'x'.repeat(32),
        SESSION_SECRET: 'y'.repeat(32),
        DATABASE_URL: 'postgres://a:b@127.0.0.1:9/x',
        REDIS_URL: 'redis://127.0.0.1:9',
        S3_ENDPOINT: 'http://127.0.0.1:9',
        S3_ACCESS_KEY: 'abc',
        S3_SECRET_KEY: 'abcdefgh',
        AUTH_CONFIG_FILE: file,
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(78);
    expect(stderr.trim()).toBe(
      `aigos api: configuration error: AUTH_CONFIG_FILE ${file}: auth.oauth.issuer: must be an http(s) URL`,
    );
  });
});

describe('client address behind trusted proxies', () => {
  const req = (remote: string, xff?: string) =>
    ({
      socket: { remoteAddress: remote },
      headers: xff ? { 'x-forwarded-for': xff } : {},
    }) as unknown as IncomingMessage;
  it('believes X-Forwarded-For only from trusted proxies, right to left', () => {
    const loopback = trustProxyFn(['loopback']);
    expect(clientAddress(req('127.0.0.1', '203.0.113.9'), loopback)).toBe('203.0.113.9');
    expect(clientAddress(req('::ffff:127.0.0.1', '203.0.113.9'), loopback)).toBe('203.0.113.9');
    expect(clientAddress(req('198.51.100.7', '203.0.113.9'), loopback)).toBe('198.51.100.7'); // untrusted peer
    // a forged entry to the left of the real client added by the proxy is not reached
    expect(clientAddress(req('127.0.0.1', '1.2.3.4, 198.51.100.7'), loopback)).toBe('198.51.100.7');
    const lb = trustProxyFn(['10.0.0.0/8', '127.0.0.1']);
    expect(clientAddress(req('127.0.0.1', '198.51.100.7, 10.1.2.3'), lb)).toBe('198.51.100.7');
    expect(clientAddress(req('127.0.0.1', '203.0.113.1'), trustProxyFn(['none']))).toBe('127.0.0.1');
  });
});

describe('role mapping', () => {
  const mapping = {
    default: 'viewer' as const,
    groups: {
      'cn=aigos-admins,ou=groups,dc=customer,dc=com': 'admin' as const,
      'AIGOS-Editors': 'editor' as const,
    },
  };
  it('takes the highest mapped role, DNs case- and space-insensitively, else the default', () => {
    expect(mapRole(['AIGOS-Editors', 'CN=AIGOS-Admins, OU=Groups, DC=customer, DC=com'], mapping)).toEqual({
      role: 'admin',
      matched: ['AIGOS-Editors', 'CN=AIGOS-Admins, OU=Groups, DC=customer, DC=com'],
    });
    expect(mapRole(['aigos-editors'], mapping).role).toBe('viewer'); // plain names are exact
    expect(mapRole(undefined, mapping).role).toBe('viewer');
    expect(mapRole([], { default: 'editor', groups: {} }).role).toBe('editor');
  });
});
