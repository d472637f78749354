// HTTP routes of the CA (contracts.md §4), under /api/v1 on the service and /ca/api/v1
// through the gateway. Public: info, the CA certificates, OCSP (POST and GET forms), the
// CRL, verify. Authenticated (API key; the caller's organization scopes everything):
// sign, revoke, status by id.
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type pg from 'pg';
import { z } from 'zod';
// Shared auth lives under api/ for now; it belongs in common/ (the CA is its second user).
import { authenticate, type PrincipalResolver } from '../api/auth/middleware.js';
import { allow, auditActor, principalOf } from '../api/auth/principal.js';
import { HttpError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { UUID_RE } from '../common/tenancy.js';
import type { CrlPublisher } from './crl-publisher.js';
import { type Caller, issueCertificate } from './issuance.js';
import type { OcspResponder } from './ocsp-responder.js';
import { ASSET_ID_RE, GOVERNANCE_LEVELS } from './pki/cga.js';
import type { CaMaterial } from './pki/material.js';
import { MalformedOcspRequest, OCSPResponseStatus, ocspError } from './pki/ocsp.js';
import { REASON_NAMES } from './pki/revocation-reasons.js';
import { normalizeSerial } from './pki/serial.js';
import { toPem } from './pki/x509.js';
import { findCertificate, type CertificateRecord } from './repository.js';
import { revokeCertificate } from './revocation.js';
import type { CaSettings } from './settings.js';
import type { StatusCache } from './status-cache.js';
import { verifyCertificate } from './verification.js';
import { withOrg } from '../common/tenancy.js';

export const JSON_LIMIT = '64kb';
export const OCSP_LIMIT = '16kb';
const MAX_PEM = 16_384;

export interface CaRouteDeps {
  pool: pg.Pool;
  log: Logger;
  ca: CaMaterial;
  settings: CaSettings;
  publisher: CrlPublisher;
  responder: OcspResponder;
  statuses: StatusCache;
  /** how callers authenticate: the api's session and access-token resolvers, then API keys */
  resolvers: PrincipalResolver[];
}

// ---- validation ------------------------------------------------------------------------

function problemsOf(issues: readonly z.core.$ZodIssue[]) {
  return issues.map((i) => ({
    in: 'body',
    path: i.path.map(String).join('.'),
    code: i.code,
    message: i.message,
  }));
}

function parseBody<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  if (req.body === undefined || Buffer.isBuffer(req.body)) {
    const sent =
      Number(req.header('content-length') ?? 0) > 0 || req.header('transfer-encoding') !== undefined;
    if (sent)
      throw new HttpError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `send the body as application/json (got ${req.header('content-type') ?? 'no content type'})`,
      );
  }
  const result = schema.safeParse(req.body ?? {});
  if (result.success) return result.data;
  const problems = problemsOf(result.error.issues);
  throw new HttpError(
    400,
    'VALIDATION_FAILED',
    `invalid request body: ${problems.length} problem(s)`,
    problems,
  );
}

const level = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(z.enum(GOVERNANCE_LEVELS, { message: `must be one of ${GOVERNANCE_LEVELS.join(', ')}` }));
const assetId = z.string().regex(ASSET_ID_RE, 'must be an asset card id such as aigrc-2025-0a1b2c3d');
const pem = z.string().min(1).max(MAX_PEM, `must be at most ${MAX_PEM} characters`);

const csrForm = z.object({ csr: pem, assetId: assetId.optional(), governanceLevel: level });
const agentForm = z.object({
  agent: z.object({
    assetId,
    orgId: z.string().regex(UUID_RE, 'must be a UUID').optional(),
    governanceLevel: level,
    publicKey: pem.optional(),
  }),
});
const revokeForm = z
  .object({
    serial: z.string().max(100).optional(),
    id: z.string().regex(UUID_RE, 'must be a UUID').optional(),
    reason: z.enum(REASON_NAMES, { message: `must be one of ${REASON_NAMES.join(', ')} (RFC 5280)` }),
  })
  .refine((b) => (b.serial === undefined) !== (b.id === undefined), {
    message: 'give exactly one of serial or id',
    path: ['serial'],
  });
const verifyForm = z.object({
  certificate: z
    .string()
    .min(1)
    .max(MAX_PEM * 2),
});

// ---- helpers ---------------------------------------------------------------------------

function callerOf(req: Request): Caller {
  const p = principalOf(req);
  return { orgId: p.orgId, actor: auditActor(p), requestId: req.id, sourceAddress: req.ip };
}

function statusView(r: CertificateRecord) {
  const expired = r.status === 'active' && r.notAfter.getTime() < Date.now();
  return {
    id: r.id,
    serial: r.serial,
    status: r.status === 'revoked' ? 'revoked' : expired ? 'expired' : 'active',
    assetId: r.assetId,
    organizationId: r.organizationId,
    governanceLevel: r.governanceLevel,
    complianceScore: r.complianceScore,
    subject: r.subject,
    keyType: r.keyType,
    notBefore: r.notBefore.toISOString(),
    notAfter: r.notAfter.toISOString(),
    issuedAt: r.issuedAt.toISOString(),
    issuedBy: r.issuedBy,
    revokedAt: r.revokedAt?.toISOString() ?? null,
    revocationReason: r.revocationReason,
  };
}

