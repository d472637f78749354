// Access tokens (ES256 JWTs with kid, JWKS, rotation, revocation) and API keys as bearer
// tokens. Every forged or stale token is answered 401 in the error envelope. Tokens that
// need the deployment's private key (expired, not yet valid, wrong issuer or audience)
// are signed here with the stored key, decrypted the documented way (HKDF-SHA256 of
// JWT_SECRET, AES-256-GCM).
import {
  createDecipheriv,
  createHmac,
  createPrivateKey,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDeployment } from '../support/harness.js';
import { Agent, createUser, freshAddress, type Org, spawnService, withDb } from './support.js';

let dep: TestDeployment;
let gw: string;
let admin: Agent;
let org: Org;
let jwtSecret: string;
let issuer: string;

beforeAll(async () => {
  dep = await TestDeployment.start();
  gw = dep.endpoints.gateway;
  const env = await dep.serviceEnv();
  jwtSecret = env.JWT_SECRET!;
  issuer = env.PUBLIC_URL!.replace(/\/+$/, '');
  admin = new Agent(gw, { xff: freshAddress() });
  const pw = (await readFile(dep.endpoints.admin.passwordFile, 'utf8')).trim();
  expect((await admin.loginJson(dep.endpoints.admin.email, pw)).status).toBe(200);
  org = await withDb(dep, async (c) => ({
    id: (await c.query<{ id: string }>(`SELECT id FROM organizations WHERE slug='default'`)).rows[0]!.id,
    slug: 'default',
  }));
});

afterAll(async () => {
  await dep?.destroy();
});

