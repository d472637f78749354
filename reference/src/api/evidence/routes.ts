// Evidence: files linked to an asset (and optionally to one control of a pack), stored
// in object storage under evidence/<org>/<asset>/<id>, with their SHA-256 recorded.
// Downloads are streamed from storage after the same authorization as any read.
import { randomUUID } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { HttpError, sendError } from '../../common/errors.js';
import { UUID_RE } from '../../common/tenancy.js';
import { allow } from '../auth/principal.js';
import { getAssetOr404 } from '../assets/repo.js';
import { assetKey } from '../assets/validation.js';
import { recomputeAsset } from '../compliance/engine.js';
import { actorLabel, audit, inOrg, type ApiDeps } from '../http/context.js';
import { issuesToProblems, validationError } from '../http/validate.js';
import { EVIDENCE_KIND_RE } from '../policies/checks.js';
import { checkContent, receiveUpload } from './upload.js';

interface EvidenceRow {
  id: string;
  asset_id: string;
  card_id: string;
  kind: string;
  pack_id: string | null;
  control_id: string | null;
  filename: string;
  content_type: string;
  size_bytes: string;
  sha256: string;
  object_key: string;
  description: string | null;
  uploaded_by: string | null;
  created_at: Date;
}

const SELECT = `SELECT e.id, e.asset_id, a.card_id, e.kind, e.pack_id, e.control_id, e.filename, e.content_type,
  e.size_bytes::text AS size_bytes, e.sha256, e.object_key, e.description, e.uploaded_by, e.created_at
  FROM evidence e JOIN asset_cards a ON a.id = e.asset_id`;

function toResource(e: EvidenceRow) {
  return {
    id: e.id,
    assetId: e.card_id,
    kind: e.kind,
    packId: e.pack_id,
    controlId: e.control_id,
    filename: e.filename,
    contentType: e.content_type,
    size: Number(e.size_bytes),
    sha256: e.sha256,
    description: e.description,
    uploadedBy: e.uploaded_by,
    createdAt: e.created_at.toISOString(),
    downloadUrl: `/api/v1/evidence/${e.id}/download`,
  };
}

const fieldsSchema = z
  .object({
    kind: z
      .string()
      .regex(
        EVIDENCE_KIND_RE,
        'must be an evidence kind such as risk-assessment (lowercase words joined by "-")',
      ),
    packId: z.string().max(63).optional(),
    controlId: z.string().max(63).optional(),
    description: z.string().trim().max(1000).optional(),
  })
  .strict()
  .refine((f) => (f.packId === undefined) === (f.controlId === undefined), {
    message: 'packId and controlId go together',
    path: ['controlId'],
  });

function evidenceKey(req: Request): string {
  const id = String(req.params.evidenceId ?? '');
  if (!UUID_RE.test(id)) throw new HttpError(404, 'NOT_FOUND', `no evidence ${id.slice(0, 64)}`);
  return id;
}

async function findEvidence(c: import('pg').PoolClient, orgId: string, id: string): Promise<EvidenceRow> {
  const r = await c.query<EvidenceRow>(`${SELECT} WHERE e.organization_id = $1 AND e.id = $2`, [orgId, id]);
  if (!r.rows[0]) throw new HttpError(404, 'NOT_FOUND', `no evidence ${id}`);
  return r.rows[0];
}

export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