function whichCertificate(text: string): { id: string } | { serial: string } {
  if (UUID_RE.test(text)) return { id: text.toLowerCase() };
  const serial = normalizeSerial(text);
  if (!serial)
    throw new HttpError(
      400,
      'VALIDATION_FAILED',
      'the certificate is named by its id (UUID) or its serial (hex)',
      [{ in: 'params', path: 'id', code: 'invalid_format', message: 'neither a UUID nor a hex serial' }],
    );
  return { serial };
}

// ---- router ----------------------------------------------------------------------------

export function caRouter(deps: CaRouteDeps): Router {
  const { pool, log, ca, settings, publisher, responder, statuses, resolvers } = deps;
  const router = express.Router();
  const json = express.json({ limit: JSON_LIMIT });
  const auth = authenticate(resolvers);
  const derCert = (der: ArrayBuffer) => Buffer.from(der);

  router.get('/api/v1/info', (_req, res) => {
    res.json({
      issuerName: settings.issuerName,
      issuer: ca.issuing.subject,
      root: ca.root.subject,
      chain: [ca.issuingPem, ca.rootPem],
      chainPem: ca.chainPem,
      ocspUrl: settings.urls.ocsp,
      crlUrl: settings.urls.crl,
      crlPemUrl: settings.urls.crlPem,
      caIssuersUrl: settings.urls.caIssuers,
      validityDays: settings.validityDays,
      complianceThreshold: settings.complianceThreshold,
      governanceLevels: GOVERNANCE_LEVELS,
      revocationReasons: REASON_NAMES,
      cgaClaims:
        'subject alternative name URIs urn:aigos:asset:<id>, urn:aigos:org:<uuid>, urn:aigos:cga-level:<LEVEL>',
      issuingNotAfter: ca.issuing.notAfter.toISOString(),
      // whether OCSP answers from memory (invalidated through Redis) or reads the database per request
      ocspStatusCache: statuses.enabled ? 'live' : 'off',
    });
  });

  // the CA certificates (AIA caIssuers points at the issuing one)
  router.get('/api/v1/ca/issuing.crt', (_req, res) => {
    res.type('application/pkix-cert').send(derCert(ca.issuing.rawData));
  });
  router.get('/api/v1/ca/root.crt', (_req, res) => {
    res.type('application/pkix-cert').send(derCert(ca.root.rawData));
  });
  router.get('/api/v1/ca/chain.pem', (_req, res) => {
    res.type('application/x-pem-file').send(ca.chainPem);
  });

  // ---- OCSP (RFC 6960 appendix A) --------------------------------------------------
  const answerOcsp = async (der: Uint8Array, res: Response) => {
    let body: Buffer;
    try {
      body = await responder.answer(der);
    } catch (err) {
      if (err instanceof MalformedOcspRequest)
        throw new HttpError(400, 'MALFORMED_OCSP_REQUEST', err.message);
      log.error({ err }, 'OCSP responder failed');
      res.status(503).setHeader('Retry-After', '5');
      body = ocspError(OCSPResponseStatus.tryLater);
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.type('application/ocsp-response').send(body);
  };
  router.post('/api/v1/ocsp', express.raw({ type: () => true, limit: OCSP_LIMIT }), async (req, res) => {
    const type = (req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/ocsp-request')
      throw new HttpError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `send a DER OCSPRequest as application/ocsp-request (got ${type || 'no content type'})`,
      );
    const der = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (der.length === 0) throw new HttpError(400, 'MALFORMED_OCSP_REQUEST', 'empty OCSP request');
    await answerOcsp(der, res);
  });
  router.get('/api/v1/ocsp/*encoded', async (req, res) => {
    // the raw path: base64 may contain '/' and '+', percent-encoded or not
    const path = req.originalUrl.split('?')[0]!;
    const at = path.indexOf('/ocsp/');
    let text: string;
    try {
      text = decodeURIComponent(path.slice(at + '/ocsp/'.length));
    } catch {
      throw new HttpError(400, 'MALFORMED_OCSP_REQUEST', 'the OCSP GET path is not valid percent-encoding');
    }
    if (text.length > 4096 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(text))
      throw new HttpError(
        400,
        'MALFORMED_OCSP_REQUEST',
        'the OCSP GET path must be the base64 of a DER OCSPRequest',
      );
    await answerOcsp(Buffer.from(text, 'base64'), res);
  });

  // ---- CRL ---------------------------------------------------------------------------
  const sendCrl =
    (format: 'der' | 'pem'): RequestHandler =>
    async (req, res) => {
      let crl;
      try {
        crl = await publisher.current();
      } catch (err) {
        log.error({ err }, 'CRL unavailable');
        res.setHeader('Retry-After', '5');
        throw new HttpError(
          503,
          'CRL_UNAVAILABLE',
          'the CRL cannot be read or issued right now; try again shortly',
        );
      }
      const etag = `"crl-${crl.crlNumber}-${format}"`;
      res.setHeader('ETag', etag);
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('Last-Modified', crl.thisUpdate.toUTCString());
      res.setHeader('Expires', crl.nextUpdate.toUTCString());
      if (req.header('if-none-match') === etag) {
        res.status(304).end();
        return;
      }
      if (format === 'der') res.type('application/pkix-crl').send(crl.der);
      else res.type('application/x-pem-file').send(toPem(crl.der, 'X509 CRL'));
    };
  router.get('/api/v1/crl', sendCrl('der'));
  router.get('/api/v1/crl.pem', sendCrl('pem'));

  // ---- certificates ------------------------------------------------------------------
  router.post(
    '/api/v1/certificates/verify',
    json,
    express.raw({
      type: ['application/pkix-cert', 'application/x-pem-file', 'text/plain'],
      limit: JSON_LIMIT,
    }),
    async (req, res) => {
      let input: string | Buffer;
      const type = (req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (Buffer.isBuffer(req.body) && type === 'application/pkix-cert') input = req.body;
      else if (Buffer.isBuffer(req.body)) input = req.body.toString('utf8');
      else input = parseBody(verifyForm, req).certificate;
      res.json(await verifyCertificate(pool, ca, input));
    },
  );

  router.post(
    '/api/v1/certificates/sign',
    auth,
    ...allow('certificates:write', 'editor'),
    json,
    async (req, res) => {
      const caller = callerOf(req);
      const body = req.body as Record<string, unknown> | undefined;
      let issued;
      if (body && typeof body === 'object' && 'agent' in body && !('csr' in body)) {
        const { agent } = parseBody(agentForm, req);
        if (agent.orgId && agent.orgId.toLowerCase() !== caller.orgId.toLowerCase())
          throw new HttpError(403, 'FORBIDDEN', 'agent.orgId must be the organization of your credentials');
        issued = await issueCertificate({ pool, ca, settings }, caller, {
          kind: 'descriptor',
          assetId: agent.assetId,
          governanceLevel: agent.governanceLevel,
          publicKey: agent.publicKey,
        });
      } else if (body && typeof body === 'object' && 'csr' in body && !('agent' in body)) {
        const form = parseBody(csrForm, req);
        issued = await issueCertificate({ pool, ca, settings }, caller, { kind: 'csr', ...form });
      } else {
        parseBody(z.object({}), req); // 415 for a non-JSON body
        throw new HttpError(
          400,
          'VALIDATION_FAILED',
          'send either { csr, governanceLevel, assetId? } or { agent: { assetId, governanceLevel, publicKey? } }',
          [
            {
              in: 'body',
              path: 'csr',
              code: 'required',
              message: 'a CSR (PEM) or an agent descriptor is required, not both',
            },
          ],
        );
      }
      // a generated private key is in this body: nothing may store it on the way
      res.setHeader('Cache-Control', 'no-store');
      res.status(201).json({
        ...statusView(issued.record),
        certificate: issued.leaf.pem,
        chain: ca.chainPem,
        fingerprintSha256: issued.record.fingerprintSha256,
        ocspUrl: settings.urls.ocsp,
        crlUrl: settings.urls.crl,
        ...(issued.privateKeyPem ? { privateKey: issued.privateKeyPem } : {}),
      });
    },
  );

  router.post(
    '/api/v1/certificates/revoke',
    auth,
    ...allow('certificates:write', 'editor'),
    json,
    async (req, res) => {
      const caller = callerOf(req);
      const body = parseBody(revokeForm, req);
      let which: { id: string } | { serial: string };
      if (body.id) which = { id: body.id.toLowerCase() };
      else {
        const serial = normalizeSerial(body.serial!);
        if (!serial)
          throw new HttpError(400, 'VALIDATION_FAILED', 'invalid request body: 1 problem(s)', [
            { in: 'body', path: 'serial', code: 'invalid_format', message: 'must be a hex serial' },
          ]);
        which = { serial };
      }
      const { record, crlNumber } = await revokeCertificate(
        { pool, publisher, statuses },
        caller,
        which,
        body.reason,
      );
      res.json({ ...statusView(record), crlNumber });
    },
  );

  router.get(
    '/api/v1/certificates/:id/status',
    auth,
    ...allow('certificates:read', 'viewer'),
    async (req, res) => {
      const caller = callerOf(req);
      const which = whichCertificate(String(req.params.id));
      const record = await withOrg(pool, caller.orgId, (client) =>
        findCertificate(client, caller.orgId, which),
      );
      if (!record)
        throw new HttpError(
          404,
          'CERTIFICATE_NOT_FOUND',
          `no certificate ${String(req.params.id)} in your organization`,
        );
      res.json(statusView(record));
    },
  );

  return router;
}

/** What the CA answers when no key material is configured. */
export function notConfiguredRouter(): Router {
  const router = express.Router();
  router.use('/api/v1', (req, _res, next) => {
    if (req.path === '/health') return next();
    throw new HttpError(
      503,
      'CA_NOT_CONFIGURED',
      'the CA has no key material: set CA_ROOT_CERT_PATH and SIGNING_KEY_PATH (run aigos-admin secrets generate)',
    );
  });
  return router;
}
