// report.html: one self-contained page (no network: inline CSS, inline SVG charts,
// screenshots as data: URIs). Summary first, then what failed with its remediation,
// then each suite's table with every check, expected vs actual and the evidence.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckResult, Report, ScenarioResult, Status } from '../runner/model.js';
import { show } from './junit.js';

export function htmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const COLORS: Record<Status, string> = {
  passed: '#2e7d32',
  failed: '#c62828',
  errored: '#ef6c00',
  skipped: '#9e9e9e',
};

const CSS = `
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#1f2937;color:#fff;padding:16px 24px}header h1{margin:0 0 4px;font-size:20px}header p{margin:0;opacity:.85}
main{padding:16px 24px;max-width:1280px}section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px 16px;margin:0 0 16px}
h2{font-size:17px;margin:4px 0 10px}h3{font-size:15px;margin:12px 0 6px}
.cards{display:flex;gap:12px;flex-wrap:wrap;align-items:center}.card{border-radius:6px;padding:8px 14px;color:#fff;min-width:96px}.card b{display:block;font-size:22px}
.verdict{font-weight:700;font-size:18px;padding:6px 12px;border-radius:6px;color:#fff}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;border-top:1px solid #eaeef2;vertical-align:top}th{background:#f6f8fa}
.st{font-weight:600;text-transform:uppercase;font-size:12px}.passed{color:${COLORS.passed}}.failed{color:${COLORS.failed}}.errored{color:${COLORS.errored}}.skipped{color:#6e7781}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}pre{white-space:pre-wrap;word-break:break-word;margin:2px 0;background:#f6f8fa;padding:4px 6px;border-radius:4px;max-height:240px;overflow:auto}
.fix{background:#fff8c5;border-left:4px solid #d4a72c;padding:6px 10px;margin:4px 0}
details>summary{cursor:pointer}.muted{color:#6e7781}img.shot{max-width:100%;border:1px solid #d0d7de;border-radius:4px;margin:6px 0}
.charts{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
`;

function donut(summary: Report['summary']): string {
  const parts: [Status, number][] = [
    ['passed', summary.passed],
    ['failed', summary.failed],
    ['errored', summary.errored],
    ['skipped', summary.skipped],
  ];
  const total = Math.max(1, summary.total);
  const r = 50;
  const c = 2 * Math.PI * r;
  let offset = 0;
  const arcs = parts
    .filter(([, n]) => n > 0)
    .map(([st, n]) => {
      const len = (n / total) * c;
      const arc = `<circle r="${r}" cx="70" cy="70" fill="none" stroke="${COLORS[st]}" stroke-width="22" stroke-dasharray="${len.toFixed(2)} ${(c - len).toFixed(2)}" stroke-dashoffset="${(-offset).toFixed(2)}" transform="rotate(-90 70 70)"><title>${st}: ${n}</title></circle>`;
      offset += len;
      return arc;
    })
    .join('');
  const legend = parts
    .map(
      ([st, n], i) =>
        `<rect x="160" y="${20 + i * 24}" width="14" height="14" fill="${COLORS[st]}"/><text x="180" y="${32 + i * 24}" font-size="13">${st} ${n}</text>`,
    )
    .join('');
  return `<svg role="img" aria-label="scenario outcomes" width="280" height="140" viewBox="0 0 280 140">${arcs}<text x="70" y="76" text-anchor="middle" font-size="20" font-weight="700">${summary.total}</text>${legend}</svg>`;
}

function durationBars(report: Report): string {
  const rows = report.suites.flatMap((s) =>
    s.scenarios
      .filter((x) => x.status !== 'skipped')
      .map((x) => ({ id: x.id, ms: x.durationMs, st: x.status })),
  );
  rows.sort((a, b) => b.ms - a.ms);
  const top = rows.slice(0, 15);
  if (!top.length) return '';
  const max = Math.max(...top.map((r) => r.ms), 1);
  const h = 18;
  const bars = top
    .map((r, i) => {
      const w = Math.max(2, (r.ms / max) * 300);
      return `<text x="0" y="${i * h + 13}" font-size="11">${htmlEscape(r.id.length > 38 ? r.id.slice(0, 37) + '…' : r.id)}</text><rect x="250" y="${i * h + 3}" width="${w.toFixed(1)}" height="${h - 6}" fill="${COLORS[r.st]}"/><text x="${(256 + w).toFixed(1)}" y="${i * h + 13}" font-size="11">${r.ms} ms</text>`;
    })
    .join('');
  return `<svg role="img" aria-label="slowest scenarios" width="640" height="${top.length * h + 4}" viewBox="0 0 640 ${top.length * h + 4}">${bars}</svg>`;
}

function evidenceLinks(c: CheckResult, shots: Map<string, string>): string {
  return (c.evidence ?? [])
    .map((e) => {
      const img = shots.get(e.path);
      const link = `<a href="${htmlEscape(e.path)}">${htmlEscape(e.path.split('/').pop() ?? e.path)}</a> <span class="muted">${htmlEscape(e.kind)}</span>`;
      return img ? `${link}<br><img class="shot" alt="screenshot ${htmlEscape(e.path)}" src="${img}">` : link;
    })
    .join('<br>');
}

