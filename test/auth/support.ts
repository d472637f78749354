// Helpers of the authentication tests: a cookie-keeping HTTP client (optionally from
// another loopback address or behind a claimed X-Forwarded-For), users and organizations
// written the way the operator commands write them, and extra api/gateway processes
// started with the deployment's configuration plus an SSO configuration.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { hash } from '@node-rs/argon2';
import pg from 'pg';
import { AIGOS_CLI, freePort, http, pollUntil, ROOT, type TestDeployment } from '../support/harness.js';

// ---- HTTP with a cookie jar -----------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers are read loosely in tests
export interface Res<T = any> {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  body: T;
  location?: string;
}

export class Agent {
  readonly jar = new Map<string, string>();
  constructor(
    public base: string,
    readonly o: { xff?: string; localAddress?: string; headers?: Record<string, string> } = {},
  ) {}

  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  get csrf(): string {
    return this.jar.get('aigos_csrf') ?? this.jar.get('__Host-aigos_csrf') ?? '';
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers are read loosely in tests
  request<T = any>(
    method: string,
    path: string,
    opts: {
      json?: unknown;
      form?: Record<string, string>;
      headers?: Record<string, string>;
      cookies?: boolean;
    } = {},
  ): Promise<Res<T>> {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { ...(this.o.headers ?? {}), ...(opts.headers ?? {}) };
    if (this.o.xff && !('x-forwarded-for' in headers)) headers['x-forwarded-for'] = this.o.xff;
    let payload: string | undefined;
    if (opts.json !== undefined) {
      payload = JSON.stringify(opts.json);
      headers['content-type'] ??= 'application/json';
    } else if (opts.form) {
      payload = new URLSearchParams(opts.form).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
    if (opts.cookies !== false && this.jar.size && !headers.cookie)
      headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        url,
        {
          method,
          headers,
          agent: false,
          timeout: 30_000,
          ...(this.o.localAddress ? { localAddress: this.o.localAddress } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            for (const sc of res.headers['set-cookie'] ?? []) {
              const [pair, ...attrs] = sc.split(';');
              const eq = pair!.indexOf('=');
              const name = pair!.slice(0, eq).trim();
              const value = pair!.slice(eq + 1).trim();
              if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '') this.jar.delete(name);
              else this.jar.set(name, value);
            }
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              body = undefined;
            }
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              body: body as T,
              location: res.headers.location,
            });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  get<T = unknown>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, { headers });
  }

  /** The login form's hidden CSRF field (GET /auth/login first). */
  async loginFormToken(): Promise<string> {
    const page = await this.get('/auth/login');
    const m = /name="_csrf" value="([^"]+)"/.exec(page.text);
    if (!m) throw new Error(`no CSRF field on the login page (${page.status}): ${page.text.slice(0, 200)}`);
    return m[1]!;
  }

  loginJson(email: string, password: string, extra: Record<string, unknown> = {}) {
    return this.request('POST', '/auth/login', { json: { email, password, ...extra } });
  }

  async loginForm(email: string, password: string, returnTo?: string) {
    const _csrf = await this.loginFormToken();
    return this.request('POST', '/auth/login', {
      form: { _csrf, email, password, ...(returnTo ? { returnTo } : {}) },
    });
  }

  /** An access token from the session (POST /auth/token with the CSRF header). */
  async accessToken(): Promise<string> {
    const r = await this.request('POST', '/auth/token', { headers: { 'x-csrf-token': this.csrf } });
    if (r.status !== 200) throw new Error(`POST /auth/token: ${r.status} ${r.text}`);
    return (r.body as { access_token: string }).access_token;
  }
}

let addressCounter = Math.floor(Math.random() * 20_000);
/** A distinct client address to claim in X-Forwarded-For (a fresh rate-limit/lockout bucket). */
export function freshAddress(): string {
  const n = addressCounter++ % 65_000;
  return `198.18.${n >> 8}.${n & 255 || 1}`;
}

// ---- database ------------------------------------------------------------------------

