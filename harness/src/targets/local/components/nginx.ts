// nginx in front of the local deployment, with the repository's own configuration
// (nginx/nginx.conf.template, the file the compose deployment uses) and TLS from a
// throwaway local CA. Unprivileged: 127.0.0.1 only, a free port, pid and temp files in
// the state directory, errors on stderr (the component log).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GiveUp, waitFor } from '../../../readiness/wait.js';
import { ensureLocalTls, type LocalTlsFiles } from '../../../util/local-ca.js';
import { ManagedProcess } from '../../../util/managed-process.js';
import { KIT_ROOT } from '../../../util/paths.js';
import { MissingPrerequisiteError } from './redis.js';

const run = promisify(execFile);

export const NGINX_TEMPLATE = join(KIT_ROOT, 'nginx', 'nginx.conf.template');
export const NGINX_TRUSTED_PROXIES = join(KIT_ROOT, 'nginx', 'trusted-proxies.conf');

/** Absolute path of the nginx binary (Debian puts it in /usr/sbin, often not on a user's PATH). */
export async function findNginx(pathEnv = process.env.PATH ?? ''): Promise<string> {
  const dirs = [...pathEnv.split(':').filter(Boolean), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    const candidate = join(dir, 'nginx');
    if (existsSync(candidate)) return candidate;
  }
  throw new MissingPrerequisiteError('nginx', 'sudo apt-get install -y nginx');
}

/**
 * Substitute ${NAME} placeholders (upper-case names only, as envsubst with a variable
 * list does), leaving nginx's own $variables alone. A placeholder without a value is an
 * error naming it.
 */
export function renderTemplate(template: string, vars: Record<string, string>): string {
  const missing = new Set<string>();
  const out = template.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_m, name: string) => {
    const value = vars[name];
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    return value;
  });
  if (missing.size) throw new Error(`nginx template: no value for ${[...missing].join(', ')}`);
  return out;
}

export interface NginxSpec {
  /** Directory for the rendered config, pid file, temp files and TLS material. */
  dir: string;
  httpsPort: number;
  httpPort: number;
  upstreams: { gateway: number; web: number; ca: number };
  logFile: string;
  accessLog: string;
  /** Host name the certificate and public URL use. */
  host?: string;
}

export interface StartedNginx {
  process: ManagedProcess;
  url: string;
  tls: LocalTlsFiles;
}

/** Whether `user` can traverse every directory down to `dir` (root's home is 0700, say). */
async function reachableBy(dir: string, user: string): Promise<boolean> {
  try {
    const uid = (await run('id', ['-u', user])).stdout.trim();
    const gid = (await run('id', ['-g', user])).stdout.trim();
    await run('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', 'test', '-x', dir]);
    return true;
  } catch {
    return false;
  }
}

/** The TLS material of a state directory's proxy (created on first use). */
export function localProxyTls(dir: string, host = '127.0.0.1'): Promise<LocalTlsFiles> {
  return ensureLocalTls({ dir: join(dir, 'tls'), hosts: [...new Set([host, '127.0.0.1', 'localhost'])] });
}

export async function renderLocalConfig(spec: NginxSpec, tls: LocalTlsFiles): Promise<string> {
  const host = spec.host ?? '127.0.0.1';
  await mkdir(spec.dir, { recursive: true, mode: 0o755 });
  let tempDir = join(spec.dir, 'temp');
  const asRoot = userInfo().uid === 0;
  // As root the workers run as nobody: they need to reach their temp directory
  if (asRoot && !(await reachableBy(spec.dir, 'nobody'))) {
    tempDir = await mkdtemp(join(tmpdir(), 'aigos-nginx-'));
    await chmod(tempDir, 0o755);
  }
  await mkdir(tempDir, { recursive: true, mode: 0o755 });
  const trusted = join(spec.dir, 'trusted-proxies.conf');
  await writeFile(trusted, await readFile(NGINX_TRUSTED_PROXIES, 'utf8'));
  return renderTemplate(await readFile(NGINX_TEMPLATE, 'utf8'), {
    NGINX_USER: asRoot ? 'nobody nogroup' : userInfo().username,
    NGINX_WORKER_PROCESSES: '1',
    NGINX_PID_FILE: join(spec.dir, 'nginx.pid'),
    NGINX_ERROR_LOG: 'stderr',
    NGINX_ACCESS_LOG: spec.accessLog,
    NGINX_TEMP_DIR: tempDir,
    NGINX_MIME_TYPES: '/etc/nginx/mime.types',
    NGINX_TRUSTED_PROXIES_CONF: trusted,
    NGINX_HTTP_LISTEN: `127.0.0.1:${spec.httpPort}`,
    NGINX_HTTPS_LISTEN: `127.0.0.1:${spec.httpsPort}`,
    NGINX_HTTPS_ORIGIN: `https://${host}:${spec.httpsPort}`,
    NGINX_SERVER_NAME: `${host} localhost`,
    NGINX_TLS_CERT: tls.serverChain,
    NGINX_TLS_KEY: tls.serverKey,
    GATEWAY_UPSTREAM: `127.0.0.1:${spec.upstreams.gateway}`,
    WEB_UPSTREAM: `127.0.0.1:${spec.upstreams.web}`,
    CA_UPSTREAM: `127.0.0.1:${spec.upstreams.ca}`,
  });
}

function httpsGet(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 2_000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`${url} did not answer within 2 s`)));
    req.on('error', reject);
    req.end();
  });
}

export async function startNginx(spec: NginxSpec): Promise<StartedNginx> {
  const binary = await findNginx();
  await mkdir(spec.dir, { recursive: true, mode: 0o755 });
  const host = spec.host ?? '127.0.0.1';
  const tls = await localProxyTls(spec.dir, host);
  const conf = join(spec.dir, 'nginx.conf');
  await writeFile(conf, await renderLocalConfig(spec, tls), { mode: 0o644 });
  const args = ['-p', spec.dir, '-c', conf, '-e', 'stderr'];
  // a configuration error is reported at once with nginx's own message
  await run(binary, [...args, '-t', '-q']).catch((err: Error & { stderr?: string }) => {
    throw Object.assign(new Error(`nginx configuration test failed: ${(err.stderr ?? err.message).trim()}`), {
      component: 'nginx',
    });
  });
  const proc = new ManagedProcess({
    name: 'nginx',
    command: binary,
    args: [...args, '-g', 'daemon off;'],
    env: { PATH: process.env.PATH },
    logFile: spec.logFile,
  });
  const url = `https://${host}:${spec.httpsPort}`;
  const ca = await readFile(tls.caCert, 'utf8');
  // probed over HTTPS through to the gateway, not with `nginx -t` (seed-review row 5)
  await waitFor(
    'nginx',
    async () => {
      if (proc.exitInfo) throw new GiveUp(`exited: ${proc.lastLines(5).join(' | ')}`);
      const status = await httpsGet(`${url}/health`, ca);
      if (status !== 200) throw new Error(`${url}/health answered ${status}`);
    },
    { timeoutMs: 15_000, intervalMs: 50 },
  ).catch(async (err) => {
    await proc.stop();
    throw Object.assign(err as Error, { component: 'nginx', lastLines: proc.lastLines(20) });
  });
  return { process: proc, url, tls };
}
