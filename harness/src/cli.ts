#!/usr/bin/env node
// aigos-harness: bring a deployment up, run the acceptance suites against it, write
// the signed report, verify a report, take the deployment down (contracts.md §1).
// Exit codes: 0 success, 1 a check or deployment failed, 2 harness error (bad
// arguments, missing prerequisite, target could not come up).
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { defaultStateDir, KIT_ROOT } from './util/paths.js';
import { DeploymentFailedError, LocalTarget, PrerequisiteError } from './targets/local/local-target.js';
import { TARGET_KINDS, type TargetKind } from './targets/target.js';
import { UrlUnreachableError } from './targets/url/url-target.js';
import { runCommand, UsageError } from './commands/run.js';
import { verifyReport } from './reporters/verify.js';
import { defaultKeyPath, loadOrCreateSigningKey } from './reporters/sign.js';

const TARGETS = [...TARGET_KINDS];
const AVAILABLE: TargetKind[] = ['local'];

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
  .option(
    '--proxy',
    "put the repository's nginx (TLS from a throwaway local CA) in front; public becomes https",
  )
  .option(
    '--without-default-packs',
    'leave the built-in policy packs out (a setup gap the cp-02 suite must catch)',
  )
  .option(
    '--seed-default-admin-password',
    "seed the admin with the seed's default password (a setup gap the cp-02 suite must catch)",
  )
  .option(
    '--test-idps',
    "start the kit's test identity providers (Entra ID, Okta and Google shapes, SAML) and configure SSO for them",
  )
  .option(
    '--wrong-oidc-client-secret',
    'give the api a wrong client secret for the Entra ID-like test IdP (a setup gap the sso suite must catch; implies --test-idps)',
  )
  .action(
    async (opts: {
      target: TargetKind;
      state?: string;
      version?: string;
      foreground?: boolean;
      json?: boolean;
      proxy?: boolean;
      withoutDefaultPacks?: boolean;
      seedDefaultAdminPassword?: boolean;
      testIdps?: boolean;
      wrongOidcClientSecret?: boolean;
    }) => {
      const target = localTarget(opts);
      const setup = {
        proxy: opts.proxy,
        withoutDefaultPacks: opts.withoutDefaultPacks,
        seedDefaultAdminPassword: opts.seedDefaultAdminPassword,
        testIdps: opts.testIdps,
        wrongOidcClientSecret: opts.wrongOidcClientSecret,
      };
      if (opts.foreground) {
        process.exitCode = await target.runForeground(info, setup);
        return;
      }
      const started = Date.now();
      const deployment = await target.up({ onProgress: info, ...setup });
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
        ...(endpoints.tls ? ([['ca bundle', endpoints.tls.caFile]] as [string, string][]) : []),
        ...Object.entries(endpoints.idps ?? {}).map(
          ([name, idp]) => [`idp ${name}`, idp.issuer ?? idp.metadataUrl ?? ''] as [string, string],
        ),
        ['admin', `${endpoints.admin.email}, password in ${endpoints.admin.passwordFile}`],
        ['endpoints', target.state.endpointsFile],
        ['logs', target.state.path('logs')],
      ];
      process.stdout.write(
        `AIGOS Control Plane ${endpoints.version} is ready (${((Date.now() - started) / 1000).toFixed(1)} s)\n` +
          rows.map(([k, v]) => `  ${k.padEnd(Math.max(...rows.map(([x]) => x.length)))} ${v}`).join('\n') +
          `\nStop it with: npm run harness -- down --target local${opts.state ? ` --state ${opts.state}` : ''}\n`,
      );
    },
  );

const runOptions = (cmd: Command) =>
  cmd
    .addOption(stateOption())
    .option('--suite <ids>', 'comma-separated suites to run (default: all)', (v: string) =>
      v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .option('--out <dir>', 'report root; each run writes <out>/<runId>/', 'reports')
    .option('--keep', 'leave a deployment this command brought up running afterwards')
    .option('--quiet', 'no live progress; one summary line (for CI logs)')
    .option(
      '--key <file>',
      'signing key (PEM, EC P-256); default $AIGOS_HARNESS_KEY or ~/.config/aigos-harness/signing-key.pem',
    )
    .option(
      '--retries <n>',
      'extra attempts for failing scenarios that declare none; a pass that needs them is still reported failed',
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 5) throw new InvalidArgumentError('an integer from 0 to 5');
        return n;
      },
    );

