// The life of one CGA certificate through the public URL (contracts §4), in three
// scenarios that share what the first one issued:
//   ca.issue   a registered asset card whose compliance score reaches the threshold gets a
//              certificate for the harness's own P-256 key (POST certificates/sign with an
//              agent descriptor); while the card is a draft it is refused
//   ca.chain   the certificate chains to the published root through the issuing CA (node's
//              X.509 and `openssl verify`), and POST certificates/verify agrees
//   ca.ocsp    OCSP (RFC 6960, DER over POST) answers good; after POST certificates/revoke
//              it answers revoked with the reason, the status route says revoked and the
//              CRL lists the serial (`openssl ocsp` and `openssl crl` judge)
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import type { HttpResult } from '../../harness/src/drivers/http.js';
import { hasOpenssl, openssl, Scratch } from '../../harness/src/drivers/openssl.js';
import type { Scenario, ScenarioContext } from '../../harness/src/runner/scenario.js';
import { adminAuth } from '../cp-02/accounts.js';

/** The seed's compliance alert threshold, the CA's default CA_COMPLIANCE_THRESHOLD. */
export const COMPLIANCE_THRESHOLD = 70;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const FIX =
  'The CA service must follow contracts.md §4: POST /api/v1/certificates/sign (CSR or agent descriptor) for a registered, compliant asset, POST certificates/verify, POST certificates/revoke, GET certificates/:id/status, POST ocsp (RFC 6960, DER) and a CRL.';

interface Issued {
  id: string;
  serial: string;
  assetId: string;
  leafPem: string;
}

/** What ca.issue issued in this run, per target. */
const issuedFor = new WeakMap<object, Issued>();

const errorCode = (r: HttpResult) => r.json<{ error?: { code?: string } }>()?.error?.code;
const brief = (r: HttpResult) =>
  `${r.error ?? r.status}${r.status >= 400 ? ` ${errorCode(r) ?? ''} ${r.json<{ error?: { message?: string } }>()?.error?.message ?? r.text.slice(0, 160)}` : ''}`.trim();

/** A minimal-risk card with everything the built-in packs ask of it (description, rationale, a linked golden thread). */
function probeCard(id: string): Record<string, unknown> {
  return {
    id,
    name: 'aigos-harness certification probe',
    description:
      'Extracts totals and due dates from supplier invoices; created by the acceptance harness to exercise certificate issuance.',
    version: '1.0.0',
    owner: { name: 'aigos-harness', email: 'aigos-harness@example.com', team: 'Acceptance' },
    technical: { type: 'pipeline', framework: 'transformers' },
    classification: {
      riskLevel: 'minimal',
      rationale: 'Back-office extraction with human review; no decisions about people.',
      riskFactors: {
        autonomousDecisions: false,
        customerFacing: false,
        toolExecution: false,
        externalDataAccess: false,
        piiProcessing: 'no',
        highStakesDecisions: false,
      },
    },
    jurisdictions: ['EU'],
    goldenThread: {
      system: 'gitlab',
      ref: 'acceptance#1',
      url: 'https://gitlab.example.com/acceptance/-/issues/1',
    },
    governance: { status: 'approved', approvals: [] },
  };
}

/** The root (self-signed) and issuing CA of GET /ca/api/v1/info. */
async function publishedChain(
  ctx: ScenarioContext,
): Promise<{ root?: X509Certificate; issuing?: X509Certificate; res: HttpResult }> {
  const res = await ctx.http({ url: '/ca/api/v1/info', headers: { Accept: 'application/json' } });
  const body = res.json<{ chain?: unknown; chainPem?: unknown }>();
  const text = [
    ...(Array.isArray(body?.chain) ? body.chain.filter((x): x is string => typeof x === 'string') : []),
    typeof body?.chainPem === 'string' ? body.chainPem : '',
  ].join('\n');
  const certs = [...new Set(text.match(PEM_BLOCK) ?? [])].flatMap((p) => {
    try {
      return [new X509Certificate(p)];
    } catch {
      return [];
    }
  });
  const root = certs.find((c) => c.ca && c.subject === c.issuer && c.verify(c.publicKey));
  const issuing = certs.find(
    (c) => c.ca && root && c !== root && c.checkIssued(root) && c.verify(root.publicKey),
  );
  return { root, issuing, res };
}

