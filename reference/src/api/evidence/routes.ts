// Evidence: files linked to an asset (and optionally to one control of a pack), stored
// in object storage under evidence/<org>/<asset>/<id>, with their SHA-256 recorded.
// Downloads are streamed from storage after the same authorization as any read. Reading
// and deleting records are in service.ts, shared with GraphQL.
import { randomUUID } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { HttpError, sendError } from '../../common/errors.js';
import { allow } from '../auth/principal.js';
import { getAssetOr404 } from '../assets/repo.js';
import { assetKey } from '../assets/validation.js';
import { recomputeAsset } from '../compliance/engine.js';
import { actorLabel, audit, inOrg, type ApiDeps } from '../http/context.js';
import { issuesToProblems, validationError } from '../http/validate.js';
import { EVIDENCE_KIND_RE } from '../policies/checks.js';
import {
  checkEvidenceKey,
  deleteEvidence,
  findEvidence,
  listAssetEvidence,
  toEvidenceResource,
} from './service.js';
import { checkContent, receiveUpload } from './upload.js';

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

const evidenceKey = (req: Request): string => checkEvidenceKey(String(req.params.evidenceId ?? ''));

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
      res.status(201).location(`/api/v1/evidence/${id}`).json(toEvidenceResource(row));
    } catch (err) {
      await deps.storage.client.removeObject(deps.storage.bucket, objectKey).catch(() => undefined);
      throw err;
    }
  });

  router.get('/assets/:assetId/evidence', ...allow('evidence:read'), async (req, res) => {
    res.json({ items: await listAssetEvidence(deps, req, assetKey(req)) });
  });

  router.get('/evidence/:evidenceId', ...allow('evidence:read'), async (req, res) => {
    const id = evidenceKey(req);
    res.json(toEvidenceResource(await inOrg(deps, req, (c, orgId) => findEvidence(c, orgId, id))));
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
    await deleteEvidence(deps, req, evidenceKey(req));
    res.status(204).end();
  });

  return router;
}
