// junit.xml: one <testsuite> per suite, one <testcase> per scenario (contracts §2), in
// the shape Jenkins, GitLab, GitHub Actions and Azure DevOps read: failed -> <failure>,
// errored -> <error>, skipped -> <skipped message>, checks and evidence in the body.
import type { CheckResult, Report, ScenarioResult } from '../runner/model.js';

// XML 1.0 forbids most control characters even when escaped
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function xmlEscape(text: string): string {
  return text
    .replace(INVALID_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function cdata(text: string): string {
  return `<![CDATA[${text.replace(INVALID_XML, '').replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

export function show(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function checkLine(c: CheckResult): string {
  const lines = [`[${c.status.toUpperCase()}] ${c.id}: ${c.title}`];
  if (c.expected !== undefined) lines.push(`  expected: ${show(c.expected)}`);
  if (c.actual !== undefined) lines.push(`  actual:   ${show(c.actual)}`);
  if (c.skipReason) lines.push(`  skipped:  ${c.skipReason}`);
  if (c.remediation) lines.push(`  fix:      ${c.remediation}`);
  for (const e of c.evidence ?? []) lines.push(`  evidence: ${e.path} (${e.kind}, sha256 ${e.sha256})`);
  return lines.join('\n');
}

function testcase(suiteId: string, s: ScenarioResult): string {
  const attrs = `classname="${xmlEscape(suiteId)}" name="${xmlEscape(`${s.id}: ${s.title}`)}" time="${(s.durationMs / 1000).toFixed(3)}"`;
  const bad = s.checks.filter((c) => c.status === 'failed' || c.status === 'errored');
  const body = s.checks.map(checkLine).join('\n');
  const parts: string[] = [];
  if (s.status === 'failed') {
    const msg = bad.map((c) => c.title).join('; ') || 'failed';
    parts.push(
      `<failure message="${xmlEscape(msg)}" type="check-failed">${cdata(bad.map(checkLine).join('\n'))}</failure>`,
    );
  } else if (s.status === 'errored') {
    parts.push(
      `<error message="${xmlEscape(s.error ?? 'errored')}" type="scenario-errored">${cdata(bad.map(checkLine).join('\n'))}</error>`,
    );
  } else if (s.status === 'skipped') {
    parts.push(`<skipped message="${xmlEscape(s.skipReason ?? 'skipped')}"/>`);
  }
  if (body) parts.push(`<system-out>${cdata(body)}</system-out>`);
  return `    <testcase ${attrs}>${parts.length ? `\n      ${parts.join('\n      ')}\n    ` : ''}</testcase>`;
}

export function renderJunit(report: Report): string {
  const count = (list: ScenarioResult[], st: ScenarioResult['status']) =>
    list.filter((s) => s.status === st).length;
  const suites = report.suites.map((suite) => {
    const list = suite.scenarios;
    const time = list.reduce((t, s) => t + s.durationMs, 0) / 1000;
    return (
      `  <testsuite name="${xmlEscape(suite.id)}" tests="${list.length}" failures="${count(list, 'failed')}" errors="${count(list, 'errored')}" skipped="${count(list, 'skipped')}" time="${time.toFixed(3)}" timestamp="${xmlEscape(report.startedAt)}">\n` +
      `    <properties>\n      <property name="title" value="${xmlEscape(suite.title)}"/>\n      <property name="target" value="${xmlEscape(`${report.target.kind} ${report.target.url}`)}"/>\n    </properties>\n` +
      list.map((s) => testcase(suite.id, s)).join('\n') +
      `\n  </testsuite>`
    );
  });
  const s = report.summary;
  const total = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="aigos-harness ${xmlEscape(report.runId)}" tests="${s.total}" failures="${s.failed}" errors="${s.errored}" skipped="${s.skipped}" time="${total.toFixed(3)}">\n` +
    suites.join('\n') +
    `\n</testsuites>\n`
  );
}