function issuedOrSkip(ctx: ScenarioContext): Issued {
  const issued = issuedFor.get(ctx.target);
  if (!issued) return ctx.skip('needs the certificate ca.issue issues in the same run');
  return issued;
}

export const issue: Scenario = {
  id: 'ca.issue',
  title:
    'A certificate is issued for a registered asset whose compliance score reaches the threshold (not for a draft)',
  dependsOn: ['cp-02.health', 'ca.info'],
  timeoutMs: 30_000,
  async run(ctx) {
    const admin = await adminAuth(ctx);
    const headers = { Accept: 'application/json', ...admin.headers };
    const assetId = `aigrc-${new Date().getUTCFullYear()}-${randomBytes(4).toString('hex')}`;
    const created = await ctx.http({
      method: 'POST',
      url: '/api/v1/assets',
      headers,
      json: probeCard(assetId),
      label: 'register the probe asset card',
    });
    ctx.check({
      id: 'asset-created',
      title: 'an asset card is created (POST /api/v1/assets)',
      pass: created.status === 201,
      expected: 201,
      actual: brief(created),
      remediation: 'POST /api/v1/assets must accept a valid asset card from an editor or admin.',
      evidence: [created],
    });
    if (created.status !== 201) return;
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const sign = (label: string) =>
      ctx.http({
        method: 'POST',
        url: '/ca/api/v1/certificates/sign',
        headers,
        json: { agent: { assetId, governanceLevel: 'SILVER', publicKey: publicKeyPem } },
        label,
      });
    const draft = await sign('sign while the asset is a draft');
    ctx.check({
      id: 'draft-refused',
      title: 'no certificate for an asset that is still a draft',
      pass: draft.status === 409 || draft.status === 422,
      expected: '409 ASSET_NOT_REGISTERED',
      actual: brief(draft),
      remediation:
        'The CA must certify registered assets only (draft -> registered is the governance decision); refuse others with the reason.',
      evidence: [draft],
    });
    const registered = await ctx.http({
      method: 'POST',
      url: `/api/v1/assets/${assetId}/lifecycle`,
      headers,
      json: { status: 'registered' },
      label: 'register the asset',
    });
    const compliance = await ctx.http({ url: `/api/v1/compliance/assets/${assetId}`, headers });
    const score = compliance.json<{ score?: number | null }>()?.score;
    ctx.metric('complianceScore', score);
    ctx.check({
      id: 'compliant',
      title: `the registered asset's compliance score reaches ${COMPLIANCE_THRESHOLD} (the seed's threshold)`,
      pass: registered.status === 200 && typeof score === 'number' && score >= COMPLIANCE_THRESHOLD,
      expected: `registered, score >= ${COMPLIANCE_THRESHOLD}`,
      actual: { register: brief(registered), score: score ?? null },
      remediation:
        'Registration and evaluation against the active policy packs must give this complete, minimal-risk card a passing score: check that the built-in packs are imported and active (cp-02.default-packs).',
      evidence: [registered, compliance],
    });
    const signed = await sign('sign the registered asset');
    const body = signed.json<{
      id?: string;
      serial?: string;
      certificate?: string;
      status?: string;
      notBefore?: string;
      notAfter?: string;
    }>();
    let leaf: X509Certificate | undefined;
    try {
      leaf = body?.certificate ? new X509Certificate(body.certificate) : undefined;
    } catch {
      leaf = undefined;
    }
    ctx.check({
      id: 'issued',
      title: 'POST /ca/api/v1/certificates/sign issues a certificate (201) for the asset',
      pass: signed.status === 201 && leaf !== undefined && Boolean(body?.id && body.serial),
      expected: '201 with certificate (PEM), id and serial',
      actual:
        signed.status === 201 ? { id: body?.id, serial: body?.serial, status: body?.status } : brief(signed),
      remediation:
        signed.status === 422 ? `${FIX} The refusal names the failing controls: see the evidence.` : FIX,
      evidence: [signed],
    });
    if (!leaf || !body?.id || !body.serial) return;
    const names = `${leaf.subject}\n${leaf.subjectAltName ?? ''}`;
    ctx.check({
      id: 'our-key-and-asset',
      title: 'the certificate binds the harness’s public key to the asset id',
      pass:
        leaf.publicKey.export({ type: 'spki', format: 'pem' }).toString() === publicKeyPem &&
        names.includes(assetId),
      expected: { publicKey: 'the one sent', names: `... ${assetId} ...` },
      actual: { subject: leaf.subject.replace(/\n/g, ', '), subjectAltName: leaf.subjectAltName ?? null },
      remediation: FIX,
      evidence: [signed],
    });
    const days = Math.round((Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86_400_000);
    ctx.check({
      id: 'validity',
      title: "valid now, for the seed's 365 days (CA_VALIDITY_DAYS)",
      pass:
        Date.parse(leaf.validFrom) <= Date.now() + 60_000 &&
        Date.now() < Date.parse(leaf.validTo) &&
        days >= 364 &&
        days <= 366,
      expected: '365 days, starting now',
      actual: { validFrom: leaf.validFrom, validTo: leaf.validTo, days },
      remediation: 'Issue CGA certificates for CA_VALIDITY_DAYS (365 by default, seed CP-02 §4.3).',
    });
    issuedFor.set(ctx.target, { id: body.id, serial: body.serial, assetId, leafPem: body.certificate! });
  },
};

export const chain: Scenario = {
  id: 'ca.chain',
  title:
    'The issued certificate chains to the published root through the issuing CA (node X.509, openssl verify)',
  dependsOn: ['ca.issue'],
  timeoutMs: 30_000,
  async run(ctx) {
    const issued = issuedOrSkip(ctx);
    const leaf = new X509Certificate(issued.leafPem);
    const { root, issuing, res } = await publishedChain(ctx);
    ctx.check({
      id: 'node-x509',
      title: 'the leaf is issued and signed by the issuing CA, which the self-signed root signed',
      pass:
        root !== undefined &&
        issuing !== undefined &&
        leaf.checkIssued(issuing) &&
        leaf.verify(issuing.publicKey),
      expected: 'leaf <- issuing CA <- root',
      actual: {
        leafIssuer: leaf.issuer.replace(/\n/g, ', '),
        issuing: issuing?.subject.replace(/\n/g, ', ') ?? 'not published',
        root: root?.subject.replace(/\n/g, ', ') ?? 'not published',
      },
      remediation: FIX,
      evidence: [res],
    });
    if (await hasOpenssl()) {
      const scratch = await Scratch.create();
      try {
        const args = ['verify', '-CAfile', await scratch.write('root.pem', root?.toString() ?? '')];
        if (issuing) args.push('-untrusted', await scratch.write('issuing.pem', issuing.toString()));
        args.push(await scratch.write('leaf.pem', issued.leafPem));
        const r = await openssl(args, { signal: ctx.signal });
        const ev = await ctx.evidence(
          'openssl verify',
          `$ openssl ${args.map((a) => a.replace(scratch.dir + '/', '')).join(' ')}\n${r.output}(exit ${r.code})\n`,
          'command-output',
        );
        ctx.check({
          id: 'openssl-verify',
          title: 'openssl verify accepts the chain (root as the only trust anchor)',
          pass: r.code === 0 && /leaf\.pem: OK/.test(r.output),
          expected: 'leaf.pem: OK',
          actual: r.output.trim().split('\n').slice(-2).join(' | '),
          remediation: FIX,
          evidence: [ev],
        });
      } finally {
        await scratch.dispose();
      }
    } else
      ctx.check({
        id: 'openssl-verify',
        title: 'openssl verify accepts the chain',
        status: 'skipped',
        skipReason: 'needs the openssl command (apt-get install -y openssl); node’s X.509 verified the chain',
      });
    const verify = await ctx.http({
      method: 'POST',
      url: '/ca/api/v1/certificates/verify',
      headers: { Accept: 'application/json' },
      json: { certificate: issued.leafPem },
    });
    const v = verify.json<{ valid?: boolean; status?: string }>();
    ctx.check({
      id: 'ca-verify',
      title: 'POST /ca/api/v1/certificates/verify says the certificate is valid',
      pass: verify.status === 200 && v?.valid === true,
      expected: { valid: true },
      actual: verify.status === 200 ? { valid: v?.valid, status: v?.status } : brief(verify),
      remediation: FIX,
      evidence: [verify],
    });
  },
};

/** An OCSP request made by openssl, POSTed through the public URL, judged by openssl. */
async function ocspStatus(
  ctx: ScenarioContext,
  scratch: Scratch,
  label: string,
): Promise<{ res: HttpResult; verdict: string; output: string }> {
  const req = await openssl(
    [
      'ocsp',
      '-issuer',
      scratch.path('issuing.pem'),
      '-cert',
      scratch.path('leaf.pem'),
      '-no_nonce',
      '-reqout',
      scratch.path('req.der'),
    ],
    { signal: ctx.signal },
  );
  if (req.code !== 0) throw new Error(`openssl ocsp could not make a request: ${req.output}`);
  const { readFile } = await import('node:fs/promises');
  const res = await ctx.http({
    method: 'POST',
    url: '/ca/api/v1/ocsp',
    headers: { 'Content-Type': 'application/ocsp-request', Accept: 'application/ocsp-response' },
    body: await readFile(scratch.path('req.der')),
    label,
  });
  await scratch.write('resp.der', res.exchange.responseBody);
  const judged = await openssl(
    [
      'ocsp',
      '-respin',
      scratch.path('resp.der'),
      '-issuer',
      scratch.path('issuing.pem'),
      '-cert',
      scratch.path('leaf.pem'),
      '-CAfile',
      scratch.path('chain.pem'),
      '-no_nonce',
      '-resp_text',
    ],
    { signal: ctx.signal },
  );
  const verdict = /leaf\.pem: (\w+)/.exec(judged.output)?.[1] ?? 'no verdict';
  return { res, verdict, output: judged.output };
}

export const ocsp: Scenario = {
  id: 'ca.ocsp',
  title: 'OCSP answers good, then revoked once the certificate is revoked (and the CRL lists it)',
  dependsOn: ['ca.issue'],
  timeoutMs: 30_000,
  async run(ctx) {
    const issued = issuedOrSkip(ctx);
    if (!(await hasOpenssl()))
      return ctx.skip(
        'needs the openssl command to make and judge OCSP messages (apt-get install -y openssl)',
      );
    const { root, issuing, res: info } = await publishedChain(ctx);
    if (!root || !issuing)
      throw new Error('GET /ca/api/v1/info publishes no root and issuing CA (see ca.info)');
    const admin = await adminAuth(ctx);
    const scratch = await Scratch.create();
    try {
      await scratch.write('leaf.pem', issued.leafPem);
      await scratch.write('issuing.pem', issuing.toString());
      await scratch.write('chain.pem', `${root.toString()}\n${issuing.toString()}`);
      const before = await ocspStatus(ctx, scratch, 'OCSP before revocation');
      const ev1 = await ctx.evidence('openssl ocsp before', before.output, 'command-output');
      const signedOk = /Response verify OK/i.test(before.output);
      ctx.check({
        id: 'good',
        title: 'OCSP (POST, DER) answers good for the new certificate, in a response that verifies',
        pass: before.res.status === 200 && before.verdict === 'good' && signedOk,
        expected: 'good; Response verify OK',
        actual: {
          http: `${before.res.status} ${before.res.headers['content-type'] ?? ''}`,
          verdict: before.verdict,
          signature: signedOk ? 'verifies' : 'does not verify',
        },
        remediation: FIX,
        evidence: [before.res, ev1, info],
      });
      const revoke = await ctx.http({
        method: 'POST',
        url: '/ca/api/v1/certificates/revoke',
        headers: { Accept: 'application/json', ...admin.headers },
        json: { id: issued.id, reason: 'keyCompromise' },
        label: 'revoke the certificate',
      });
      ctx.check({
        id: 'revoked',
        title: 'POST /ca/api/v1/certificates/revoke revokes it (keyCompromise)',
        pass: revoke.status === 200 && revoke.json<{ status?: string }>()?.status === 'revoked',
        expected: { status: 'revoked' },
        actual: revoke.status === 200 ? revoke.json<{ status?: string }>()?.status : brief(revoke),
        remediation: FIX,
        evidence: [revoke],
      });
      const after = await ocspStatus(ctx, scratch, 'OCSP after revocation');
      const ev2 = await ctx.evidence('openssl ocsp after', after.output, 'command-output');
      const reason = /Reason: (\w+)/i.exec(after.output)?.[1];
      ctx.check({
        id: 'ocsp-revoked',
        title: 'OCSP then answers revoked, with the reason, in a response that verifies',
        pass:
          after.res.status === 200 &&
          after.verdict === 'revoked' &&
          /Response verify OK/i.test(after.output) &&
          /keyCompromise/i.test(reason ?? ''),
        expected: 'revoked (keyCompromise); Response verify OK',
        actual: { verdict: after.verdict, reason: reason ?? null },
        remediation:
          'A revoked certificate must be reported revoked by OCSP at once (no stale "good" from a cache), with its reason (RFC 6960).',
        evidence: [after.res, ev2],
      });
      const status = await ctx.http({
        url: `/ca/api/v1/certificates/${issued.id}/status`,
        headers: { Accept: 'application/json', ...admin.headers },
      });
      ctx.check({
        id: 'status-route',
        title: 'GET /ca/api/v1/certificates/:id/status says revoked',
        pass: status.status === 200 && status.json<{ status?: string }>()?.status === 'revoked',
        expected: 'revoked',
        actual: status.status === 200 ? status.json<{ status?: string }>()?.status : brief(status),
        remediation: FIX,
        evidence: [status],
      });
      const crl = await ctx.http({ url: '/ca/api/v1/crl', headers: { Accept: 'application/pkix-crl' } });
      await scratch.write('crl.der', crl.exchange.responseBody);
      const text = await openssl(
        ['crl', '-inform', 'DER', '-in', scratch.path('crl.der'), '-noout', '-text'],
        { signal: ctx.signal },
      );
      const serial = issued.serial
        .replace(/[^0-9a-f]/gi, '')
        .toUpperCase()
        .replace(/^0+/, '');
      const listed = text.output.split('\n').some(
        (l) =>
          /Serial Number:/i.test(l) &&
          l
            .replace(/.*Serial Number:\s*/i, '')
            .replace(/[^0-9a-f]/gi, '')
            .toUpperCase()
            .replace(/^0+/, '') === serial,
      );
      ctx.check({
        id: 'crl-lists',
        title: 'the CRL (GET /ca/api/v1/crl) lists the revoked serial',
        pass: crl.status === 200 && text.code === 0 && listed,
        expected: `serial ${issued.serial} listed`,
        actual:
          crl.status === 200
            ? text.code === 0
              ? listed
                ? 'listed'
                : 'not listed'
              : `openssl crl: ${text.output.slice(0, 200)}`
            : brief(crl),
        remediation: 'Publish a new CRL when a certificate is revoked (RFC 5280), signed by the issuing CA.',
        evidence: [crl],
      });
    } finally {
      await scratch.dispose();
    }
  },
};
