// The CA's certificate machinery without a deployment: the hierarchy made by
// `secrets generate`, CGA leaves from CSRs, the CRL and OCSP responses, each judged by
// the openssl CLI. The RSA-4096 root is generated once for the file.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSecrets } from '../../reference/src/ca/provision.js';
import { claimsFromUris } from '../../reference/src/ca/pki/cga.js';
import { buildCrl } from '../../reference/src/ca/pki/crl.js';
import { buildLeaf, type RevocationUrls } from '../../reference/src/ca/pki/leaf.js';
import { type CaMaterial, loadCaMaterial } from '../../reference/src/ca/pki/material.js';
import {
  isOurIssuer,
  parseOcspRequest,
  requestedSerial,
  signOcspResponse,
} from '../../reference/src/ca/pki/ocsp.js';
import { normalizeSerial, randomSerial } from '../../reference/src/ca/pki/serial.js';
import { BadKeyMaterial, parseCsr, publicKeyFromPem } from '../../reference/src/ca/pki/subject-key.js';
import { PATH_VARIABLES } from '../../reference/src/ca/settings.js';
import { x509 } from '../../reference/src/ca/pki/x509.js';
import { caFiles } from '../../scripts/ca-deployment.js';
import { openssl, opensslCsr, opensslOk, Scratch } from './openssl.js';

const URLS: RevocationUrls = {
  ocsp: 'http://ca.example.test/api/v1/ocsp',
  crl: 'http://ca.example.test/api/v1/crl',
  caIssuers: 'http://ca.example.test/api/v1/ca/issuing.crt',
};
const ORG = '6cc7f7b4-4cee-4142-b142-2d42638e1316';

let scratch: Scratch;
let ca: CaMaterial;
let files: ReturnType<typeof caFiles>;

async function leafFromCsr(csrPem: string, assetId = 'aigrc-2025-0a1b2c3d') {
  const csr = await parseCsr(csrPem);
  return buildLeaf(ca, {
    key: csr.key,
    commonName: 'Support Agent',
    claims: { assetId, organizationId: ORG, governanceLevel: 'GOLD' },
    validityDays: 365,
    urls: URLS,
  });
}

async function expectBad(p: Promise<unknown>, code: string) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BadKeyMaterial);
  expect((err as BadKeyMaterial).code).toBe(code);
}

beforeAll(async () => {
  scratch = await Scratch.create();
  await provisionSecrets({ dir: scratch.path('deploy') });
  files = caFiles(scratch.path('deploy'));
  ca = await loadCaMaterial(
    {
      rootCert: files.rootCert,
      issuingCert: files.issuingCert,
      issuingKey: files.issuingKey,
      ocspCert: files.ocspCert,
      ocspKey: files.ocspKey,
    },
    PATH_VARIABLES,
  );
});

afterAll(async () => {
  await scratch?.remove();
});

describe('CA hierarchy', () => {
  it('has an RSA-4096 root valid for ten years and an ECDSA P-256 issuing CA signed by it', async () => {
    const root = await opensslOk(['x509', '-in', files.rootCert, '-noout', '-text']);
    expect(root.stdout).toMatch(/Public-Key: \(4096 bit\)/);
    expect(root.stdout).toMatch(/CA:TRUE/);
    expect(root.stdout).toMatch(/Certificate Sign, CRL Sign/);
    const days = (ca.root.notAfter.getTime() - ca.root.notBefore.getTime()) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(3650);
    const issuing = await opensslOk(['x509', '-in', files.issuingCert, '-noout', '-text']);
    expect(issuing.stdout).toMatch(/NIST CURVE: P-256/);
    expect(issuing.stdout).toMatch(/CA:TRUE, pathlen:0/);
    expect(issuing.stdout).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
    const v = await openssl(['verify', '-CAfile', files.rootCert, files.issuingCert]);
    expect(v.all).toContain(': OK');
  });

  it('has a delegated OCSP responder certificate (OCSP Signing, no-check) that chains to the root', async () => {
    const text = (await opensslOk(['x509', '-in', files.ocspCert, '-noout', '-text'])).stdout;
    expect(text).toMatch(/Extended Key Usage: *\n *OCSP Signing/);
    expect(text).toMatch(/OCSP No Check/);
    expect(text).toMatch(/CA:FALSE/);
    const v = await openssl([
      'verify',
      '-CAfile',
      files.rootCert,
      '-untrusted',
      files.issuingCert,
      '-purpose',
      'ocsphelper',
      files.ocspCert,
    ]);
    expect(v.all).toContain(': OK');
  });
});