interface RunCliOptions {
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
  out: string;
  keep?: boolean;
  quiet?: boolean;
  proxy?: boolean;
  testIdps?: boolean;
  key?: string;
  retries?: number;
}

runOptions(
  program
    .command('run')
    .description(
      'run the acceptance suites against a deployment and write the signed report (0 all passed, 1 a scenario failed, 2 harness error)',
    )
    .addOption(targetOption())
    .option('--url <url>', 'url target: the public URL of the deployment')
    .option('--admin-token <token>', 'url target: an admin bearer token or API key (or $AIGOS_ADMIN_TOKEN)')
    .option(
      '--admin-token-file <file>',
      'url target: a file holding the admin token (kept out of the process list)',
    )
    .option('--admin-email <email>', 'url target: admin e-mail for the login scenarios')
    .option('--admin-password-file <file>', "url target: a file holding that admin's password")
    .option(
      '--ca-file <file>',
      "url target: PEM bundle of the private CA that issued the deployment's certificate",
    )
    .option('--metrics-url <url>', 'url target: where the metrics of the deployment are scraped')
    .option('--no-proxy', 'local target brought up by run: without nginx in front')
    .option('--no-test-idps', 'local target brought up by run: without the test identity providers'),
).action(async (opts: RunCliOptions) => {
  const outcome = await runCommand(opts, info);
  process.exitCode = outcome.code;
});

runOptions(
  program
    .command('validate')
    .description(
      'the main job: bring up the local target behind nginx, run every suite, write the signed report, tear down (0 ok, 1 failed, 2 harness error)',
    ),
).action(async (opts: Omit<RunCliOptions, 'target'>) => {
  const outcome = await runCommand(
    {
      ...opts,
      target: 'local',
      state: opts.state ?? defaultStateDir('validate'),
      proxy: true,
      testIdps: true,
      fresh: true,
    },
    info,
  );
  process.exitCode = outcome.code;
});

program
  .command('verify')
  .description(
    'check a report: the signature over report.json and every evidence file hash (exit 1 on any mismatch)',
  )
  .argument('<report>', 'reports/<run>/report.json (or the run folder)')
  .option('--key <file>', 'require the signature to be by this key (PEM public or private key, or JWK)')
  .option('--sig <file>', 'signature file (default <report>.sig)')
  .action(async (path: string, opts: { key?: string; sig?: string }) => {
    const reportPath = /\.json$/.test(path) ? path : `${path.replace(/\/+$/, '')}/report.json`;
    const result = await verifyReport(resolve(reportPath), { keyFile: opts.key, sigPath: opts.sig });
    const say = (l: string) => process.stdout.write(`${l}\n`);
    say(`${result.signature.ok ? 'OK  ' : 'FAIL'} signature: ${result.signature.message}`);
    if (result.signature.ok && !result.signature.trusted)
      say(
        '     (checked with the key embedded in the signature: compare its thumbprint, or pass --key to require a trusted key)',
      );
    say(
      `${result.evidence.problems.length ? 'FAIL' : 'OK  '} evidence: ${result.evidence.checked} file(s) checked${result.evidence.problems.length ? `, ${result.evidence.problems.length} problem(s)` : ', every SHA-256 matches'}`,
    );
    for (const p of result.evidence.problems) say(`     ${p}`);
    for (const p of result.problems.filter((x) => !x.startsWith('signature') && !x.startsWith('evidence')))
      say(`FAIL ${p}`);
    say(result.ok ? `verified: ${reportPath}` : `NOT verified: ${reportPath}`);
    process.exitCode = result.ok ? 0 : 1;
  });

program
  .command('key')
  .description("show the harness signing key's path, thumbprint and public key (generates it on first use)")
  .option('--key <file>', 'key file (default $AIGOS_HARNESS_KEY or ~/.config/aigos-harness/signing-key.pem)')
  .action(async (opts: { key?: string }) => {
    const key = await loadOrCreateSigningKey({ path: opts.key ?? defaultKeyPath(), warn: info });
    const { createPublicKey } = await import('node:crypto');
    process.stdout.write(
      `key:        ${key.path}${key.created ? ' (generated now)' : ''}\nthumbprint: ${key.kid}\n` +
        createPublicKey(key.privateKey).export({ type: 'spki', format: 'pem' }).toString(),
    );
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
  if (err instanceof PrerequisiteError || err instanceof UsageError || err instanceof UrlUnreachableError) {
    info(`aigos-harness: ${err.message}`);
    process.exit(2);
  }
  info(`aigos-harness: ${e.message}`);
  process.exit(2);
}
