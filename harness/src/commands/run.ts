// `run` and `validate`: get a deployment (attach, or bring one up and take it down
// after), run the suites, write the signed report folder, and decide the exit code:
// 0 every non-skipped scenario passed, 1 one failed or errored, 2 the harness could not
// do its job (bad arguments, target could not come up, report could not be written).
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { findChromium } from '../drivers/browser.js';
import { fileReporters, REPORT_FILES } from '../reporters/files.js';
import { ProgressReporter } from '../reporters/progress.js';
import { Multiplexer, type Reporter } from '../reporters/reporter.js';
import { loadOrCreateSigningKey } from '../reporters/sign.js';
import { exitCodeOf, newRunId, type Report } from '../runner/model.js';
import { Redactor } from '../runner/redact.js';
import { Runner } from '../runner/runner.js';
import type { Suite } from '../runner/scenario.js';
import { selectSuites } from '../runner/suites.js';
import { type AdminCredentials, type ServiceName, TargetUnderTest } from '../runner/target-under-test.js';
import { LocalTarget } from '../targets/local/local-target.js';
import type { StartedDeployment, TargetKind } from '../targets/target.js';
import { UrlTarget } from '../targets/url/url-target.js';
import { defaultStateDir, KIT_ROOT } from '../util/paths.js';

export class UsageError extends Error {}

export class HarnessError extends Error {}

export interface RunCommandOptions {
  target: TargetKind;
  state?: string;
  url?: string;
  adminToken?: string;
  adminTokenFile?: string;
  adminEmail?: string;
  adminPasswordFile?: string;
  caFile?: string;
  metricsUrl?: string;
  suite?: string[];
  out?: string;
  keep?: boolean;
  quiet?: boolean;
  /** Local target brought up by this run: put nginx in front (default true). */
  proxy?: boolean;
  /** Local target brought up by this run: start the test IdPs for the sso suite (default true). */
  testIdps?: boolean;
  /** Take down whatever runs in the state directory first and start fresh (validate). */
  fresh?: boolean;
  key?: string;
  retries?: number;
  /** Suites to run instead of discovering scenarios/ (tests). */
  suites?: Suite[];
}

export interface RunOutcome {
  code: 0 | 1 | 2;
  report?: Report;
  dir?: string;
}

const toolVersion = async () =>
  (JSON.parse(await readFile(join(KIT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

async function adminCredentials(o: RunCommandOptions): Promise<AdminCredentials | undefined> {
  const token =
    o.adminToken ??
    (o.adminTokenFile ? (await readFile(o.adminTokenFile, 'utf8')).trim() : undefined) ??
    process.env.AIGOS_ADMIN_TOKEN;
  const password = o.adminPasswordFile ? (await readFile(o.adminPasswordFile, 'utf8')).trim() : undefined;
  if (!token && !o.adminEmail && !password) return undefined;
  return { token, email: o.adminEmail, password };
}

export async function runCommand(o: RunCommandOptions, say: (line: string) => void): Promise<RunOutcome> {
  const out = resolve(o.out ?? 'reports');
  const suites =
    o.suites ??
    (await selectSuites(o.suite).catch((err: Error) => {
      throw new UsageError(err.message);
    }));
  const key = await loadOrCreateSigningKey({ path: o.key, notInside: out, warn: say });
  if (key.created) say(`generated the harness signing key ${key.path} (thumbprint ${key.kid})`);

  let deployment: StartedDeployment;
  let broughtUp = false;
  if (o.target === 'url') {
    if (!o.url)
      throw new UsageError(
        '--target url needs --url URL (and --admin-token T or --admin-email with --admin-password-file)',
      );
    deployment = await new UrlTarget({
      url: o.url,
      adminEmail: o.adminEmail,
      adminPasswordFile: o.adminPasswordFile,
      caFile: o.caFile,
    }).up();
  } else if (o.target === 'local') {
    const target = new LocalTarget(o.state ?? defaultStateDir('local'));
    if (o.fresh) await target.down({});
    const running = o.fresh ? undefined : await target.attach();
    if (running) {
      say(`using the running deployment in ${target.state.root}`);
      deployment = running;
    } else {
      deployment = await target.up({
        proxy: o.proxy ?? true,
        testIdps: o.testIdps ?? true,
        onProgress: o.quiet ? undefined : say,
      });
      broughtUp = true;
    }
  } else {
    throw new UsageError(
      `target ${o.target} cannot be run by this version of the harness yet; available: local, url`,
    );
  }

  try {
    const admin = await adminCredentials(o);
    const metricsUrls = o.metricsUrl
      ? ({ gateway: o.metricsUrl } as Partial<Record<ServiceName, string>>)
      : undefined;
    const target = await TargetUnderTest.of(deployment, { admin, browserPath: findChromium(), metricsUrls });
    const redactor = new Redactor(await target.secretValues());
    if (target.admin.password) redactor.add('admin-password', target.admin.password);
    if (target.admin.token) redactor.add('admin-token', target.admin.token);

    const runId = newRunId();
    const dir = join(out, runId);
    const reporters: Reporter[] = [...(o.quiet ? [] : [new ProgressReporter()]), ...fileReporters(key)];
    const mux = new Multiplexer(reporters, say);
    const runner = new Runner({
      runId,
      toolVersion: await toolVersion(),
      target,
      suites,
      reportDir: dir,
      redactor,
      reporter: mux,
      undeclaredRetries: o.retries,
    });
    const report = await runner.run();
    await mux.onRunEnd(report, dir);
    const s = report.summary;
    if (o.quiet)
      say(
        `${s.total} scenarios: ${s.passed} passed, ${s.failed} failed, ${s.errored} errored, ${s.skipped} skipped`,
      );
    say(`report: ${join(dir, REPORT_FILES.html)} (signed ${REPORT_FILES.json}, key ${key.kid})`);
    if (mux.failures.some((f) => f.reporter === 'json')) return { code: 2, report, dir }; // no signed report: the run cannot be trusted
    return { code: exitCodeOf(report.summary), report, dir };
  } finally {
    if (broughtUp && !o.keep) await deployment.down({ say: o.quiet ? undefined : say });
    else if (broughtUp)
      say('deployment left running (--keep); stop it with: aigos-harness down --target local');
  }
}
