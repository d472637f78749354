// Compliance reports: one document per request, built from the stored evaluations, as
// JSON (machine-readable) or a self-contained HTML page (no scripts, no network).
import type pg from 'pg';
import { activePacks, orgScore } from '../compliance/engine.js';
import { expand, type StoredResult } from '../compliance/results.js';
import { listPacks } from '../policies/service.js';

export interface ComplianceReport {
  schemaVersion: '1';
  kind: 'ComplianceReport';
  generatedAt: string;
  generatedBy: string;
  organization: { id: string; slug: string; name: string };
  score: number | null;
  controls: { passed: number; failed: number; gaps: number };
  packs: { id: string; version: string; name: string; controls: number }[];
  assets: {
    id: string;
    name: string;
    status: string;
    riskLevel: string;
    score: number | null;
    passed: number;
    failed: number;
    gaps: number;
    findings: { packId: string; controlId: string; ref: string; title: string; status: 'fail' | 'gap'; severity: string; reason: string }[];
  }[];
}

export async function buildReport(client: pg.PoolClient, orgId: string, generatedBy: string, includeRetired: boolean): Promise<ComplianceReport> {
  const org = await client.query<{ slug: string; name: string }>(`SELECT slug, name FROM organizations WHERE id = $1`, [orgId]);
  const score = await orgScore(client, orgId);
  const packs = await listPacks(client, orgId, true);
  const definitions = await activePacks(client, orgId);
  const rows = await client.query<{ card_id: string; name: string; status: string; risk_level: string; score: string | null; passed: number | null; failed: number | null; gaps: number | null; results: StoredResult[] | null }>(
    `SELECT a.card_id, a.name, a.status, a.risk_level, c.score::text AS score, c.passed, c.failed, c.gaps, c.results
       FROM asset_cards a LEFT JOIN asset_compliance c ON c.asset_id = a.id
      WHERE a.organization_id = $1 AND ($2::boolean OR a.status <> 'retired')
      ORDER BY c.score ASC NULLS LAST, a.name, a.id`,
    [orgId, includeRetired],
  );
  return {
    schemaVersion: '1',
    kind: 'ComplianceReport',
    generatedAt: new Date().toISOString(),
    generatedBy,
    organization: { id: orgId, slug: org.rows[0]?.slug ?? '', name: org.rows[0]?.name ?? '' },
    score: score.score,
    controls: { passed: score.passed, failed: score.failed, gaps: score.gaps },
    packs: packs.map((p) => ({ id: p.id, version: p.version, name: p.name, controls: p.controls })),
    assets: rows.rows.map((r) => ({
      id: r.card_id,
      name: r.name,
      status: r.status,
      riskLevel: r.risk_level,
      score: r.score === null ? null : Number(r.score),
      passed: r.passed ?? 0,
      failed: r.failed ?? 0,
      gaps: r.gaps ?? 0,
      findings: expand(r.results, definitions)
        .filter((x) => x.applicable && x.status !== 'pass')
        .map((x) => ({ packId: x.packId, controlId: x.controlId, ref: x.ref, title: x.title, status: x.status as 'fail' | 'gap', severity: x.severity, reason: x.reason })),
    })),
  };
}

const esc = (v: unknown) =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(1)} %`);

export function renderHtml(r: ComplianceReport): string {
  const packRows = r.packs.map((p) => `<tr><td>${esc(p.name)}</td><td>${esc(p.id)}</td><td>${esc(p.version)}</td><td>${p.controls}</td></tr>`).join('');
  const assetRows = r.assets
    .map((a) => {
      const findings = a.findings.length
        ? `<ul>${a.findings.map((f) => `<li class="${f.status}"><b>${esc(f.ref)}</b> ${esc(f.title)} (${esc(f.packId)}, ${f.status}, ${esc(f.severity)}): ${esc(f.reason)}</li>`).join('')}</ul>`
        : '<span class="ok">no open findings</span>';
      return `<tr><td><b>${esc(a.name)}</b><br><code>${esc(a.id)}</code></td><td>${esc(a.status)}</td><td>${esc(a.riskLevel)}</td><td class="num">${pct(a.score)}</td><td class="num">${a.passed}/${a.failed}/${a.gaps}</td><td>${findings}</td></tr>`;
    })
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Compliance report: ${esc(r.organization.name)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24}h1{margin-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #ccd;padding:.35rem .5rem;vertical-align:top;text-align:left}
th{background:#eef}td.num{text-align:right;white-space:nowrap}.fail{color:#a00}.gap{color:#a60}.ok{color:#070}
.score{font-size:2rem;font-weight:700}ul{margin:0;padding-left:1.1rem}code{font-size:12px}
</style></head><body>
<h1>Compliance report</h1>
<p>${esc(r.organization.name)} (<code>${esc(r.organization.slug)}</code>), generated ${esc(r.generatedAt)} by ${esc(r.generatedBy)}</p>
<p>Organization score: <span class="score">${pct(r.score)}</span> over ${r.assets.filter((a) => a.score !== null && a.status !== 'retired').length} assets;
controls passed ${r.controls.passed}, failed ${r.controls.failed}, gaps ${r.controls.gaps}.</p>
<h2>Active policy packs</h2>
<table><thead><tr><th>Pack</th><th>Id</th><th>Version</th><th>Controls</th></tr></thead><tbody>${packRows || '<tr><td colspan="4">no active pack</td></tr>'}</tbody></table>
<h2>Assets</h2>
<table><thead><tr><th>Asset</th><th>Status</th><th>Risk</th><th>Score</th><th>Pass/Fail/Gap</th><th>Open findings</th></tr></thead>
<tbody>${assetRows || '<tr><td colspan="6">no assets</td></tr>'}</tbody></table>
<p><small>Scores count applicable controls of the active packs; a failed critical control makes an asset's score 0.
Requirements are summaries, not the text of the regulations or standards.</small></p>
</body></html>
`;
}
