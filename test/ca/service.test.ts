// The CA service in a real local deployment (PostgreSQL, the gateway): issuance from a
// CSR or an agent descriptor, the compliance gate, revocation, status, verify, OCSP
// (POST and GET) and the CRL — judged by the openssl CLI — plus the bad-input envelope
// and organization scoping. One deployment for the file; each describe block works in
// its own organization.
import { createHash, createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../reference/src/common/paths.js';
import {
  type CaDeployment,
  caEnv,
  createFixtures,
  type OrgFixture,
  runNode,
  startCaDeployment,
  startCaProcess,
  stopProcess,
  withoutCaKeys,
} from '../../scripts/ca-deployment.js';
import { openssl, opensslCsr, opensslOk, Scratch } from './openssl.js';

let dep: CaDeployment;
let scratch: Scratch;
let rootFile: string;
let issuingFile: string;
let base: string; // through the gateway
let info: {
  chain: string[];
  ocspUrl: string;
  crlUrl: string;
  issuerName: string;
  complianceThreshold: number;
};

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  bytes: Buffer;
}

async function call(
  path: string,
  opts: {
    method?: string;
    key?: string;
    json?: unknown;
    body?: Buffer | string;
    type?: string;
    url?: string;
  } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: Buffer | string | undefined = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] = 'application/json';
  }
  if (opts.type) headers['content-type'] = opts.type;
  const r = await fetch(`${opts.url ?? base}${path}`, {
    method: opts.method ?? (body ? 'POST' : 'GET'),
    headers,
    body,
  });
  const bytes = Buffer.from(await r.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json, bytes };
}

function expectEnvelope(r: Reply, status: number, code: string) {
  expect(r.status, r.text).toBe(status);
  expect(r.json?.error?.code, r.text).toBe(code);
  expect(typeof r.json.error.message).toBe('string');
  expect(r.json.error.requestId).toBeTruthy();
}

/** A query as the application role inside one organization (RLS applies). */
async function sql<T extends pg.QueryResultRow>(
  orgId: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ connectionString: dep.databaseUrl });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query(`SELECT set_config('app.org_id', $1, true)`, [orgId]);
    const r = await c.query<T>(text, params);
    await c.query('COMMIT');
    return r.rows;
  } finally {
    await c.end();
  }
}

const countCerts = async (orgId: string) =>
  Number((await sql<{ n: string }>(orgId, 'SELECT count(*)::text AS n FROM certificates'))[0]!.n);

async function ecCsr(name: string, san?: string) {
  return opensslCsr(
    scratch,
    name,
    ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    san ? { san } : {},
  );
}

async function ocspCheck(certFile: string, url = info.ocspUrl) {
  return openssl([
    'ocsp',
    '-issuer',
    issuingFile,
    '-cert',
    certFile,
    '-url',
    url,
    '-CAfile',
    rootFile,
    '-resp_text',
  ]);
}

beforeAll(async () => {
  scratch = await Scratch.create('aigos-ca-service-');
  dep = await startCaDeployment({ via: 'gateway' });
  base = `${dep.gatewayUrl}/ca`;
  info = (await call('/api/v1/info')).json;
  rootFile = await scratch.write('root.pem', info.chain[1]!);
  issuingFile = await scratch.write('issuing.pem', info.chain[0]!);
}, 240_000);

afterAll(async () => {
  await dep?.close();
  await scratch?.remove();
}, 120_000);

describe('CA routes through the gateway', () => {
  it('serves health and info: issuer, chain (issuing CA then root), OCSP and CRL URLs under /ca', async () => {
    const h = await call('/api/v1/health');
    expect(h.status).toBe(200);
    expect(h.json.service).toBe('ca');
    expect(info.issuerName).toBe('AIGOS CA');
    expect(info.ocspUrl).toBe(`${dep.gatewayUrl}/ca/api/v1/ocsp`);
    expect(info.crlUrl).toBe(`${dep.gatewayUrl}/ca/api/v1/crl`);
    expect(info.complianceThreshold).toBe(70);
    const v = await openssl(['verify', '-CAfile', rootFile, issuingFile]);
    expect(v.all).toContain(': OK');
    const issuing = await call('/api/v1/ca/issuing.crt');
    expect(issuing.headers.get('content-type')).toMatch(/application\/pkix-cert/);
  });
});