export async function withDb<T>(dep: TestDeployment, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: dep.endpoints.database.url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface Org {
  id: string;
  slug: string;
}

export async function createOrg(
  dep: TestDeployment,
  slug: string,
  domains: { domain: string; verified: boolean }[] = [],
): Promise<Org> {
  return withDb(dep, async (c) => {
    const r = await c.query<{ id: string }>(
      `INSERT INTO organizations (slug, name) VALUES ($1, $1) ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug RETURNING id`,
      [slug],
    );
    const id = r.rows[0]!.id;
    for (const d of domains)
      await c.query(
        `INSERT INTO organization_domains (organization_id, domain, verified) VALUES ($1, $2, $3)
         ON CONFLICT (organization_id, domain) DO UPDATE SET verified = EXCLUDED.verified`,
        [id, d.domain, d.verified],
      );
    return { id, slug };
  });
}

/** A user with an argon2id password (the parameters of the reference) and a membership. */
export async function createUser(
  dep: TestDeployment,
  org: Org,
  o: {
    email?: string;
    password?: string;
    role: 'admin' | 'editor' | 'viewer';
    mustChange?: boolean;
    disabled?: boolean;
  },
): Promise<{ id: string; email: string; password: string }> {
  const email = o.email ?? `u-${randomBytes(4).toString('hex')}@example.com`;
  const password = o.password ?? `pw-${randomBytes(12).toString('base64url')}`;
  const passwordHash = await hash(password, { memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  return withDb(dep, async (c) => {
    const r = await c.query<{ id: string }>(
      `INSERT INTO users (email, name, password_hash, must_change_password, disabled) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [email, email.split('@')[0], passwordHash, o.mustChange ?? false, o.disabled ?? false],
    );
    const id = r.rows[0]!.id;
    await c.query(`INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)`, [
      org.id,
      id,
      o.role,
    ]);
    return { id, email, password };
  });
}

// ---- extra services ------------------------------------------------------------------

export interface Proc {
  url: string;
  port: number;
  child: ChildProcess;
  logs: () => string;
  stop: () => Promise<void>;
}

export async function spawnService(
  dep: TestDeployment,
  service: 'api' | 'gateway',
  env: Record<string, string>,
  port?: number,
): Promise<Proc> {
  const p = port ?? (await freePort());
  const portVar = service === 'api' ? 'API_PORT' : 'GATEWAY_PORT';
  const full = { ...(await dep.serviceEnv()), LOG_LEVEL: 'info', ...env, [portVar]: String(p) };
  const child = spawn(process.execPath, [AIGOS_CLI, 'serve', service], {
    env: full,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (c: Buffer) => (output = (output + c.toString('utf8')).slice(-400_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${p}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await pollUntil(
      `${service} ready`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${service} exited with ${child.exitCode}: ${output}`);
        const r = await http(`${url}/health/ready`, { timeoutMs: 2_000 });
        return r.status === 200 ? true : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 150 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port: p, child, logs: () => output, stop };
}

export interface AuthStack {
  api: Proc;
  gateway: Proc;
  /** the public URL (the extra gateway) */
  url: string;
  stop: () => Promise<void>;
}

/**
 * An api + gateway pair with the deployment's configuration, an optional SSO
 * configuration file (the seed's `auth:` block) and extra variables. PUBLIC_URL is the
 * extra gateway, so callback URLs and cookies point at it.
 */
export async function startAuthStack(
  dep: TestDeployment,
  o: { auth?: unknown; env?: Record<string, string>; gatewayPort?: number } = {},
): Promise<AuthStack> {
  const gatewayPort = o.gatewayPort ?? (await freePort());
  const url = `http://127.0.0.1:${gatewayPort}`;
  const env: Record<string, string> = { PUBLIC_URL: url, CORS_ORIGINS: url, ...(o.env ?? {}) };
  if (o.auth !== undefined) {
    const file = join(dep.tmp, `auth-${randomBytes(4).toString('hex')}.json`);
    await writeFile(file, JSON.stringify(o.auth, null, 2), { mode: 0o600 });
    env.AUTH_CONFIG_FILE = file;
  }
  const api = await spawnService(dep, 'api', env);
  let gateway: Proc;
  try {
    gateway = await spawnService(dep, 'gateway', { ...env, API_UPSTREAM_URL: api.url }, gatewayPort);
  } catch (err) {
    await api.stop();
    throw err;
  }
  return {
    api,
    gateway,
    url,
    stop: async () => {
      await Promise.allSettled([gateway.stop(), api.stop()]);
    },
  };
}

/** JSON log lines of a process that match. */
export function logLines(
  p: Proc,
  match: (line: Record<string, unknown>) => boolean,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of p.logs().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const obj = JSON.parse(line) as Record<string, unknown>;
      if (match(obj)) out.push(obj);
    } catch {
      // partial line
    }
  }
  return out;
}

// ---- test identity providers ---------------------------------------------------------

export const IDP_MAIN = join(ROOT, 'dist', 'harness', 'src', 'drivers', 'idp', 'main.js');

export interface IdpProc {
  info: Record<string, unknown> & { kind: string; name: string; issuer?: string; url: string };
  child: ChildProcess;
  logs: () => string;
  stop: () => Promise<void>;
}

/** `node dist/harness/src/drivers/idp/main.js --config fixtures/idp/<fixture>.yaml ...` */
export async function startIdpProcess(fixture: string, args: string[] = []): Promise<IdpProc> {
  const child = spawn(
    process.execPath,
    [IDP_MAIN, '--config', join(ROOT, 'fixtures', 'idp', `${fixture}.yaml`), '--port', '0', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stderr!.on('data', (c: Buffer) => (output = (output + c.toString('utf8')).slice(-50_000)));
  const info = await new Promise<IdpProc['info']>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`test IdP ${fixture} did not start: ${output}`)), 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      const line = buf.split('\n').find((l) => l.startsWith('{'));
      if (line && buf.includes('\n')) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as IdpProc['info']);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`test IdP ${fixture} exited with ${code}: ${output}`));
    });
  });
  return {
    info,
    child,
    logs: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * Follow redirects (GET after 30x), across origins, with one cookie jar per origin host:port.
 * `stopAt` ends the walk before requesting a URL it matches (to capture a callback URL).
 */
export async function follow(
  agents: { sp: Agent; idp: Agent },
  start: Res,
  o: { stopAt?: (url: URL) => boolean; max?: number } = {},
): Promise<{ res: Res; url: URL; stopped?: URL }> {
  let res = start;
  let url = new URL(agents.sp.base);
  for (let i = 0; i < (o.max ?? 20) && res.status >= 300 && res.status < 400 && res.location; i++) {
    const next = new URL(res.location, url);
    if (o.stopAt?.(next)) return { res, url, stopped: next };
    const agent = next.origin === new URL(agents.sp.base).origin ? agents.sp : agents.idp;
    agent.base = next.origin;
    res = await agent.get(next.pathname + next.search);
    url = next;
  }
  return { res, url };
}

/** Sign in through an OIDC test IdP with plain HTTP: start at the SP, post the IdP's login form, follow back. */
export async function oidcSignIn(
  sp: Agent,
  provider: string,
  username: string,
  password: string,
  o: { stopAtCallback?: boolean } = {},
): Promise<{ res: Res; url: URL; callback?: URL }> {
  const idp = new Agent('http://127.0.0.1');
  const first = await sp.get(`/auth/oidc/${provider}/login`);
  const toForm = await follow({ sp, idp }, first);
  if (toForm.res.status !== 200 || !/action="(\/interaction\/[^"]+\/login)"/.test(toForm.res.text))
    return { res: toForm.res, url: toForm.url };
  const action = /action="(\/interaction\/[^"]+\/login)"/.exec(toForm.res.text)![1]!;
  idp.base = toForm.url.origin;
  const posted = await idp.request('POST', action, { form: { username, password } });
  const spOrigin = new URL(sp.base).origin;
  const out = await follow({ sp, idp }, posted, {
    stopAt: o.stopAtCallback ? (u) => u.origin === spOrigin && u.pathname === '/auth/callback' : undefined,
  });
  return { res: out.res, url: out.url, callback: out.stopped };
}

/** Wait (up to timeoutMs) for `min` matching JSON log lines: logs are written asynchronously. */
export async function waitForLog(
  p: Proc,
  match: (line: Record<string, unknown>) => boolean,
  min = 1,
  timeoutMs = 3_000,
): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + timeoutMs;
  let lines = logLines(p, match);
  while (lines.length < min && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    lines = logLines(p, match);
  }
  return lines;
}
