// `aigos-harness verify <report.json>`: the signature over report.json's exact bytes,
// then every evidence file's SHA-256. Any mismatch fails the verification.
import { readFile, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { sha256 } from '../runner/evidence.js';
import type { Report } from '../runner/model.js';
import { REPORT_FILES } from './files.js';
import { loadTrustedKey, type SignatureCheck, verifyDetached } from './sign.js';

export interface VerifyResult {
  ok: boolean;
  signature: SignatureCheck;
  evidence: { checked: number; problems: string[] };
  problems: string[];
}

export async function verifyReport(
  reportPath: string,
  opts: { keyFile?: string; sigPath?: string } = {},
): Promise<VerifyResult> {
  const problems: string[] = [];
  const bytes = await readFile(reportPath);
  const sigPath = opts.sigPath ?? `${reportPath}.sig`;
  const sig = await readFile(sigPath, 'utf8').catch(() => undefined);
  const trusted = opts.keyFile ? await loadTrustedKey(opts.keyFile) : undefined;
  const signature: SignatureCheck = sig
    ? await verifyDetached(bytes, sig, trusted)
    : { ok: false, trusted: false, message: `no signature file ${sigPath}` };
  if (!signature.ok) problems.push(`signature: ${signature.message}`);

  const evidenceProblems: string[] = [];
  let checked = 0;
  let report: Report | undefined;
  try {
    report = JSON.parse(bytes.toString('utf8')) as Report;
  } catch {
    problems.push(`${REPORT_FILES.json} is not valid JSON`);
  }
  if (report && report.schemaVersion !== '1')
    problems.push(`unknown schemaVersion ${String(report.schemaVersion)}`);
  const dir = await realpath(dirname(resolve(reportPath)));
  const seen = new Set<string>();
  for (const suite of report?.suites ?? [])
    for (const sc of suite.scenarios ?? [])
      for (const c of sc.checks ?? [])
        for (const e of c.evidence ?? []) {
          if (seen.has(e.path)) continue;
          seen.add(e.path);
          checked++;
          const file = resolve(dir, e.path);
          const rel = relative(dir, file);
          if (isAbsolute(e.path) || rel.startsWith('..')) {
            evidenceProblems.push(`${e.path}: outside the report folder`);
            continue;
          }
          const data = await readFile(join(dir, rel)).catch(() => undefined);
          if (!data) evidenceProblems.push(`${e.path}: missing`);
          else if (sha256(data) !== e.sha256)
            evidenceProblems.push(
              `${e.path}: SHA-256 ${sha256(data)} does not match the report's ${e.sha256} (changed after the run)`,
            );
        }
  problems.push(...evidenceProblems.map((p) => `evidence ${p}`));
  return {
    ok: problems.length === 0,
    signature,
    evidence: { checked, problems: evidenceProblems },
    problems,
  };
}