describe('CGA leaf certificates', () => {
  it('issues from an openssl CSR a certificate `openssl verify` accepts, with the CGA claims as SAN URIs', async () => {
    const { csrPem } = await opensslCsr(scratch, 'ec-leaf', [
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
    ]);
    const leaf = await leafFromCsr(csrPem);
    const file = await scratch.write('ec-leaf.pem', leaf.pem);
    const v = await openssl(['verify', '-CAfile', files.rootCert, '-untrusted', files.issuingCert, file]);
    expect(v.all).toContain(`${file}: OK`);
    const v2 = await openssl([
      'verify',
      '-CAfile',
      files.rootCert,
      '-untrusted',
      files.issuingCert,
      '-purpose',
      'sslclient',
      file,
    ]);
    expect(v2.all).toContain(`${file}: OK`);

    const text = (await opensslOk(['x509', '-in', file, '-noout', '-text'])).stdout;
    expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature\n/);
    expect(text).toMatch(/TLS Web Client Authentication, TLS Web Server Authentication/);
    expect(text).toContain(
      `URI:urn:aigos:asset:aigrc-2025-0a1b2c3d, URI:urn:aigos:org:${ORG}, URI:urn:aigos:cga-level:GOLD`,
    );
    expect(text).toContain(`OCSP - URI:${URLS.ocsp}`);
    expect(text).toContain(`CA Issuers - URI:${URLS.caIssuers}`);
    expect(text).toContain(`URI:${URLS.crl}`);
    expect(text).toContain('Subject Key Identifier');
    // AKI of the leaf = SKI of the issuing CA
    const ski = (
      await opensslOk(['x509', '-in', files.issuingCert, '-noout', '-ext', 'subjectKeyIdentifier'])
    ).stdout
      .split('\n')[1]!
      .trim();
    expect(text).toMatch(new RegExp(`Authority Key Identifier: *\\n *(keyid:)?${ski}`));
    expect(text).toMatch(
      /Subject: O = 6cc7f7b4-4cee-4142-b142-2d42638e1316, OU = CGA GOLD, CN = Support Agent/,
    );

    const san = leaf.cert.getExtension(x509.SubjectAlternativeNameExtension)!;
    expect(claimsFromUris(san.names.items.map((n) => n.value))).toEqual({
      assetId: 'aigrc-2025-0a1b2c3d',
      organizationId: ORG,
      governanceLevel: 'GOLD',
    });
    const days = (leaf.notAfter.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThanOrEqual(365);
  });

  it('accepts RSA 2048, P-384 and Ed25519 keys, with key encipherment only for RSA', async () => {
    for (const [name, newkey, ku] of [
      ['rsa2048', ['-newkey', 'rsa:2048'], /Digital Signature, Key Encipherment/],
      ['p384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], /Digital Signature\n/],
      ['ed25519', ['-newkey', 'ed25519'], /Digital Signature\n/],
    ] as const) {
      const { csrPem } = await opensslCsr(scratch, name, [...newkey]);
      const leaf = await leafFromCsr(csrPem);
      const file = await scratch.write(`${name}.pem`, leaf.pem);
      const v = await openssl(['verify', '-CAfile', files.rootCert, '-untrusted', files.issuingCert, file]);
      expect(v.all, name).toContain(`${file}: OK`);
      expect((await opensslOk(['x509', '-in', file, '-noout', '-text'])).stdout, name).toMatch(ku);
    }
  });

  it('reads the asset from a urn:aigos:asset SAN URI in the CSR', async () => {
    const { csrPem } = await opensslCsr(
      scratch,
      'san',
      ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      {
        san: 'URI:urn:aigos:asset:aigrc-2025-feedbeef',
      },
    );
    expect((await parseCsr(csrPem)).assetId).toBe('aigrc-2025-feedbeef');
  });

  it('refuses weak keys, malformed CSRs and CSRs whose signature does not verify', async () => {
    const weak = await opensslCsr(scratch, 'rsa1024', ['-newkey', 'rsa:1024']);
    await expectBad(parseCsr(weak.csrPem), 'WEAK_KEY');
    await expectBad(
      parseCsr('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'),
      'MALFORMED_CSR',
    );
    await expectBad(parseCsr('hello'), 'MALFORMED_CSR');
    const good = await opensslCsr(scratch, 'tamper', [
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
    ]);
    const der = Buffer.from(good.csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 3]! ^= 0x01; // inside the signature value
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expectBad(parseCsr(tampered), 'CSR_SIGNATURE_INVALID');
    const weakPub = (await opensslOk(['pkey', '-in', weak.keyFile, '-pubout'])).stdout;
    expect(() => publicKeyFromPem(weakPub)).toThrow(/too weak/);
    expect(() => publicKeyFromPem('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')).toThrow(
      BadKeyMaterial,
    );
  });
});

describe('serial numbers', () => {
  it('are 16 random bytes, positive, canonical and distinct (127 bits of entropy)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const s = randomSerial();
      expect(s).toMatch(/^[0-7][0-9a-f]{31}$/);
      expect(s.startsWith('00')).toBe(false);
      expect(normalizeSerial(s)).toBe(s);
      seen.add(s);
    }
    expect(seen.size).toBe(2000);
    expect(normalizeSerial('00:AB:cd')).toBe('abcd');
    expect(normalizeSerial('0x0102')).toBe('0102');
    expect(normalizeSerial('xyz')).toBeUndefined();
  });
});