export function evidenceRouter(deps: ApiDeps): Router {
  const router = express.Router();

  router.post('/assets/:assetId/evidence', ...allow('evidence:write', 'editor'), async (req, res) => {
    const key = assetKey(req);
    // the asset must exist (and be ours) before anything is stored
    const asset = await inOrg(deps, req, (c, orgId) => getAssetOr404(c, orgId, key));
    if (asset.status === 'retired')
      throw new HttpError(409, 'ASSET_RETIRED', `asset ${asset.card_id} is retired`);
    const upload = await receiveUpload(req, deps.evidenceMaxBytes);
    const fields = fieldsSchema.safeParse(upload.fields);
    const problems = fields.success ? [] : issuesToProblems(fields.error.issues, 'body');
    if (!upload.file)
      problems.push({
        in: 'body',
        path: 'file',
        code: 'required',
        message: 'a file part named "file" is required',
      });
    if (problems.length || !fields.success || !upload.file)
      throw validationError(problems, 'invalid evidence upload');
    const file = upload.file;
    if (file.size === 0)
      throw validationError([{ in: 'body', path: 'file', code: 'too_small', message: 'the file is empty' }]);
    checkContent(file);
    const f = fields.data;
    const orgId = req.principal!.orgId;
    if (f.packId) {
      const known = await inOrg(deps, req, (c) =>
        c.query(
          `SELECT 1 FROM policy_packs WHERE organization_id = $1 AND pack_id = $2
             AND definition->'controls' @> jsonb_build_array(jsonb_build_object('id', $3::text)) LIMIT 1`,
          [orgId, f.packId, f.controlId],
        ),
      );
      if (!known.rowCount)
        throw validationError([
          {
            in: 'body',
            path: 'controlId',
            code: 'unknown_control',
            message: `no control ${f.controlId} in a policy pack ${f.packId} of this organization`,
          },
        ]);
    }
    const id = randomUUID();
    const objectKey = `evidence/${orgId}/${asset.id}/${id}`;
    await deps.storage.client.putObject(deps.storage.bucket, objectKey, file.data, file.size, {
      'Content-Type': file.contentType,
      'x-amz-meta-sha256': file.sha256,
    });
    try {
      const row = await inOrg(deps, req, async (c) => {
        const current = await getAssetOr404(c, orgId, asset.id, true);
        if (current.status === 'retired')
          throw new HttpError(409, 'ASSET_RETIRED', `asset ${current.card_id} is retired`);
        await c.query(
          `INSERT INTO evidence (id, organization_id, asset_id, kind, pack_id, control_id, filename, content_type, size_bytes,
             sha256, object_key, description, uploaded_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
          [
            id,
            orgId,
            asset.id,
            f.kind,
            f.packId ?? null,
            f.controlId ?? null,
            file.filename,
            file.contentType,
            file.size,
            file.sha256,
            objectKey,
            f.description ?? null,
            actorLabel(req),
          ],
        );
        await recomputeAsset(c, orgId, asset.id, 'evidence.added');
        const stored = await findEvidence(c, orgId, id);
        await audit(c, req, {
          action: 'evidence.uploaded',
          target: { type: 'evidence', id },
          after: {
            assetId: asset.card_id,
            kind: f.kind,
            packId: f.packId,
            controlId: f.controlId,
            sha256: file.sha256,
            size: file.size,
          },
        });
        return stored;
      });
      res.status(201).location(`/api/v1/evidence/${id}`).json(toResource(row));
    } catch (err) {
      await deps.storage.client.removeObject(deps.storage.bucket, objectKey).catch(() => undefined);
      throw err;
    }
  });

  router.get('/assets/:assetId/evidence', ...allow('evidence:read'), async (req, res) => {
    const key = assetKey(req);
    const items = await inOrg(deps, req, async (c, orgId) => {
      const asset = await getAssetOr404(c, orgId, key);
      const r = await c.query<EvidenceRow>(
        `${SELECT} WHERE e.organization_id = $1 AND e.asset_id = $2 ORDER BY e.created_at DESC, e.id DESC LIMIT 1000`,
        [orgId, asset.id],
      );
      return r.rows.map(toResource);
    });
    res.json({ items });
  });

  router.get('/evidence/:evidenceId', ...allow('evidence:read'), async (req, res) => {
    const id = evidenceKey(req);
    res.json(toResource(await inOrg(deps, req, (c, orgId) => findEvidence(c, orgId, id))));
  });

  router.get('/evidence/:evidenceId/download', ...allow('evidence:read'), async (req, res) => {
    const id = evidenceKey(req);
    const row = await inOrg(deps, req, (c, orgId) => findEvidence(c, orgId, id));
    let stream: NodeJS.ReadableStream;
    try {
      stream = await deps.storage.client.getObject(deps.storage.bucket, row.object_key);
    } catch (err) {
      req.log.error({ err: { message: (err as Error).message } }, 'evidence object unavailable');
      return sendError(
        res,
        502,
        'STORAGE_UNAVAILABLE',
        'the evidence file could not be read from object storage',
      );
    }
    res.setHeader('Content-Type', row.content_type);
    res.setHeader('Content-Length', row.size_bytes);
    res.setHeader('Content-Disposition', contentDisposition(row.filename));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('Repr-Digest', `sha-256=:${Buffer.from(row.sha256, 'hex').toString('base64')}:`);
    res.setHeader('X-Checksum-SHA256', row.sha256);
    stream.on('error', (err: Error) => {
      req.log.error({ err: { message: err.message } }, 'evidence download interrupted');
      res.destroy(err);
    });
    stream.pipe(res);
  });

  router.delete('/evidence/:evidenceId', ...allow('evidence:write', 'admin'), async (req, res) => {
    const id = evidenceKey(req);
    const row = await inOrg(deps, req, async (c, orgId) => {
      const e = await findEvidence(c, orgId, id);
      await c.query(`DELETE FROM evidence WHERE organization_id = $1 AND id = $2`, [orgId, id]);
      await recomputeAsset(c, orgId, e.asset_id, 'evidence.removed');
      await audit(c, req, {
        action: 'evidence.deleted',
        target: { type: 'evidence', id },
        before: { assetId: e.card_id, kind: e.kind, sha256: e.sha256 },
      });
      return e;
    });
    await deps.storage.client
      .removeObject(deps.storage.bucket, row.object_key)
      .catch((err: Error) => req.log.warn({ err: { message: err.message } }, 'evidence object not removed'));
    res.status(204).end();
  });

  return router;
}