describe('issuing, checking and revoking a CGA certificate', () => {
  let org: OrgFixture;
  let leafFile: string;
  let leaf: { id: string; serial: string; certificate: string };

  beforeAll(async () => {
    org = await createFixtures(dep.databaseUrl, {
      orgSlug: 'ca-main',
      assets: [{ cardId: 'aigrc-2025-0a1b2c3d', status: 'registered', score: 85 }],
    });
  });

  it('signs a CSR for a registered, compliant asset; openssl verify accepts the chain', async () => {
    const { csrPem } = await ecCsr('agent-one');
    const r = await call('/api/v1/certificates/sign', {
      key: org.apiKey,
      json: { csr: csrPem, assetId: 'aigrc-2025-0a1b2c3d', governanceLevel: 'gold' },
    });
    expect(r.status, r.text).toBe(201);
    expect(r.json).toMatchObject({
      status: 'active',
      assetId: 'aigrc-2025-0a1b2c3d',
      organizationId: org.orgId,
      governanceLevel: 'GOLD',
      complianceScore: 85,
      keyType: 'EC P-256',
      ocspUrl: info.ocspUrl,
    });
    expect(r.json.serial).toMatch(/^[0-7][0-9a-f]{31}$/);
    leaf = r.json;
    leafFile = await scratch.write('agent-one.pem', leaf.certificate);
    const v = await openssl(['verify', '-CAfile', rootFile, '-untrusted', issuingFile, leafFile]);
    expect(v.all).toContain(`${leafFile}: OK`);
    const text = (await opensslOk(['x509', '-in', leafFile, '-noout', '-text'])).stdout;
    expect(text).toContain(`OCSP - URI:${info.ocspUrl}`);
    expect(text).toContain(`URI:${info.crlUrl}`);
    expect(text).toContain(
      `URI:urn:aigos:asset:aigrc-2025-0a1b2c3d, URI:urn:aigos:org:${org.orgId}, URI:urn:aigos:cga-level:GOLD`,
    );
    expect(text).toMatch(/CN = Agent aigrc-2025-0a1b2c3d/);
    const days = (Date.parse(r.json.notAfter) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThanOrEqual(365);
  });

  it('answers openssl ocsp "good" at the URL in the certificate (gateway) and on the CA itself, nonce echoed', async () => {
    const viaGateway = await ocspCheck(leafFile);
    expect(viaGateway.all).toContain('Response verify OK');
    expect(viaGateway.all).toContain(`${leafFile}: good`);
    expect(viaGateway.all).toMatch(/OCSP Nonce/);
    expect(viaGateway.all).toMatch(/Responder Id: [0-9A-F]{40}/);
    const direct = await ocspCheck(leafFile, `${dep.caUrl}/api/v1/ocsp`);
    expect(direct.all).toContain(`${leafFile}: good`);
  });

  it('answers the RFC 6960 GET form', async () => {
    const reqFile = scratch.path('get-req.der');
    await opensslOk(['ocsp', '-issuer', issuingFile, '-cert', leafFile, '-no_nonce', '-reqout', reqFile]);
    const b64 = (await readFile(reqFile)).toString('base64');
    const r = await call(`/api/v1/ocsp/${encodeURIComponent(b64)}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/ocsp-response');
    const respFile = await scratch.write('get-resp.der', r.bytes);
    const check = await openssl([
      'ocsp',
      '-respin',
      respFile,
      '-issuer',
      issuingFile,
      '-cert',
      leafFile,
      '-CAfile',
      rootFile,
      '-no_nonce',
    ]);
    expect(check.all).toContain('Response verify OK');
    expect(check.all).toContain(`${leafFile}: good`);
    // unencoded slashes in the base64 work too
    const raw = await call(`/api/v1/ocsp/${b64}`);
    expect(raw.status).toBe(200);
  });

  it('answers "unknown" for a serial this CA never issued', async () => {
    const r = await openssl([
      'ocsp',
      '-issuer',
      issuingFile,
      '-serial',
      '0x0123456789abcdef',
      '-url',
      info.ocspUrl,
      '-CAfile',
      rootFile,
    ]);
    expect(r.all).toContain('Response verify OK');
    expect(r.all).toMatch(/0x0123456789abcdef: unknown/i);
  });

  it('reports status by id and by serial, and verify says valid', async () => {
    const byId = await call(`/api/v1/certificates/${leaf.id}/status`, { key: org.apiKey });
    expect(byId.status).toBe(200);
    expect(byId.json).toMatchObject({ id: leaf.id, serial: leaf.serial, status: 'active', revokedAt: null });
    const bySerial = await call(`/api/v1/certificates/${leaf.serial.toUpperCase()}/status`, {
      key: org.apiKey,
    });
    expect(bySerial.json.id).toBe(leaf.id);
    const v = await call('/api/v1/certificates/verify', { json: { certificate: leaf.certificate } });
    expect(v.status).toBe(200);
    expect(v.json).toMatchObject({ valid: true, status: 'good', serial: leaf.serial });
    expect(v.json.cga).toEqual({
      assetId: 'aigrc-2025-0a1b2c3d',
      organizationId: org.orgId,
      governanceLevel: 'GOLD',
    });
    const der = await call('/api/v1/certificates/verify', {
      body: Buffer.from(leaf.certificate.replace(/-----[^-]+-----|\s/g, ''), 'base64'),
      type: 'application/pkix-cert',
    });
    expect(der.json.valid).toBe(true);
  });

  it('revokes with a reason: openssl ocsp then says revoked (time, reason) and the CRL lists the serial', async () => {
    const crlBefore = await call('/api/v1/crl');
    expect(crlBefore.status).toBe(200);
    const numberBefore = Number(
      /CRL Number: *\n *(\d+)/.exec(
        (
          await opensslOk([
            'crl',
            '-inform',
            'DER',
            '-in',
            await scratch.write('before.crl', crlBefore.bytes),
            '-noout',
            '-text',
          ])
        ).stdout,
      )![1],
    );

    const r = await call('/api/v1/certificates/revoke', {
      key: org.apiKey,
      json: { serial: leaf.serial, reason: 'keyCompromise' },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ status: 'revoked', revocationReason: 'keyCompromise' });
    expect(r.json.crlNumber).toBe(numberBefore + 1);

    const o = await ocspCheck(leafFile);
    expect(o.all).toContain('Response verify OK');
    expect(o.all).toContain(`${leafFile}: revoked`);
    expect(o.all).toMatch(/Reason: keyCompromise/);
    expect(o.all).toMatch(/Revocation Time: /);

    const crl = await call('/api/v1/crl');
    expect(crl.headers.get('content-type')).toBe('application/pkix-crl');
    const crlFile = await scratch.write('after.crl', crl.bytes);
    const text = await opensslOk([
      'crl',
      '-inform',
      'DER',
      '-in',
      crlFile,
      '-noout',
      '-text',
      '-CAfile',
      issuingFile,
    ]);
    expect(text.all).toContain('verify OK');
    expect(text.stdout).toContain(`Serial Number: ${leaf.serial.toUpperCase()}`);
    expect(text.stdout).toMatch(/Key Compromise/);
    expect(text.stdout).toMatch(new RegExp(`CRL Number: *\\n *${numberBefore + 1}\\b`));

    // the PEM form at its own stable URL, usable by openssl verify -crl_check
    const pem = await call('/api/v1/crl.pem');
    const pemFile = await scratch.write('after.crl.pem', pem.text);
    const v = await openssl([
      'verify',
      '-crl_check',
      '-CRLfile',
      pemFile,
      '-CAfile',
      rootFile,
      '-untrusted',
      issuingFile,
      leafFile,
    ]);
    expect(v.all).toMatch(/certificate revoked/);

    const again = await call('/api/v1/certificates/revoke', {
      key: org.apiKey,
      json: { id: leaf.id, reason: 'superseded' },
    });
    expectEnvelope(again, 409, 'ALREADY_REVOKED');

    const status = await call(`/api/v1/certificates/${leaf.id}/status`, { key: org.apiKey });
    expect(status.json).toMatchObject({ status: 'revoked', revocationReason: 'keyCompromise' });
    const verify = await call('/api/v1/certificates/verify', { json: { certificate: leaf.certificate } });
    expect(verify.json).toMatchObject({ valid: false, status: 'revoked' });
    expect(verify.json.checks.notRevoked).toBe(false);
  });

  it('re-issues the CRL on every revocation, and serves it with an ETag', async () => {
    const { csrPem } = await ecCsr('agent-two', 'URI:urn:aigos:asset:aigrc-2025-0a1b2c3d');
    const second = await call('/api/v1/certificates/sign', {
      key: org.apiKey,
      json: { csr: csrPem, governanceLevel: 'SILVER' },
    });
    expect(second.status, second.text).toBe(201);
    const first = await call('/api/v1/crl');
    const etag = first.headers.get('etag')!;
    const notModified = await fetch(`${base}/api/v1/crl`, { headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);
    const r = await call('/api/v1/certificates/revoke', {
      key: org.apiKey,
      json: { id: second.json.id, reason: 'cessationOfOperation' },
    });
    expect(r.status).toBe(200);
    const next = await call('/api/v1/crl');
    expect(next.headers.get('etag')).not.toBe(etag);
    const text = (
      await opensslOk([
        'crl',
        '-inform',
        'DER',
        '-in',
        await scratch.write('third.crl', next.bytes),
        '-noout',
        '-text',
      ])
    ).stdout;
    expect(text).toContain(`Serial Number: ${second.json.serial.toUpperCase()}`);
    expect(text).toContain(`Serial Number: ${leaf.serial.toUpperCase()}`);
    expect(text).toMatch(/Cessation Of Operation/);
  });

  it('records every issuance and revocation in the audit trail', async () => {
    const rows = await sql<{ action: string; target_id: string; actor_type: string }>(
      org.orgId,
      `SELECT action, target_id, actor_type FROM audit_log WHERE action LIKE 'certificate.%' ORDER BY seq`,
    );
    expect(rows.map((r) => r.action)).toEqual([
      'certificate.issued',
      'certificate.revoked',
      'certificate.issued',
      'certificate.revoked',
    ]);
    expect(rows[0]!.target_id).toBe(leaf.id);
    expect(rows.every((r) => r.actor_type === 'api-key')).toBe(true);
  });
});

describe('agent descriptors', () => {
  let org: OrgFixture;
  beforeAll(async () => {
    org = await createFixtures(dep.databaseUrl, {
      orgSlug: 'ca-descriptor',
      assets: [{ cardId: 'aigrc-2025-desc0001', status: 'registered', score: 70 }],
    });
  });

  it('certifies a given public key (RSA 3072), the compliance score exactly at the threshold', async () => {
    const keyFile = scratch.path('rsa3072.key');
    await opensslOk(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072', '-out', keyFile]);
    const publicKey = (await opensslOk(['pkey', '-in', keyFile, '-pubout'])).stdout;
    const r = await call('/api/v1/certificates/sign', {
      key: org.apiKey,
      json: {
        agent: { assetId: 'aigrc-2025-desc0001', orgId: org.orgId, governanceLevel: 'BRONZE', publicKey },
      },
    });
    expect(r.status, r.text).toBe(201);
    expect(r.json.keyType).toBe('RSA 3072');
    expect(r.json.privateKey).toBeUndefined();
    const certFile = await scratch.write('desc-rsa.pem', r.json.certificate);
    expect((await opensslOk(['x509', '-in', certFile, '-noout', '-pubkey'])).stdout.trim()).toBe(
      publicKey.trim(),
    );
    expect(
      (await openssl(['verify', '-CAfile', rootFile, '-untrusted', issuingFile, certFile])).all,
    ).toContain(': OK');
  });

  it('without a public key, makes an ECDSA P-256 key pair and returns the private key once (no-store)', async () => {
    const r = await call('/api/v1/certificates/sign', {
      key: org.apiKey,
      json: { agent: { assetId: 'aigrc-2025-desc0001', governanceLevel: 'platinum' } },
    });
    expect(r.status, r.text).toBe(201);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.json.privateKey).toMatch(/-----BEGIN PRIVATE KEY-----/);
    const fromKey = createPublicKey(r.json.privateKey).export({ type: 'spki', format: 'der' });
    const certFile = await scratch.write('desc-ec.pem', r.json.certificate);
    const fromCert = createPublicKey(
      (await opensslOk(['x509', '-in', certFile, '-noout', '-pubkey'])).stdout,
    ).export({ type: 'spki', format: 'der' });
    expect(createHash('sha256').update(fromKey).digest('hex')).toBe(
      createHash('sha256').update(fromCert).digest('hex'),
    );
    const stored = await sql<{ pem: string }>(org.orgId, 'SELECT pem FROM certificates WHERE id = $1', [
      r.json.id,
    ]);
    expect(JSON.stringify(stored)).not.toContain('PRIVATE KEY');
  });

  it('refuses an orgId other than the caller\u2019s', async () => {
    const r = await call('/api/v1/certificates/sign', {
      key: org.apiKey,
      json: {
        agent: {
          assetId: 'aigrc-2025-desc0001',
          orgId: '00000000-0000-4000-8000-000000000000',
          governanceLevel: 'GOLD',
        },
      },
    });
    expectEnvelope(r, 403, 'FORBIDDEN');
  });
});

describe('the compliance gate', () => {
  let org: OrgFixture;
  beforeAll(async () => {
    org = await createFixtures(dep.databaseUrl, {
      orgSlug: 'ca-gate',
      assets: [
        {
          cardId: 'aigrc-2025-weak0001',
          status: 'registered',
          score: 55,
          failing: [
            { packId: 'eu-ai-act', controlId: 'ART-14', status: 'fail', reason: 'no human oversight' },
            { packId: 'nist-ai-rmf', controlId: 'GOVERN-1.1', status: 'gap', reason: 'no evidence' },
          ],
        },
        { cardId: 'aigrc-2025-draft001', status: 'draft', score: 95 },
        { cardId: 'aigrc-2025-never001', status: 'registered' },
      ],
    });
  });

  it('refuses a score below the threshold and names the failing controls', async () => {
    const r = await call('/api/v1/certificates/sign', {
      key: org.apiKey,
      json: { agent: { assetId: 'aigrc-2025-weak0001', governanceLevel: 'GOLD' } },
    });
    expectEnvelope(r, 422, 'CERTIFICATION_REFUSED');
    expect(r.json.error.message).toContain('55');
    expect(r.json.error.message).toContain('eu-ai-act/ART-14 (fail)');
    expect(r.json.error.message).toContain('nist-ai-rmf/GOVERN-1.1 (gap)');
    expect(r.json.error.details).toContainEqual({ complianceScore: 55, threshold: 70 });
    expect(r.json.error.details).toContainEqual({
      failingControl: {
        packId: 'eu-ai-act',
        controlId: 'ART-14',
        status: 'fail',
        reason: 'no human oversight',
      },
    });
  });

  it('refuses draft assets, assets never evaluated and unknown assets, storing nothing', async () => {
    const sign = (assetId: string) =>
      call('/api/v1/certificates/sign', {
        key: org.apiKey,
        json: { agent: { assetId, governanceLevel: 'GOLD' } },
      });
    expectEnvelope(await sign('aigrc-2025-draft001'), 409, 'ASSET_NOT_REGISTERED');
    const never = await sign('aigrc-2025-never001');
    expectEnvelope(never, 422, 'CERTIFICATION_REFUSED');
    expect(never.json.error.message).toMatch(/no compliance score/);
    expectEnvelope(await sign('aigrc-2025-nothere1'), 404, 'ASSET_NOT_FOUND');
    expect(await countCerts(org.orgId)).toBe(0);
  });
});

describe('bad input, authentication and organizations', () => {
  let org: OrgFixture;
  let other: OrgFixture;
  let viewer: OrgFixture;
  let issued: { id: string; serial: string };

  beforeAll(async () => {
    org = await createFixtures(dep.databaseUrl, {
      orgSlug: 'ca-input',
      assets: [{ cardId: 'aigrc-2025-input001', status: 'registered', score: 99 }],
    });
    other = await createFixtures(dep.databaseUrl, {
      orgSlug: 'ca-input-other',
      assets: [{ cardId: 'aigrc-2025-input001', status: 'registered', score: 99 }],
    });
    viewer = await createFixtures(dep.databaseUrl, {
      orgSlug: 'ca-input',
      role: 'viewer',
      scopes: ['certificates:read'],
    });
    const r = await call('/api/v1/certificates/sign', {
      key: org.apiKey,
      json: { agent: { assetId: 'aigrc-2025-input001', governanceLevel: 'GOLD' } },
    });
    issued = r.json;
  });

  it('answers malformed CSRs, weak keys and bad PEM with a 4xx envelope and stores nothing', async () => {
    const before = await countCerts(org.orgId);
    const sign = (json: unknown) => call('/api/v1/certificates/sign', { key: org.apiKey, json });
    const weak = await opensslCsr(scratch, 'weak1024', ['-newkey', 'rsa:1024']);
    const weakPub = (await opensslOk(['pkey', '-in', weak.keyFile, '-pubout'])).stdout;
    expectEnvelope(
      await sign({ csr: 'not a csr', assetId: 'aigrc-2025-input001', governanceLevel: 'GOLD' }),
      400,
      'MALFORMED_CSR',
    );
    expectEnvelope(
      await sign({
        csr: '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----',
        assetId: 'aigrc-2025-input001',
        governanceLevel: 'GOLD',
      }),
      400,
      'MALFORMED_CSR',
    );
    const w = await sign({ csr: weak.csrPem, assetId: 'aigrc-2025-input001', governanceLevel: 'GOLD' });
    expectEnvelope(w, 400, 'WEAK_KEY');
    expect(w.json.error.message).toMatch(/1024 bits is too weak; at least 2048/);
    expectEnvelope(
      await sign({ agent: { assetId: 'aigrc-2025-input001', governanceLevel: 'GOLD', publicKey: weakPub } }),
      400,
      'WEAK_KEY',
    );
    expectEnvelope(
      await sign({
        agent: {
          assetId: 'aigrc-2025-input001',
          governanceLevel: 'GOLD',
          publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
        },
      }),
      400,
      'MALFORMED_PUBLIC_KEY',
    );
    const invalid = await sign({ agent: { assetId: '../etc', governanceLevel: 'DIAMOND' } });
    expectEnvelope(invalid, 400, 'VALIDATION_FAILED');
    expect(invalid.json.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'agent.assetId',
      'agent.governanceLevel',
    ]);
    expectEnvelope(
      await sign({ csr: weak.csrPem, agent: { assetId: 'aigrc-2025-input001', governanceLevel: 'GOLD' } }),
      400,
      'VALIDATION_FAILED',
    );
    expectEnvelope(
      await call('/api/v1/certificates/sign', {
        key: org.apiKey,
        body: '{"csr": ',
        type: 'application/json',
      }),
      400,
      'INVALID_JSON',
    );
    expectEnvelope(
      await call('/api/v1/certificates/sign', { key: org.apiKey, body: 'csr=abc', type: 'text/plain' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectEnvelope(
      await sign({ csr: 'A'.repeat(100_000), assetId: 'aigrc-2025-input001', governanceLevel: 'GOLD' }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expect(await countCerts(org.orgId)).toBe(before);
  });

  it('answers malformed OCSP requests, wrong media types and oversized bodies with a 4xx envelope', async () => {
    expectEnvelope(
      await call('/api/v1/ocsp', { body: Buffer.from('garbage'), type: 'application/ocsp-request' }),
      400,
      'MALFORMED_OCSP_REQUEST',
    );
    expectEnvelope(
      await call('/api/v1/ocsp', { body: Buffer.alloc(0), type: 'application/ocsp-request', method: 'POST' }),
      400,
      'MALFORMED_OCSP_REQUEST',
    );
    expectEnvelope(
      await call('/api/v1/ocsp', {
        body: Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]),
        type: 'application/json',
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectEnvelope(
      await call('/api/v1/ocsp', { body: Buffer.alloc(20_000, 0x30), type: 'application/ocsp-request' }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expectEnvelope(await call('/api/v1/ocsp/not*base64!'), 400, 'MALFORMED_OCSP_REQUEST');
    expectEnvelope(
      await call('/api/v1/certificates/verify', { json: { certificate: 'hello' } }),
      400,
      'MALFORMED_CERTIFICATE',
    );
    expectEnvelope(
      await call('/api/v1/certificates/verify', {
        body: Buffer.from([1, 2, 3]),
        type: 'application/pkix-cert',
      }),
      400,
      'MALFORMED_CERTIFICATE',
    );
  });

  it('answers unknown serials and bad revocation requests with a 4xx envelope', async () => {
    const revoke = (json: unknown, key = org.apiKey) => call('/api/v1/certificates/revoke', { key, json });
    expectEnvelope(
      await revoke({ serial: '7fffffffffffffff0000000000000001', reason: 'keyCompromise' }),
      404,
      'CERTIFICATE_NOT_FOUND',
    );
    expectEnvelope(await revoke({ serial: 'zz-not-hex', reason: 'keyCompromise' }), 400, 'VALIDATION_FAILED');
    expectEnvelope(
      await revoke({ serial: issued.serial, reason: 'becauseISaidSo' }),
      400,
      'VALIDATION_FAILED',
    );
    expectEnvelope(
      await revoke({ serial: issued.serial, id: issued.id, reason: 'superseded' }),
      400,
      'VALIDATION_FAILED',
    );
    expectEnvelope(
      await call('/api/v1/certificates/not-an-id!/status', { key: org.apiKey }),
      400,
      'VALIDATION_FAILED',
    );
    expectEnvelope(
      await call('/api/v1/certificates/00000000-0000-4000-8000-000000000000/status', { key: org.apiKey }),
      404,
      'CERTIFICATE_NOT_FOUND',
    );
  });

  it('requires an API key with the certificates scopes for sign, revoke and status', async () => {
    expectEnvelope(
      await call('/api/v1/certificates/sign', {
        json: { agent: { assetId: 'aigrc-2025-input001', governanceLevel: 'GOLD' } },
      }),
      401,
      'UNAUTHENTICATED',
    );
    expectEnvelope(await call(`/api/v1/certificates/${issued.id}/status`), 401, 'UNAUTHENTICATED');
    expectEnvelope(
      await call('/api/v1/certificates/sign', {
        key: viewer.apiKey,
        json: { agent: { assetId: 'aigrc-2025-input001', governanceLevel: 'GOLD' } },
      }),
      403,
      'FORBIDDEN',
    );
    expectEnvelope(
      await call('/api/v1/certificates/revoke', {
        key: viewer.apiKey,
        json: { id: issued.id, reason: 'superseded' },
      }),
      403,
      'FORBIDDEN',
    );
    const asViewer = await call(`/api/v1/certificates/${issued.id}/status`, { key: viewer.apiKey });
    expect(asViewer.status).toBe(200);
  });

  it('keeps organizations apart: another organization can neither see nor revoke the certificate', async () => {
    expectEnvelope(
      await call(`/api/v1/certificates/${issued.id}/status`, { key: other.apiKey }),
      404,
      'CERTIFICATE_NOT_FOUND',
    );
    expectEnvelope(
      await call(`/api/v1/certificates/${issued.serial}/status`, { key: other.apiKey }),
      404,
      'CERTIFICATE_NOT_FOUND',
    );
    expectEnvelope(
      await call('/api/v1/certificates/revoke', {
        key: other.apiKey,
        json: { id: issued.id, reason: 'keyCompromise' },
      }),
      404,
      'CERTIFICATE_NOT_FOUND',
    );
    expect((await sql(other.orgId, 'SELECT id FROM certificates WHERE id = $1', [issued.id])).length).toBe(0);
    // the public status stays public
    const v = await call('/api/v1/certificates/verify', {
      json: { certificate: (issued as unknown as { certificate: string }).certificate },
    });
    expect(v.json).toMatchObject({ valid: true, status: 'good' });
  });

  it('says a certificate from another CA is not valid here', async () => {
    const keyFile = scratch.path('self.key');
    const certFile = scratch.path('self.pem');
    await opensslOk([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      keyFile,
      '-subj',
      '/CN=AIGOS CA',
      '-days',
      '1',
      '-out',
      certFile,
    ]);
    const r = await call('/api/v1/certificates/verify', {
      json: { certificate: await readFile(certFile, 'utf8') },
    });
    expect(r.status).toBe(200);
    expect(r.json.valid).toBe(false);
    expect(r.json.checks.issuedByThisCa).toBe(false);
  });
});

describe('key material at start', () => {
  const freePort = () =>
    new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as { port: number }).port;
        srv.close(() => resolve(port));
      });
    });
  const AIGOS = join(PACKAGE_ROOT, 'dist', 'reference', 'src', 'cli', 'aigos.js');

  it('without key material the CA starts and is ready, but CA routes answer 503 CA_NOT_CONFIGURED', async () => {
    const port = await freePort();
    const child = await startCaProcess(
      { ...withoutCaKeys(dep.serviceEnv), CA_PORT: String(port), LOG_LEVEL: 'warn' },
      scratch.path('unconfigured.log'),
    );
    try {
      const info = await call('/api/v1/info', { url: `http://127.0.0.1:${port}` });
      expectEnvelope(info, 503, 'CA_NOT_CONFIGURED');
      expect(info.json.error.message).toMatch(/aigos-admin secrets generate/);
      expect((await call('/api/v1/health', { url: `http://127.0.0.1:${port}` })).status).toBe(200);
    } finally {
      await stopProcess(child);
    }
  });

  it('a key that does not match its certificate stops the CA with one line naming the variable (exit 78)', async () => {
    if (!dep.files) return; // the CA's key files are unknown (a configured target that does not name them)
    const env = {
      ...caEnv(dep.serviceEnv, dep.files, dep.caUrl),
      CA_PORT: String(await freePort()),
      SIGNING_KEY_PATH: dep.files.ocspKey,
      CA_ISSUING_CERT_PATH: dep.files.issuingCert,
    };
    const r = await runNode([AIGOS, 'serve', 'ca'], env, 30_000);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(
      /^aigos ca: configuration error: SIGNING_KEY_PATH .*does not match the issuing CA certificate/m,
    );
    expect(r.stderr).not.toMatch(/PRIVATE KEY/);
  });
});

describe('replicas', () => {
  it('a revocation on one CA replica shows in the OCSP answers of another at once (status cache invalidation)', async () => {
    if (!dep.files) return; // needs the key files to start a second replica
    const org = await createFixtures(dep.databaseUrl, {
      orgSlug: 'ca-replicas',
      assets: [{ cardId: 'aigrc-2025-repl0001', status: 'registered', score: 90 }],
    });
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const replica = await startCaProcess(
      { ...caEnv(dep.serviceEnv, dep.files, dep.caUrl), CA_PORT: String(port) },
      scratch.path('replica.log'),
    );
    try {
      const issued = await call('/api/v1/certificates/sign', {
        key: org.apiKey,
        json: { agent: { assetId: 'aigrc-2025-repl0001', governanceLevel: 'GOLD' } },
      });
      expect(issued.status, issued.text).toBe(201);
      const certFile = await scratch.write('replica-leaf.pem', issued.json.certificate);
      const replicaUrl = `http://127.0.0.1:${port}/api/v1/ocsp`;
      // the replica answers from its cache only while subscribed to invalidations
      let cache = '';
      for (let i = 0; i < 40 && cache !== 'live'; i++) {
        cache = (await call('/api/v1/info', { url: `http://127.0.0.1:${port}` })).json.ocspStatusCache;
        if (cache !== 'live') await new Promise((r) => setTimeout(r, 50));
      }
      expect(cache).toBe('live');
      // twice: the second answer comes from the replica's cache
      for (let i = 0; i < 2; i++)
        expect((await ocspCheck(certFile, replicaUrl)).all).toContain(`${certFile}: good`);
      const revoked = await call('/api/v1/certificates/revoke', {
        key: org.apiKey,
        json: { id: issued.json.id, reason: 'affiliationChanged' },
      });
      expect(revoked.status).toBe(200);
      // the message crosses Redis asynchronously; allow it a moment
      let answer = '';
      for (let i = 0; i < 20 && !answer.includes(': revoked'); i++) {
        answer = (await ocspCheck(certFile, replicaUrl)).all;
        if (!answer.includes(': revoked')) await new Promise((r) => setTimeout(r, 50));
      }
      expect(answer).toContain(`${certFile}: revoked`);
      expect(answer).toMatch(/Reason: affiliationChanged/);
    } finally {
      await stopProcess(replica);
    }
  });
});
