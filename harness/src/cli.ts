#!/usr/bin/env node
// aigos-harness: bring a deployment up, operate it, take it down (contracts.md §1).
// Exit codes: 0 success, 1 a check or deployment failed, 2 harness error (bad
// arguments, missing prerequisite, target could not come up).
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFile } from 'node:fs/promises';
import { defaultStateDir, KIT_ROOT } from './util/paths.js';
import { DeploymentFailedError, LocalTarget, PrerequisiteError } from './targets/local/local-target.js';
import type { TargetKind } from './targets/target.js';

const TARGETS: TargetKind[] = ['local', 'compose', 'kind', 'url'];
const AVAILABLE: TargetKind[] = ['local'];

class UsageError extends Error {}

function parseTarget(value: string): TargetKind {
  if (!(TARGETS as string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${TARGETS.join(', ')}`);
  return value as TargetKind;
}

function localTarget(opts: { target: TargetKind; state?: string }): LocalTarget {
  if (!AVAILABLE.includes(opts.target)) {
    throw new UsageError(
      `target ${opts.target} cannot be brought up by this version of the harness yet; available: ${AVAILABLE.join(', ')}`,
    );
  }
  return new LocalTarget(opts.state ?? defaultStateDir(opts.target));
}

const info = (line: string) => process.stderr.write(`${line}\n`);
const targetOption = () =>
  new Option('--target <target>', `deployment target (${TARGETS.join('|')})`)
    .argParser(parseTarget)
    .default('local');
const stateOption = () => new Option('--state <dir>', 'state directory (default .aigos/<target>/)');

const program = new Command('aigos-harness')
  .description('AIGOS Control Plane deployment test-and-certification harness')
  .version(JSON.parse(await readFile(`${KIT_ROOT}/package.json`, 'utf8')).version as string)
  .showHelpAfterError()
  .exitOverride();

program
  .command('up')
  .description('bring a deployment up and leave it running (detached unless --foreground)')
  .addOption(targetOption())
  .addOption(stateOption())
  .option('--version <version>', "deployment version to bring up (the local target runs this kit's version)")
  .option('--foreground', 'stay attached; Ctrl-C stops everything')
  .option('--json', 'print endpoints.json on stdout')
  .action(
    async (opts: {
      target: TargetKind;
      state?: string;
      version?: string;
      foreground?: boolean;
      json?: boolean;
    }) => {
      const target = localTarget(opts);
      if (opts.foreground) {
        process.exitCode = await target.runForeground(info);
        return;
      }
      const started = Date.now();
      const deployment = await target.up({ onProgress: info });
      const endpoints = await deployment.endpoints();
      if (opts.version && opts.version !== endpoints.version) {
        info(`note: the local target runs this kit's version ${endpoints.version}, not ${opts.version}`);
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify(endpoints, null, 2) + '\n');
        return;
      }
      const rows: [string, string][] = [
        ['public', endpoints.public],
        ['gateway', endpoints.gateway],
        ['web', endpoints.web],
        ['api', endpoints.api],
        ['ca', endpoints.ca],
        ['storage', `${endpoints.storage.endpoint} (bucket ${endpoints.storage.bucket})`],
        ['admin', `${endpoints.admin.email}, password in ${endpoints.admin.passwordFile}`],
        ['endpoints', target.state.endpointsFile],
        ['logs', target.state.path('logs')],
      ];
      process.stdout.write(
        `AIGOS Control Plane ${endpoints.version} is ready (${((Date.now() - started) / 1000).toFixed(1)} s)\n` +
          rows.map(([k, v]) => `  ${k.padEnd(10)} ${v}`).join('\n') +
          `\nStop it with: npm run harness -- down --target local${opts.state ? ` --state ${opts.state}` : ''}\n`,
      );
    },
  );

program
  .command('validate')
  .description(
    'the main job: bring up the local target, check it, tear it down (0 ok, 1 failed, 2 harness error)',
  )
  .addOption(stateOption())
  .option('--keep', 'leave the deployment running afterwards')
  .action(async (opts: { state?: string; keep?: boolean }) => {
    const target = new LocalTarget(opts.state ?? defaultStateDir('validate'));
    await target.down({}); // a previous interrupted run must not be reused
    const deployment = await target.up({ onProgress: info });
    let failed = 0;
    try {
      const endpoints = await deployment.endpoints();
      for (const service of ['gateway', 'api', 'ca', 'web'] as const) {
        const url = `${endpoints[service]}/health/ready`;
        const res = await fetch(url).catch((err: Error) => err);
        const ok = !(res instanceof Error) && res.status === 200;
        if (!ok) failed++;
        const detail = res instanceof Error ? res.message : `${res.status} ${await res.text()}`;
        process.stdout.write(`${ok ? 'PASS' : 'FAIL'} ${service} ready: ${detail}\n`);
      }
      const health = await deployment.exec(['aigos-admin', 'healthcheck']);
      if (health.code !== 0) failed++;
      process.stdout.write(
        `${health.code === 0 ? 'PASS' : 'FAIL'} operator healthcheck:\n${health.stdout}${health.stderr}`,
      );
    } finally {
      if (!opts.keep) await deployment.down({ say: info });
    }
    process.stdout.write(failed ? `${failed} check(s) failed\n` : 'all checks passed\n');
    process.exitCode = failed ? 1 : 0;
  });

program
  .command('down')
  .description('stop the deployment and remove its state unless --keep')
  .addOption(targetOption())
  .addOption(stateOption())
  .option('--keep', 'keep the state directory (data, secrets, logs)')
  .action(async (opts: { target: TargetKind; state?: string; keep?: boolean }) => {
    await localTarget(opts).down({ keep: opts.keep, say: info });
  });

program
  .command('status')
  .description('show the state of a running deployment')
  .addOption(targetOption())
  .addOption(stateOption())
  .action(async (opts: { target: TargetKind; state?: string }) => {
    const deployment = await localTarget(opts).attach();
    if (!deployment) {
      info('no running deployment');
      process.exitCode = 1;
      return;
    }
    process.stdout.write(JSON.stringify(await deployment.status(), null, 2) + '\n');
  });

program
  .command('exec')
  .description(
    "run an operator command with the deployment's configuration, e.g. exec -- aigos-admin healthcheck",
  )
  .addOption(targetOption())
  .addOption(stateOption())
  .argument('<command...>', 'operator command and its arguments (after --)')
  .action(async (argv: string[], opts: { target: TargetKind; state?: string }) => {
    const deployment = await localTarget(opts).attach();
    if (!deployment) throw new UsageError('no running deployment; run up first');
    const result = await deployment.exec(argv, { inherit: true });
    process.exitCode = result.code;
  });

try {
  await program.parseAsync();
} catch (err) {
  const e = err as Error & { code?: string; exitCode?: number };
  if (e.code?.startsWith('commander.')) {
    // help and version exit 0; argument errors were already printed
    process.exit(e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2);
  }
  if (err instanceof DeploymentFailedError) {
    info(`aigos-harness: deployment failed: ${err.message}`);
    for (const line of err.lastLines) info(`  | ${line}`);
    if (err.logFile) info(`  full log: ${err.logFile}`);
    process.exit(2);
  }
  if (err instanceof PrerequisiteError || err instanceof UsageError) {
    info(`aigos-harness: ${err.message}`);
    process.exit(2);
  }
  info(`aigos-harness: ${e.message}`);
  process.exit(2);
}
