// Compliance routes: the organization's score and its trend, one asset's per-control
// results, and an on-demand re-evaluation of every asset. The work is in service.ts,
// shared with GraphQL.
import express, { type Router } from 'express';
import { allow } from '../auth/principal.js';
import { assetKey } from '../assets/validation.js';
import type { ApiDeps } from '../http/context.js';
import { assetCompliance, complianceHistory, complianceSummary, evaluateCompliance } from './service.js';

export function complianceRouter(deps: ApiDeps): Router {
  const router = express.Router();

  router.get('/compliance/summary', ...allow('compliance:read'), async (req, res) => {
    res.json(await complianceSummary(deps, req));
  });

  router.get('/compliance/assets/:assetId', ...allow('compliance:read'), async (req, res) => {
    res.json(await assetCompliance(deps, req, assetKey(req)));
  });

  router.get('/compliance/history', ...allow('compliance:read'), async (req, res) => {
    res.json(await complianceHistory(deps, req, { ...req.query }));
  });

  router.post('/compliance/evaluate', ...allow('compliance:write', 'editor'), async (req, res) => {
    res.json(await evaluateCompliance(deps, req));
  });

  return router;
}