function value(v: unknown): string {
  return v === undefined ? '' : `<pre>${htmlEscape(show(v).slice(0, 4000))}</pre>`;
}

function checksTable(s: ScenarioResult, shots: Map<string, string>): string {
  if (!s.checks.length) return '';
  const rows = s.checks
    .map(
      (c) =>
        `<tr><td><span class="st ${c.status}">${c.status}</span></td><td>${htmlEscape(c.title)}<br><code class="muted">${htmlEscape(c.id)}</code>${c.remediation ? `<div class="fix">${htmlEscape(c.remediation)}</div>` : ''}${c.skipReason ? `<div class="muted">${htmlEscape(c.skipReason)}</div>` : ''}</td><td>${value(c.expected)}</td><td>${value(c.actual)}</td><td>${evidenceLinks(c, shots)}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>Status</th><th>Check</th><th>Expected</th><th>Actual</th><th>Evidence</th></tr></thead><tbody>${rows}</tbody></table>`;
}

async function screenshots(report: Report, dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const suite of report.suites)
    for (const s of suite.scenarios)
      for (const c of s.checks)
        for (const e of c.evidence ?? []) {
          if (e.kind !== 'screenshot' || out.has(e.path)) continue;
          const data = await readFile(join(dir, e.path)).catch(() => undefined);
          if (data && data.length < 5 * 1024 * 1024)
            out.set(e.path, `data:image/png;base64,${data.toString('base64')}`);
        }
  return out;
}

export async function renderHtml(report: Report, dir: string): Promise<string> {
  const shots = await screenshots(report, dir);
  const s = report.summary;
  const ok = s.failed + s.errored === 0;
  const card = (st: Status, n: number) =>
    `<div class="card" style="background:${COLORS[st]}"><b>${n}</b>${st}</div>`;
  const bad = report.suites.flatMap((suite) =>
    suite.scenarios.filter((x) => x.status === 'failed' || x.status === 'errored'),
  );
  const failures = bad.length
    ? `<section><h2>What to fix (${bad.length})</h2>${bad
        .map(
          (x) =>
            `<h3><span class="st ${x.status}">${x.status}</span> ${htmlEscape(x.id)}: ${htmlEscape(x.title)}</h3>${x.error ? `<p>${htmlEscape(x.error)}</p>` : ''}${checksTable({ ...x, checks: x.checks.filter((c) => c.status === 'failed' || c.status === 'errored') }, shots)}`,
        )
        .join('')}</section>`
    : '';
  const suites = report.suites
    .map((suite) => {
      const rows = suite.scenarios
        .map((x) => {
          const detail =
            x.status === 'skipped'
              ? `<span class="muted">${htmlEscape(x.skipReason ?? '')}</span>`
              : `<details${x.status !== 'passed' ? ' open' : ''}><summary>${x.checks.length} check(s)${x.attempts ? `, attempt ${x.attempts} (${x.declaredRetries ?? 0} retries declared)` : ''}</summary>${checksTable(x, shots)}</details>`;
          return `<tr><td><span class="st ${x.status}">${x.status}</span></td><td><b>${htmlEscape(x.title)}</b><br><code class="muted">${htmlEscape(x.id)}</code></td><td>${x.durationMs} ms</td><td>${detail}</td></tr>`;
        })
        .join('');
      return `<section><h2>${htmlEscape(suite.id)}: ${htmlEscape(suite.title)}</h2><table><thead><tr><th>Status</th><th>Scenario</th><th>Time</th><th>Checks</th></tr></thead><tbody>${rows}</tbody></table></section>`;
    })
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>AIGOS validation ${htmlEscape(report.runId)}</title><style>${CSS}</style></head>
<body><header><h1>AIGOS Control Plane validation</h1><p>Run ${htmlEscape(report.runId)} · ${htmlEscape(report.tool.name)} ${htmlEscape(report.tool.version)} · ${htmlEscape(report.target.kind)} target ${htmlEscape(report.target.url)} (version ${htmlEscape(report.target.version)}) · ${htmlEscape(report.startedAt)} → ${htmlEscape(report.finishedAt)}</p></header>
<main>
<section><div class="cards"><span class="verdict" style="background:${ok ? COLORS.passed : COLORS.failed}">${ok ? 'PASSED' : 'FAILED'}</span>${card('passed', s.passed)}${card('failed', s.failed)}${card('errored', s.errored)}${card('skipped', s.skipped)}</div>
<div class="charts"><div><h3>Outcomes</h3>${donut(s)}</div><div><h3>Slowest scenarios</h3>${durationBars(report)}</div></div></section>
${failures}${suites}
<p class="muted">report.json is signed (report.json.sig, detached JWS ES256); check it with <code>aigos-harness verify report.json</code>.</p>
</main></body></html>
`;
}
