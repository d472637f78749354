// Redis from the machine's redis-server, on 127.0.0.1, password from a 0600 config
// file (never on the command line, where `ps` would show it: seed-review row 4).
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { GiveUp, waitFor } from '../../../readiness/wait.js';
import { ManagedProcess } from '../../../util/managed-process.js';

export class MissingPrerequisiteError extends Error {
  constructor(
    readonly tool: string,
    readonly install: string,
  ) {
    super(`${tool} is not installed; install it with: ${install}`);
    this.name = 'MissingPrerequisiteError';
  }
}

/** Absolute path of redis-server, or a MissingPrerequisiteError naming the package. */
export async function findRedisServer(pathEnv = process.env.PATH ?? ''): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('sh', ['-c', 'command -v redis-server'], {
      env: { PATH: pathEnv },
    });
    const found = stdout.trim();
    if (found) return found;
  } catch {
    // not found
  }
  throw new MissingPrerequisiteError('redis-server', 'sudo apt-get install -y redis-server');
}

export interface RedisSpec {
  dir: string;
  port: number;
  password: string;
  logFile: string;
  /** Keep data across restarts (backup/restore scenarios); off by default. */
  persistent?: boolean;
}

export interface StartedRedis {
  process: ManagedProcess;
  url: string;
}

export async function startRedis(spec: RedisSpec): Promise<StartedRedis> {
  const binary = await findRedisServer();
  await mkdir(spec.dir, { recursive: true, mode: 0o700 });
  const conf = join(spec.dir, 'redis.conf');
  await writeFile(
    conf,
    [
      `port ${spec.port}`,
      'bind 127.0.0.1',
      'protected-mode yes',
      `requirepass "${spec.password}"`,
      `dir "${spec.dir}"`,
      'daemonize no',
      'logfile ""',
      ...(spec.persistent ? ['appendonly yes', 'save 60 1'] : ['save ""', 'appendonly no']),
    ].join('\n') + '\n',
    { mode: 0o600 },
  );
  const proc = new ManagedProcess({
    name: 'redis',
    command: binary,
    args: [conf],
    env: { PATH: process.env.PATH },
    logFile: spec.logFile,
  });
  const url = `redis://:${encodeURIComponent(spec.password)}@127.0.0.1:${spec.port}`;
  await waitFor(
    'Redis',
    async () => {
      if (proc.exitInfo) throw new GiveUp(`exited: ${proc.lastLines(5).join(' | ')}`);
      const client = new Redis(url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        enableOfflineQueue: false,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.ping();
      } finally {
        client.disconnect();
      }
    },
    { timeoutMs: 15_000, intervalMs: 50 },
  ).catch(async (err) => {
    await proc.stop();
    throw err;
  });
  return { process: proc, url };
}
