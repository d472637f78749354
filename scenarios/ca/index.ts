// Suite ca: the CA service as contracts §4 describes it, through the public URL (/ca/).
// GET info (issuer name, the chain as PEM: root and issuing CA, OCSP and CRL URLs) and the
// CRL; the seed's figures for the root (RSA 4096, 3650 days). Then the life of one
// certificate (certificates.ts): issued for a compliant registered asset (and refused
// while the asset is a draft), its chain verified (node's X.509 and openssl verify), and
// OCSP answering good, then revoked after revocation (openssl ocsp judges both).
import { X509Certificate } from 'node:crypto';
import type { Scenario, Suite } from '../../harness/src/runner/scenario.js';
import { chain, issue, ocsp } from './certificates.js';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const FIX =
  'The CA service must follow contracts.md §4: GET /api/v1/info with the issuer name, the CA chain as PEM (root and issuing CA) and the OCSP and CRL URLs.';

interface Info {
  issuerName?: unknown;
  chain?: unknown;
  chainPem?: unknown;
  ocspUrl?: unknown;
  crlUrl?: unknown;
}

const info: Scenario = {
  id: 'ca.info',
  title: 'CA info: issuer, chain (root and issuing CA) that verifies, OCSP and CRL URLs; CRL served',
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    const res = await ctx.http({ url: '/ca/api/v1/info', headers: { Accept: 'application/json' } });
    const body = res.json<Info>();
    ctx.check({
      id: 'info',
      title: 'GET /ca/api/v1/info answers JSON with the issuer name',
      pass: res.status === 200 && typeof body?.issuerName === 'string' && body.issuerName.length > 0,
      expected: '200 with issuerName',
      actual:
        res.status === 200
          ? `issuerName=${JSON.stringify(body?.issuerName ?? null)}`
          : `${res.error ?? res.status}: ${res.json<{ error?: { message?: string } }>()?.error?.message ?? res.text.slice(0, 200)}`,
      remediation: FIX,
      evidence: [res],
    });
    const pemText = [
      ...(Array.isArray(body?.chain) ? body.chain.filter((x): x is string => typeof x === 'string') : []),
      typeof body?.chainPem === 'string' ? body.chainPem : '',
    ].join('\n');
    const certs = [...new Set(pemText.match(PEM_BLOCK) ?? [])].map((p) => {
      try {
        return new X509Certificate(p);
      } catch {
        return undefined;
      }
    });
    const parsed = certs.filter((c): c is X509Certificate => c !== undefined);
    const root = parsed.find((c) => c.ca && c.subject === c.issuer && c.verify(c.publicKey));
    const issuing = parsed.find(
      (c) => c.ca && c !== root && root !== undefined && c.checkIssued(root) && c.verify(root.publicKey),
    );
    ctx.check({
      id: 'chain',
      title: 'the chain holds a self-signed root and an issuing CA signed by it',
      pass: root !== undefined && issuing !== undefined,
      expected: 'root (self-signed CA) + issuing CA verified by the root',
      actual: parsed.map(
        (c) => `${c.subject.replace(/\n/g, ', ')} (issuer ${c.issuer.replace(/\n/g, ', ')})`,
      ),
      remediation: FIX,
      evidence: [res],
    });
    if (root) {
      const details = root.publicKey.asymmetricKeyDetails;
      const days = Math.round((Date.parse(root.validTo) - Date.parse(root.validFrom)) / 86_400_000);
      ctx.check({
        id: 'root-strength',
        title: "the root follows the seed's figures: RSA 4096, about 3650 days",
        pass: root.publicKey.asymmetricKeyType === 'rsa' && details?.modulusLength === 4096 && days >= 3649,
        expected: 'RSA 4096, >= 3650 days',
        actual: `${root.publicKey.asymmetricKeyType} ${details?.modulusLength ?? details?.namedCurve ?? ''}, ${days} days`,
        remediation: 'Create the root CA with an RSA 4096 key and a 10-year validity (CP-02 §4.4).',
      });
    }
    for (const field of ['ocspUrl', 'crlUrl'] as const) {
      const v = body?.[field];
      let ok = false;
      try {
        ok = typeof v === 'string' && /^https?:$/.test(new URL(v).protocol);
      } catch {
        ok = false;
      }
      ctx.check({
        id: field,
        title: `info names the ${field === 'ocspUrl' ? 'OCSP' : 'CRL'} URL`,
        pass: ok,
        expected: 'an http(s) URL',
        actual: v ?? 'absent',
        remediation: FIX,
        evidence: [res],
      });
    }
    const crl = await ctx.http({ url: '/ca/api/v1/crl', headers: { Accept: 'application/pkix-crl' } });
    ctx.check({
      id: 'crl',
      title: 'the CRL is served (GET /ca/api/v1/crl)',
      pass: crl.status === 200 && crl.exchange.responseBody.length > 0,
      expected: '200 with a DER CRL',
      actual: `${crl.error ?? crl.status} ${crl.headers['content-type'] ?? ''} ${crl.exchange.responseBody.length} bytes`,
      remediation: FIX,
      evidence: [crl],
    });
  },
};

export const suite: Suite = {
  id: 'ca',
  title: 'CA service (contracts.md §4): info, issuance, chain, OCSP and revocation',
  scenarios: [info, issue, chain, ocsp],
};