async function storedKey(kid?: string): Promise<{ kid: string; key: KeyObject }> {
  const row = await withDb(dep, async (c) => {
    const r = await c.query<{ kid: string; private_enc: Buffer }>(
      kid
        ? `SELECT kid, private_enc FROM auth_signing_keys WHERE kid = $1`
        : `SELECT kid, private_enc FROM auth_signing_keys WHERE retired_at IS NULL AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1`,
      kid ? [kid] : [],
    );
    return r.rows[0]!;
  });
  const enc = Buffer.from(hkdfSync('sha256', jwtSecret, 'aigos-signing-keys', 'v1', 32));
  const d = createDecipheriv('aes-256-gcm', enc, row.private_enc.subarray(0, 12));
  d.setAuthTag(row.private_enc.subarray(12, 28));
  const der = Buffer.concat([d.update(row.private_enc.subarray(28)), d.final()]);
  return { kid: row.kid, key: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

async function me(token: string) {
  return new Agent(gw, { xff: freshAddress() }).request('GET', '/api/v1/me', {
    headers: { authorization: `Bearer ${token}` },
  });
}

function expect401(r: { status: number; body: unknown }, message: RegExp) {
  expect(r.status).toBe(401);
  const err = (r.body as { error: { code: string; message: string; requestId: string } }).error;
  expect(err.code).toBe('UNAUTHENTICATED');
  expect(err.requestId).toBeTruthy();
  expect(err.message).toMatch(message);
}

describe('access tokens', () => {
  it('are ES256 JWTs with kid and typ at+jwt, verifiable with the published JWKS, and work as Bearer', async () => {
    const token = await admin.accessToken();
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(typeof header.kid).toBe('string');
    const jwks = (await admin.get<{ keys: JWK[] }>('/auth/jwks.json')).body;
    expect(
      jwks.keys.some((k) => k.kid === header.kid && k.kty === 'EC' && k.crv === 'P-256' && !('d' in k)),
    ).toBe(true);
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer, audience: 'aigos-api' });
    expect(payload.org).toBe(org.id);
    expect(payload.exp! - payload.iat!).toBe(900);
    const r = await me(token);
    expect(r.status).toBe(200);
    expect(r.body.authentication.kind).toBe('jwt');
    expect(r.body.role).toBe('admin');
  });

  it('verify on every replica (keys live in PostgreSQL)', async () => {
    const token = await admin.accessToken();
    const api2 = await spawnService(dep, 'api', {});
    try {
      const r = await new Agent(api2.url).request('GET', '/api/v1/me', {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(r.status).toBe(200);
    } finally {
      await api2.stop();
    }
  });

  it('refuses alg none', async () => {
    const token = await admin.accessToken();
    const [h, p] = token.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
    expect401(await me(`${b64({ ...header, alg: 'none' })}.${p}.`), /algorithm "none" is not accepted/);
    expect401(await me(`${b64({ alg: 'none', typ: 'JWT' })}.${p}.`), /not accepted/);
  });

  it('refuses an HS256 token signed with the public key (algorithm confusion)', async () => {
    const token = await admin.accessToken();
    const header = decodeProtectedHeader(token);
    const jwk = (await admin.get<{ keys: JWK[] }>('/auth/jwks.json')).body.keys.find(
      (k) => k.kid === header.kid,
    )!;
    const pem = (await import('node:crypto'))
      .createPublicKey({ key: jwk as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' }) as string;
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    for (const secret of [pem, JSON.stringify(jwk)]) {
      const signingInput = `${b64({ alg: 'HS256', kid: header.kid, typ: 'at+jwt' })}.${b64(payload)}`;
      const sig = createHmac('sha256', secret).update(signingInput).digest('base64url');
      expect401(await me(`${signingInput}.${sig}`), /algorithm "HS256" is not accepted/);
    }
  });

  it('refuses expired, not-yet-valid, wrong issuer, wrong audience, tampered and unknown-kid tokens', async () => {
    const token = await admin.accessToken();
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    const { kid, key } = await storedKey();
    const now = Math.floor(Date.now() / 1000);
    const sign = (over: Record<string, unknown>, header: Record<string, unknown> = {}, k: KeyObject = key) =>
      new SignJWT({ ...claims, ...over })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt', ...header })
        .sign(k);

    // the control: a token minted here the same way is accepted
    expect((await me(await sign({}))).status).toBe(200);
    expect401(await me(await sign({ iat: now - 3600, nbf: now - 3600, exp: now - 60 })), /expired/);
    expect401(await me(await sign({ nbf: now + 600, iat: now })), /not yet valid/);
    expect401(await me(await sign({ iss: 'https://login.evil.example/' })), /not issued by this deployment/);
    expect401(await me(await sign({ aud: 'some-other-api' })), /not meant for this API/);
    expect401(await me(await sign({}, { typ: 'JWT' })), /invalid/);
    // changing a claim after signing breaks the signature
    const [h, , s] = (await sign({})).split('.');
    expect401(
      await me(`${h}.${b64({ ...claims, role: 'admin', org: '00000000-0000-4000-8000-000000000000' })}.${s}`),
      /signature/,
    );
    // a key this deployment never had
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect401(
      await me(await sign({}, { kid: 'unknown-kid-0123456789' }, stranger)),
      /signing key "unknown-kid-0123456789" is unknown/,
    );
    expect401(await me(await sign({}, { kid: undefined }, stranger)), /unknown/);
  });

  it('end with their session (logout revokes the tokens minted from it)', async () => {
    const user = await createUser(dep, org, { role: 'editor' });
    const a = new Agent(gw, { xff: freshAddress() });
    await a.loginJson(user.email, user.password);
    const token = await a.accessToken();
    expect((await me(token)).status).toBe(200);
    expect(
      (await a.request('POST', '/auth/logout', { json: {}, headers: { 'x-csrf-token': a.csrf } })).status,
    ).toBe(204);
    expect401(await me(token), /session .* has ended/);
  });

  it('a bearer token can sign its own session out', async () => {
    const user = await createUser(dep, org, { role: 'viewer' });
    const a = new Agent(gw, { xff: freshAddress() });
    await a.loginJson(user.email, user.password);
    const token = await a.accessToken();
    const out = await new Agent(gw, { xff: freshAddress() }).request('POST', '/auth/logout', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(out.status).toBe(204);
    expect((await a.get('/api/v1/me')).status).toBe(401);
  });

  it('rotation: the previous key keeps verifying until its window ends, then is refused', async () => {
    const before = await admin.accessToken();
    const oldKid = decodeProtectedHeader(before).kid!;
    const rotated = await admin.request('POST', '/api/v1/auth/signing-keys/rotate', {
      json: {},
      headers: { 'x-csrf-token': admin.csrf },
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body.previous).toBe(oldKid);
    const after = await admin.accessToken();
    expect(decodeProtectedHeader(after).kid).toBe(rotated.body.kid);
    expect((await me(before)).status).toBe(200);
    expect((await me(after)).status).toBe(200);
    const jwks = (await admin.get<{ keys: JWK[] }>('/auth/jwks.json')).body.keys.map((k) => k.kid);
    expect(jwks).toEqual(expect.arrayContaining([oldKid, rotated.body.kid]));
    const listed = (
      await admin.get<{ items: { kid: string; status: string; verifyUntil: string }[] }>(
        '/api/v1/auth/signing-keys',
      )
    ).body.items;
    const old = listed.find((k) => k.kid === oldKid)!;
    expect(old.status).toBe('verifying');
    // its window is the token lifetime + 60 s after retirement
    const window = Date.parse(old.verifyUntil) - Date.now();
    expect(window).toBeGreaterThan(900_000);
    expect(window).toBeLessThan(965_000);
    // end the window early (as if 16 minutes had passed); every replica notices within its 10 s cache
    await withDb(dep, (c) =>
      c.query(`UPDATE auth_signing_keys SET verify_until = now() - interval '1 second' WHERE kid = $1`, [
        oldKid,
      ]),
    );
    const deadline = Date.now() + 15_000;
    let r = await me(before);
    while (r.status === 200 && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 500));
      r = await me(before);
    }
    expect401(r, /retired key/);
    expect((await me(after)).status).toBe(200);
  });

  it('revocation: tokens of a revoked key are refused at once, a new key takes over', async () => {
    const token = await admin.accessToken();
    const kid = decodeProtectedHeader(token).kid!;
    const revoked = await admin.request('POST', `/api/v1/auth/signing-keys/${kid}/revoke`, {
      json: {},
      headers: { 'x-csrf-token': admin.csrf },
    });
    expect(revoked.status).toBe(200);
    expect401(await me(token), /revoked key/);
    const jwks = (await admin.get<{ keys: JWK[] }>('/auth/jwks.json')).body.keys.map((k) => k.kid);
    expect(jwks).not.toContain(kid);
    const fresh = await admin.accessToken();
    expect(decodeProtectedHeader(fresh).kid).not.toBe(kid);
    expect((await me(fresh)).status).toBe(200);
  });

  it('only admins manage signing keys', async () => {
    const user = await createUser(dep, org, { role: 'editor' });
    const a = new Agent(gw, { xff: freshAddress() });
    await a.loginJson(user.email, user.password);
    const r = await a.request('POST', '/api/v1/auth/signing-keys/rotate', {
      json: {},
      headers: { 'x-csrf-token': a.csrf },
    });
    expect(r.status).toBe(403);
  });
});

describe('API keys as bearer tokens', () => {
  it('carry their scopes and role; a revoked key is refused', async () => {
    const created = await admin.request('POST', '/api/v1/api-keys', {
      json: { name: 'reader', role: 'viewer', scopes: ['assets:read'] },
      headers: { 'x-csrf-token': admin.csrf },
    });
    expect([200, 201]).toContain(created.status);
    const key = created.body.key as string;
    const id = created.body.id as string;
    const k = new Agent(gw, { xff: freshAddress(), headers: { authorization: `Bearer ${key}` } });
    expect((await k.get('/api/v1/assets')).status).toBe(200);
    const noScope = await k.get('/api/v1/policy-packs');
    expect(noScope.status).toBe(403);
    const write = await k.request('POST', '/api/v1/assets', { json: {} });
    expect(write.status).toBe(403);
    const del = await admin.request('DELETE', `/api/v1/api-keys/${id}`, {
      headers: { 'x-csrf-token': admin.csrf },
    });
    expect(del.status).toBe(200);
    expect401(await k.get('/api/v1/assets'), /revoked/);
  });
});