describe('CRL', () => {
  it('is signed by the issuing CA and lists revoked serials with their reasons (openssl crl)', async () => {
    const serial = randomSerial();
    const der = await buildCrl(ca, {
      number: 7,
      thisUpdate: new Date(),
      nextUpdate: new Date(Date.now() + 7 * 86_400_000),
      entries: [
        { serial, revokedAt: new Date(), reason: 'keyCompromise' },
        { serial: '0badc0de', revokedAt: new Date(), reason: 'unspecified' },
      ],
    });
    const file = await scratch.write('crl.der', der);
    const out = await opensslOk([
      'crl',
      '-inform',
      'DER',
      '-in',
      file,
      '-noout',
      '-text',
      '-CAfile',
      files.issuingCert,
    ]);
    expect(out.all).toContain('verify OK');
    expect(out.stdout).toContain(`Serial Number: ${serial.toUpperCase()}`);
    expect(out.stdout).toMatch(/X509v3 CRL Number: *\n *7/);
    expect(out.stdout).toMatch(/Key Compromise/);
    expect(out.stdout).toContain('Serial Number: 0BADC0DE');
  });
});

describe('OCSP responses', () => {
  it('answer an openssl request good, then revoked with time and reason, echoing the nonce (openssl ocsp)', async () => {
    const { csrPem } = await opensslCsr(scratch, 'ocsp-leaf', [
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
    ]);
    const leaf = await leafFromCsr(csrPem);
    const leafFile = await scratch.write('ocsp-leaf.pem', leaf.pem);
    const reqFile = scratch.path('ocsp-req.der');
    await opensslOk(['ocsp', '-issuer', files.issuingCert, '-cert', leafFile, '-reqout', reqFile]);
    const req = parseOcspRequest(await readFile(reqFile));
    expect(req.nonce).toBeDefined();
    const cache = new Map<string, [Buffer, Buffer]>();
    expect(isOurIssuer(ca, req.certIds[0]!, cache)).toBe(true);
    expect(requestedSerial(req.certIds[0]!)).toBe(leaf.serial);

    const good = signOcspResponse(ca, [{ certId: req.certIds[0]!, status: { status: 'good' } }], req.nonce);
    const goodFile = await scratch.write('good.der', good);
    // -reqin checks the nonce against the request; -CAfile builds the responder chain
    const nonceOk = await openssl([
      'ocsp',
      '-reqin',
      reqFile,
      '-respin',
      goodFile,
      '-CAfile',
      files.rootCert,
    ]);
    expect(nonceOk.all).toContain('Response verify OK');
    const g = await openssl([
      'ocsp',
      '-respin',
      goodFile,
      '-issuer',
      files.issuingCert,
      '-cert',
      leafFile,
      '-CAfile',
      files.rootCert,
      '-no_nonce',
    ]);
    expect(g.all).toContain('Response verify OK');
    expect(g.all).toContain(`${leafFile}: good`);

    const revokedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const revoked = signOcspResponse(
      ca,
      [{ certId: req.certIds[0]!, status: { status: 'revoked', revokedAt, reason: 'keyCompromise' } }],
      req.nonce,
    );
    const r = await openssl([
      'ocsp',
      '-respin',
      await scratch.write('revoked.der', revoked),
      '-issuer',
      files.issuingCert,
      '-cert',
      leafFile,
      '-CAfile',
      files.rootCert,
      '-no_nonce',
    ]);
    expect(r.all).toContain('Response verify OK');
    expect(r.all).toContain(`${leafFile}: revoked`);
    expect(r.all).toMatch(/Reason: keyCompromise/);

    const unknown = signOcspResponse(
      ca,
      [{ certId: req.certIds[0]!, status: { status: 'unknown' } }],
      undefined,
    );
    const u = await openssl([
      'ocsp',
      '-respin',
      await scratch.write('unknown.der', unknown),
      '-issuer',
      files.issuingCert,
      '-cert',
      leafFile,
      '-CAfile',
      files.rootCert,
      '-no_nonce',
    ]);
    expect(u.all).toContain(`${leafFile}: unknown`);
  });

  it('treats a CertID of another issuer as not ours', async () => {
    const other = await Scratch.create();
    try {
      await opensslOk([
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        other.path('o.key'),
        '-subj',
        '/CN=Other CA',
        '-out',
        other.path('o.crt'),
        '-days',
        '1',
      ]);
      const { csrPem } = await opensslCsr(scratch, 'foreign', [
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
      ]);
      const leaf = await leafFromCsr(csrPem);
      const leafFile = await scratch.write('foreign.pem', leaf.pem);
      await opensslOk([
        'ocsp',
        '-issuer',
        other.path('o.crt'),
        '-cert',
        leafFile,
        '-reqout',
        other.path('r.der'),
      ]);
      const req = parseOcspRequest(await readFile(other.path('r.der')));
      expect(isOurIssuer(ca, req.certIds[0]!, new Map())).toBe(false);
    } finally {
      await other.remove();
    }
  });
});

describe('key material loading', () => {
  it('names the variable of a file that does not belong', async () => {
    const err = await loadCaMaterial(
      {
        rootCert: files.rootCert,
        issuingCert: files.issuingCert,
        issuingKey: files.ocspKey, // the wrong key
        ocspCert: files.ocspCert,
        ocspKey: files.ocspKey,
      },
      PATH_VARIABLES,
    ).catch((e: Error & { variable?: string }) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { variable?: string }).variable).toBe('SIGNING_KEY_PATH');
    expect((err as Error).message).toMatch(/does not match the issuing CA certificate/);
  });

  it('uses x509 with a working Reflect polyfill (chain builder)', async () => {
    const chain = await new x509.X509ChainBuilder({ certificates: [ca.issuing, ca.root] }).build(ca.issuing);
    expect(chain.length).toBe(2);
  });
});
