// The S3-compatible endpoint process (see s3-server.ts).
import { mkdir } from 'node:fs/promises';
import { GiveUp, tcpPort, waitFor } from '../../../readiness/wait.js';
import { ManagedProcess } from '../../../util/managed-process.js';
import { S3_SERVER_ENTRY } from '../../../util/paths.js';

export interface S3Spec {
  dir: string;
  port: number;
  accessKey: string;
  secretKey: string;
  logFile: string;
}

export interface StartedS3 {
  process: ManagedProcess;
  endpoint: string;
}

export async function startS3(spec: S3Spec): Promise<StartedS3> {
  await mkdir(spec.dir, { recursive: true, mode: 0o700 });
  const proc = new ManagedProcess({
    name: 's3',
    command: process.execPath,
    args: [S3_SERVER_ENTRY],
    env: {
      PATH: process.env.PATH,
      S3_PORT: String(spec.port),
      S3_DIRECTORY: spec.dir,
      S3_ACCESS_KEY: spec.accessKey,
      S3_SECRET_KEY: spec.secretKey,
    },
    logFile: spec.logFile,
  });
  await waitFor(
    'S3 endpoint',
    async () => {
      if (proc.exitInfo) throw new GiveUp(`exited: ${proc.lastLines(5).join(' | ')}`);
      await tcpPort(spec.port)();
    },
    { timeoutMs: 15_000, intervalMs: 50 },
  ).catch(async (err) => {
    await proc.stop();
    throw err;
  });
  return { process: proc, endpoint: `http://127.0.0.1:${spec.port}` };
}
