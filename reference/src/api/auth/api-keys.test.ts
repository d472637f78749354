// API key material and the principal guards, without a database.
import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../common/errors.js';
import { generateApiKey, hashSecret, KEY_RE, parseApiKey, secretMatches } from './api-keys.js';
import { hasScope, requireRole, requireScope, roleAtLeast, type Principal } from './principal.js';

describe('API keys', () => {
  it('have the aigos_<prefix>_<secret> form, are unique, and only their hash is needed to verify', () => {
    const keys = Array.from({ length: 200 }, generateApiKey);
    expect(new Set(keys.map((k) => k.key)).size).toBe(200);
    for (const k of keys) {
      expect(k.key).toMatch(KEY_RE);
      const parsed = parseApiKey(k.key)!;
      expect(parsed.prefix).toBe(k.prefix);
      expect(secretMatches(parsed.secret, k.secretHash)).toBe(true);
      expect(
        secretMatches(parsed.secret.slice(0, -1) + (parsed.secret.endsWith('x') ? 'y' : 'x'), k.secretHash),
      ).toBe(false);
      expect(k.secretHash.equals(hashSecret(parsed.secret))).toBe(true);
    }
    expect(parseApiKey('aigos_short_x')).toBeUndefined();
    expect(parseApiKey(`Bearer ${keys[0]!.key}`)).toBeUndefined();
  });

  it('use every character of their alphabets (no bias towards a few)', () => {
    const chars = new Set(
      Array.from({ length: 300 }, () => parseApiKey(generateApiKey().key)!.secret).join(''),
    );
    expect(chars.size).toBe(62);
  });
});

describe('principal guards', () => {
  const key = (role: Principal['role'], scopes: string[]): Principal => ({
    kind: 'api-key',
    orgId: 'o',
    role,
    scopes,
    apiKeyId: 'k',
    keyPrefix: 'p',
    keyName: 'n',
  });
  const run = (mw: ReturnType<typeof requireRole>, principal?: Principal) => {
    let passed = false;
    try {
      mw({ principal } as Request, {} as Response, () => (passed = true));
    } catch (err) {
      return err as HttpError;
    }
    return passed;
  };

  it('orders roles and checks scopes (with * for all)', () => {
    expect(roleAtLeast('admin', 'editor')).toBe(true);
    expect(roleAtLeast('viewer', 'editor')).toBe(false);
    expect(hasScope(key('viewer', ['*']), 'audit:read')).toBe(true);
    expect(hasScope(key('viewer', ['assets:read']), 'audit:read')).toBe(false);
    expect(
      hasScope({ kind: 'session', orgId: 'o', userId: 'u', role: 'viewer', scopes: [] }, 'audit:read'),
    ).toBe(true);
  });

  it('answer 401 without a principal and 403 without the role or scope', () => {
    expect((run(requireRole('viewer')) as HttpError).status).toBe(401);
    expect((run(requireRole('admin'), key('editor', ['*'])) as HttpError).status).toBe(403);
    expect(run(requireRole('editor'), key('admin', []))).toBe(true);
    const denied = run(requireScope('assets:write'), key('admin', ['assets:read'])) as HttpError;
    expect(denied.status).toBe(403);
    expect(denied.details).toEqual([{ missingScopes: ['assets:write'] }]);
  });
});
