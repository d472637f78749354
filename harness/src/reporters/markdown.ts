// summary.md: the run in a page a person reads in a merge request or a ticket.
import type { Report, ScenarioResult } from '../runner/model.js';
import { show } from './junit.js';

const ICON: Record<ScenarioResult['status'], string> = {
  passed: 'passed',
  failed: '**FAILED**',
  errored: '**ERRORED**',
  skipped: 'skipped',
};

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const clip = (text: string, n = 200) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

export function renderMarkdown(report: Report): string {
  const s = report.summary;
  const verdict = s.failed + s.errored === 0 ? 'PASSED' : 'FAILED';
  const out: string[] = [
    `# AIGOS validation ${verdict}`,
    '',
    `Run \`${report.runId}\` of ${report.tool.name} ${report.tool.version} against the ${report.target.kind} target ${report.target.url} (version ${report.target.version}), ${report.startedAt} to ${report.finishedAt}.`,
    '',
    '| Scenarios | Passed | Failed | Errored | Skipped |',
    '| --- | --- | --- | --- | --- |',
    `| ${s.total} | ${s.passed} | ${s.failed} | ${s.errored} | ${s.skipped} |`,
    '',
  ];
  const bad = report.suites.flatMap((suite) =>
    suite.scenarios.filter((x) => x.status === 'failed' || x.status === 'errored'),
  );
  if (bad.length) {
    out.push('## What to fix', '');
    for (const sc of bad) {
      out.push(`### ${sc.id}: ${sc.title} (${sc.status})`, '');
      if (sc.error) out.push(`Error: ${sc.error}`, '');
      for (const c of sc.checks.filter((c) => c.status === 'failed' || c.status === 'errored')) {
        out.push(`- **${c.title}** (\`${c.id}\`)`);
        if (c.expected !== undefined) out.push(`  - expected: \`${cell(clip(show(c.expected)))}\``);
        if (c.actual !== undefined) out.push(`  - actual: \`${cell(clip(show(c.actual)))}\``);
        if (c.remediation) out.push(`  - fix: ${c.remediation}`);
        for (const e of c.evidence ?? []) out.push(`  - evidence: [${e.path}](${e.path})`);
      }
      out.push('');
    }
  }
  for (const suite of report.suites) {
    out.push(
      `## ${suite.id}: ${suite.title}`,
      '',
      '| Scenario | Status | Time | Notes |',
      '| --- | --- | --- | --- |',
    );
    for (const sc of suite.scenarios) {
      const notes =
        sc.status === 'skipped'
          ? (sc.skipReason ?? '')
          : sc.status === 'passed'
            ? `${sc.checks.length} check(s)${sc.attempts ? `; passed on attempt ${sc.attempts} (${sc.declaredRetries ?? 0} declared)` : ''}`
            : sc.checks
                .filter((c) => c.status !== 'passed' && c.status !== 'skipped')
                .map((c) => c.title)
                .join('; ');
      out.push(
        `| \`${sc.id}\` ${cell(sc.title)} | ${ICON[sc.status]} | ${sc.durationMs} ms | ${cell(clip(notes))} |`,
      );
    }
    out.push('');
  }
  out.push(
    'Signed: `report.json.sig` (detached JWS, ES256). Check with `aigos-harness verify report.json`.',
    '',
  );
  return out.join('\n');
}
