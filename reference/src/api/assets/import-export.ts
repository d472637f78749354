// Import and export of asset cards as YAML or JSON. An import is validated as a whole
// first and every problem of every card is reported at once (400 with paths such as
// `cards[2].classification.riskLevel`); only a fully valid import is written, in one
// transaction, upserting by card id.
import type { Request, Response, Router } from 'express';
import { parseAllDocuments, stringify } from 'yaml';
import { z } from 'zod';
import { canonicalJson } from '../../common/canonical-json.js';
import { HttpError } from '../../common/errors.js';
import { allow } from '../auth/principal.js';
import { recomputeAsset, recomputeOrg } from '../compliance/engine.js';
import { documentBody } from '../http/body.js';
import { actorLabel, audit, inOrg, type ApiDeps } from '../http/context.js';
import { boolParam, formatParam } from '../http/query.js';
import { parseQuery, validationError, type FieldProblem } from '../http/validate.js';
import { yamlToJs } from '../http/yaml.js';
import { allAssets, findAsset, getAssetOr404, insertAsset, toExport, updateAsset } from './repo.js';
import { assetKey, filterQuery, validateCard } from './validation.js';
import type { AssetCard } from './schema.js';

export const MAX_IMPORT = 10_000;
const MAX_EXPORT = 50_000;

interface Located {
  value: unknown;
  where: (string | number)[];
}

/** The cards of an import body: one card, a list, `{ cards: [...] }`, or several YAML documents. */
export function cardsOfDocument(body: unknown): { items: Located[]; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const items: Located[] = [];
  const collect = (value: unknown, prefix: (string | number)[]) => {
    if (Array.isArray(value)) value.forEach((v, i) => items.push({ value: v, where: [...prefix, i] }));
    else if (value && typeof value === 'object' && Array.isArray((value as { cards?: unknown }).cards))
      (value as { cards: unknown[] }).cards.forEach((v, i) =>
        items.push({ value: v, where: [...prefix, 'cards', i] }),
      );
    else if (value !== null && value !== undefined) items.push({ value, where: prefix });
  };
  if (typeof body === 'string') {
    const docs = parseAllDocuments(body);
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((doc, d) => {
      for (const e of doc.errors) {
        const pos = e.linePos?.[0];
        problems.push({
          in: 'body',
          path: list.length > 1 ? `documents[${d}]` : '',
          code: 'syntax',
          message: `${e.message.split('\n')[0]}${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}`,
        });
      }
    });
    if (problems.length) return { items, problems };
    list.forEach((doc, d) => {
      const js = yamlToJs(doc);
      if (js.ok) collect(js.value, list.length > 1 ? ['documents', d] : []);
      else
        problems.push({
          in: 'body',
          path: [list.length > 1 ? `documents[${d}]` : '', js.path].filter(Boolean).join('.'),
          code: js.code,
          message: js.message,
        });
    });
    if (problems.length) return { items: [], problems };
  } else collect(body, []);
  if (!items.length && !problems.length)
    problems.push({ in: 'body', path: '', code: 'empty', message: 'no asset card in the body' });
  if (items.length > MAX_IMPORT)
    problems.push({
      in: 'body',
      path: '',
      code: 'too_big',
      message: `at most ${MAX_IMPORT} cards per import (got ${items.length})`,
    });
  return { items, problems };
}

const fmtPath = (where: (string | number)[]) =>
  where.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');

const importQuery = z.object({ dryRun: boolParam.default(false) }).strict();
const exportQuery = z.object({ format: formatParam.default('json'), ...filterQuery }).strict();
const oneExportQuery = z.object({ format: formatParam.default('json') }).strict();

function sendDocument(res: Response, format: 'json' | 'yaml', value: unknown, filename: string): void {
  res.setHeader(
    'Content-Disposition',
    `attachment; filename="${filename}.${format === 'yaml' ? 'yaml' : 'json'}"`,
  );
  if (format === 'yaml') res.type('application/yaml').send(stringify(value, { lineWidth: 0 }));
  else res.type('application/json').send(JSON.stringify(value, null, 2) + '\n');
}

type Outcome = 'created' | 'updated' | 'unchanged';

