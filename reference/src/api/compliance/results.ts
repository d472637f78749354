// Stored form of per-control results. An organization re-evaluates thousands of assets
// at once, so each asset's outcomes are stored compactly: [packId, controlId, code,
// reason] with code p (pass), f (fail), g (gap), n (not applicable) and a reason only
// for fail and gap. Titles, references and severities come back from the pack
// definitions when results are read (the stored results always belong to the active
// packs: any pack change re-evaluates every asset).
import { sha256Hex } from '../../common/canonical-json.js';
import { describe } from '../policies/checks.js';
import type { AssetEvaluation, ControlResult, PolicyPack } from '../policies/pack.js';

export type StoredResult = [packId: string, controlId: string, code: 'p' | 'f' | 'g' | 'n', reason?: string];

const CODE = { pass: 'p', fail: 'f', gap: 'g' } as const;

/** Reason stored for controls left out because their whole pack does not apply. */
const PACK_NOT_APPLICABLE = 'pack';

export function compact(results: readonly ControlResult[]): StoredResult[] {
  return results.map((r) => {
    if (!r.applicable)
      return r.packWide ? [r.packId, r.controlId, 'n', PACK_NOT_APPLICABLE] : [r.packId, r.controlId, 'n'];
    const code = CODE[r.status];
    return code === 'p' ? [r.packId, r.controlId, code] : [r.packId, r.controlId, code, r.reason];
  });
}

export function resultsDigest(e: AssetEvaluation, stored: StoredResult[]): string {
  return sha256Hex(
    `${e.score}|${e.passed}|${e.failed}|${e.gaps}|${e.notApplicable}|${JSON.stringify(stored)}`,
  );
}

export function expand(
  stored: readonly StoredResult[] | null | undefined,
  packs: readonly PolicyPack[],
): ControlResult[] {
  const byPack = new Map(packs.map((p) => [p.id, p]));
  return (stored ?? []).map(([packId, controlId, code, reason]) => {
    const pack = byPack.get(packId);
    const control = pack?.controls.find((c) => c.id === controlId);
    const applicable = code !== 'n';
    const status = code === 'f' ? 'fail' : code === 'g' ? 'gap' : 'pass';
    const notApplicableReason = () => {
      const when = reason === PACK_NOT_APPLICABLE ? pack?.appliesWhen : control?.appliesWhen;
      return `not applicable: applies when ${when ? describe(when) : 'its conditions hold'}`;
    };
    return {
      packId,
      packVersion: pack?.version ?? 'unknown',
      controlId,
      ref: control?.ref ?? controlId,
      title: control?.title ?? controlId,
      severity: control?.severity ?? 'medium',
      status,
      applicable,
      reason: applicable ? (reason ?? 'requirement met') : notApplicableReason(),
    };
  });
}
