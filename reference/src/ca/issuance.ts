// Issuing a CGA certificate: the key comes from a CSR (proof of possession by its
// signature) or from an agent descriptor (a public key, or a key pair the CA makes and
// hands back once). The asset must be registered in the caller's organization and its
// compliance score at or above the threshold; a refusal names the failing controls.
// The record and its audit entry commit together, or neither does.
import { createHash, generateKeyPairSync } from 'node:crypto';
import type pg from 'pg';
import { getAssetCertificationFacts } from '../common/assets-read.js';
import { appendAudit, type AuditActor } from '../common/audit.js';
import { HttpError } from '../common/errors.js';
import { withOrg } from '../common/tenancy.js';
import type { GovernanceLevel } from './pki/cga.js';
import { buildLeaf, type IssuedLeaf } from './pki/leaf.js';
import type { CaMaterial } from './pki/material.js';
import { BadKeyMaterial, checkKey, parseCsr, publicKeyFromPem, type SubjectKey } from './pki/subject-key.js';
import { privateKeyPem } from './pki/x509.js';
import { type CertificateRecord, insertCertificate } from './repository.js';
import type { CaSettings } from './settings.js';

export type SignRequest =
  | { kind: 'csr'; csr: string; assetId?: string; governanceLevel: GovernanceLevel }
  | { kind: 'descriptor'; assetId: string; governanceLevel: GovernanceLevel; publicKey?: string };

export interface Caller {
  orgId: string;
  actor: AuditActor;
  requestId?: string;
  sourceAddress?: string;
}

export interface Issued {
  record: CertificateRecord;
  leaf: IssuedLeaf;
  /** Only when the CA generated the key pair (descriptor without a public key); never stored. */
  privateKeyPem?: string;
}

export function badKey(err: unknown): never {
  if (err instanceof BadKeyMaterial) throw new HttpError(400, err.code, err.message);
  throw err;
}

export function actorLabel(actor: AuditActor): string {
  return actor.label ?? `${actor.type}:${actor.id ?? 'unknown'}`;
}

export async function issueCertificate(
  deps: { pool: pg.Pool; ca: CaMaterial; settings: CaSettings },
  caller: Caller,
  req: SignRequest,
): Promise<Issued> {
  // ---- the key, before anything touches the database -------------------------------
  let key: SubjectKey;
  let assetId: string | undefined;
  let generatedKey: string | undefined;
  if (req.kind === 'csr') {
    const csr = await parseCsr(req.csr).catch(badKey);
    key = csr.key;
    if (req.assetId && csr.assetId && req.assetId !== csr.assetId)
      throw new HttpError(
        400,
        'ASSET_MISMATCH',
        `assetId ${req.assetId} differs from the asset named in the CSR (urn:aigos:asset:${csr.assetId})`,
      );
    assetId = req.assetId ?? csr.assetId;
    if (!assetId)
      throw new HttpError(
        400,
        'VALIDATION_FAILED',
        'name the asset: assetId in the body or a urn:aigos:asset:<id> SAN URI in the CSR',
        [{ in: 'body', path: 'assetId', code: 'required', message: 'assetId is required with this CSR' }],
      );
  } else {
    assetId = req.assetId;
    if (req.publicKey) {
      try {
        key = publicKeyFromPem(req.publicKey);
      } catch (err) {
        badKey(err);
      }
    } else {
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      key = checkKey(pair.publicKey);
      generatedKey = privateKeyPem(pair.privateKey);
    }
  }

  const { pool, ca, settings } = deps;
  return withOrg(pool, caller.orgId, async (client) => {
    // ---- may this asset be certified? ----------------------------------------------
    const facts = await getAssetCertificationFacts(client, caller.orgId, assetId);
    if (!facts) throw new HttpError(404, 'ASSET_NOT_FOUND', `no asset ${assetId} in your organization`);
    if (facts.status !== 'registered')
      throw new HttpError(
        409,
        'ASSET_NOT_REGISTERED',
        `asset ${facts.id} is ${facts.status}; only registered assets can be certified`,
        [{ assetId: facts.id, status: facts.status }],
      );
    const threshold = settings.complianceThreshold;
    if (facts.complianceScore === null || facts.complianceScore < threshold) {
      const controls = facts.failingControls.map((c) => `${c.packId}/${c.controlId} (${c.status})`);
      const why =
        facts.complianceScore === null
          ? `asset ${facts.id} has no compliance score yet (no applicable control has been evaluated)`
          : `asset ${facts.id} has a compliance score of ${facts.complianceScore}, below the required ${threshold}`;
      throw new HttpError(
        422,
        'CERTIFICATION_REFUSED',
        controls.length ? `${why}; failing controls: ${controls.join(', ')}` : why,
        [
          { complianceScore: facts.complianceScore, threshold },
          ...facts.failingControls.map((c) => ({ failingControl: c })),
        ],
      );
    }

    // ---- sign, store, audit --------------------------------------------------------
    const leaf = await buildLeaf(ca, {
      key,
      commonName: facts.name,
      claims: {
        assetId: facts.id,
        organizationId: caller.orgId,
        governanceLevel: req.governanceLevel,
      },
      validityDays: settings.validityDays,
      urls: settings.urls,
    });
    const record = await insertCertificate(client, {
      organizationId: caller.orgId,
      assetId: facts.id,
      serial: leaf.serial,
      subject: leaf.subject,
      governanceLevel: req.governanceLevel,
      complianceScore: facts.complianceScore,
      keyType: key.description,
      requestKind: req.kind,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      pem: leaf.pem,
      fingerprintSha256: createHash('sha256').update(leaf.der).digest('hex'),
      issuedBy: actorLabel(caller.actor),
    });
    await appendAudit(client, {
      orgId: caller.orgId,
      actor: caller.actor,
      action: 'certificate.issued',
      target: { type: 'certificate', id: record.id },
      sourceAddress: caller.sourceAddress,
      requestId: caller.requestId,
      after: {
        serial: record.serial,
        assetId: record.assetId,
        governanceLevel: record.governanceLevel,
        complianceScore: record.complianceScore,
        notBefore: record.notBefore.toISOString(),
        notAfter: record.notAfter.toISOString(),
        fingerprintSha256: record.fingerprintSha256,
      },
    });
    return { record, leaf, ...(generatedKey ? { privateKeyPem: generatedKey } : {}) };
  });
}
