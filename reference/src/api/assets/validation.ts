// Shared input handling of the asset routes: list filters, the asset id of a path, and
// card validation (either layout) with problems located under a path prefix.
import type { Request } from 'express';
import { z } from 'zod';
import { HttpError } from '../../common/errors.js';
import { listOf } from '../http/query.js';
import { issuesToProblems } from '../http/validate.js';
import {
  ASSET_STATUSES,
  assetCardInput,
  CARD_ID_RE,
  fromUpstreamLayout,
  GOVERNANCE_STATUSES,
  jurisdictionSchema,
  RISK_LEVELS,
  TECH_TYPES,
} from './schema.js';

export const filterQuery = {
  status: listOf(ASSET_STATUSES),
  riskLevel: listOf(RISK_LEVELS),
  type: listOf(TECH_TYPES),
  governanceStatus: listOf(GOVERNANCE_STATUSES),
  jurisdiction: jurisdictionSchema.optional(),
  owner: z.email('must be an e-mail address').optional(),
  q: z.string().max(200, 'must be at most 200 characters').optional(),
  scoreBelow: z.coerce.number().min(0).max(100).optional(),
};

/** An id that cannot name an asset is simply not found (no 400 that hints at formats). */
export function assetKey(req: Request): string {
  return checkAssetKey(String(req.params.assetId ?? ''));
}

/** The same check for an id that arrives another way (GraphQL arguments). */
export function checkAssetKey(key: string): string {
  if (!CARD_ID_RE.test(key)) throw new HttpError(404, 'NOT_FOUND', `no asset ${key.slice(0, 130)}`);
  return key;
}

/** Validate a card (in the upstream or our layout); problems carry paths under `prefix`. */
export function validateCard(raw: unknown, prefix: (string | number)[] = []) {
  const r = assetCardInput.safeParse(fromUpstreamLayout(raw));
  return r.success
    ? { card: r.data, problems: [] }
    : { card: undefined, problems: issuesToProblems(r.error.issues, 'body', prefix) };
}