export function registerImportExport(router: Router, deps: ApiDeps): void {
  router.post(
    '/assets/import',
    ...allow('assets:write', 'editor'),
    ...documentBody(),
    async (req: Request, res: Response) => {
      const { dryRun } = parseQuery(importQuery, req);
      if (req.body === undefined)
        throw new HttpError(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'send the cards as application/json or application/yaml',
        );
      const { items, problems } = cardsOfDocument(req.body);
      const cards: { card: AssetCard; where: string }[] = [];
      const seen = new Map<string, string>();
      for (const item of items) {
        const r = validateCard(item.value, item.where);
        problems.push(...r.problems);
        if (!r.card) continue;
        const where = fmtPath(item.where);
        if (r.card.id && seen.has(r.card.id))
          problems.push({
            in: 'body',
            path: `${where ? `${where}.` : ''}id`,
            code: 'duplicate',
            message: `card ${r.card.id} also appears at ${seen.get(r.card.id) || '(root)'}`,
          });
        if (r.card.id) seen.set(r.card.id, where);
        cards.push({ card: r.card, where });
      }
      if (problems.length) throw validationError(problems, 'the import is not valid; nothing was imported');

      const outcome = await inOrg(deps, req, async (c, orgId) => {
        const results: { id: string; result: Outcome }[] = [];
        const touched: string[] = [];
        const retired: FieldProblem[] = [];
        for (const { card, where } of cards) {
          const existing = card.id ? await findAsset(c, orgId, card.id, true) : undefined;
          if (existing?.status === 'retired') {
            retired.push({
              in: 'body',
              path: where,
              code: 'retired',
              message: `asset ${existing.card_id} is retired and can no longer change`,
            });
            continue;
          }
          if (dryRun) {
            results.push({
              id: card.id ?? '(new)',
              result: existing
                ? canonicalJson({ ...card, id: existing.card_id }) === canonicalJson(existing.card)
                  ? 'unchanged'
                  : 'updated'
                : 'created',
            });
            continue;
          }
          if (!existing) {
            const uuid = await insertAsset(c, orgId, card, actorLabel(req));
            const row = await getAssetOr404(c, orgId, uuid);
            await audit(c, req, {
              action: 'asset.created',
              target: { type: 'asset', id: row.card_id },
              after: row.card,
            });
            results.push({ id: row.card_id, result: 'created' });
            touched.push(uuid);
            continue;
          }
          const next = { ...card, id: existing.card_id };
          if (canonicalJson(next) === canonicalJson(existing.card)) {
            results.push({ id: existing.card_id, result: 'unchanged' });
            continue;
          }
          await updateAsset(c, orgId, existing.id, next);
          await audit(c, req, {
            action: 'asset.updated',
            target: { type: 'asset', id: existing.card_id },
            before: existing.card,
            after: next,
          });
          results.push({ id: existing.card_id, result: 'updated' });
          touched.push(existing.id);
        }
        if (retired.length)
          throw new HttpError(
            409,
            'ASSET_RETIRED',
            'the import changes retired assets; nothing was imported',
            retired,
          );
        if (touched.length > 20) await recomputeOrg(c, orgId, 'assets.imported');
        else for (const id of touched) await recomputeAsset(c, orgId, id, 'assets.imported');
        return results;
      });
      const count = (r: Outcome) => outcome.filter((x) => x.result === r).length;
      res.status(dryRun ? 200 : 201).json({
        dryRun,
        total: outcome.length,
        created: count('created'),
        updated: count('updated'),
        unchanged: count('unchanged'),
        items: outcome,
      });
    },
  );

  router.get('/assets/export', ...allow('assets:read'), async (req, res) => {
    const { format, ...filters } = parseQuery(exportQuery, req);
    const rows = await inOrg(deps, req, (c, orgId) => allAssets(c, orgId, filters, MAX_EXPORT));
    sendDocument(
      res,
      format,
      { apiVersion: 'aigos.dev/v1', kind: 'AssetCardList', cards: rows.map(toExport) },
      'asset-cards',
    );
  });

  router.get('/assets/:assetId/export', ...allow('assets:read'), async (req, res) => {
    const key = assetKey(req);
    const { format } = parseQuery(oneExportQuery, req);
    const row = await inOrg(deps, req, (c, orgId) => getAssetOr404(c, orgId, key));
    sendDocument(res, format, toExport(row), row.card_id);
  });
}
