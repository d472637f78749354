// Helpers of the api integration tests: one real local deployment per test file (through
// the harness), operator commands through `exec`, HTTP through the gateway, and direct
// PostgreSQL connections as the application role (RLS checks) or the superuser (used
// only to simulate tampering).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { TestDeployment } from '../support/harness.js';

export interface ApiEnv {
  dep: TestDeployment;
  gateway: string;
  /** admin key of the seeded `default` organization (scopes *) */
  adminKey: string;
  appDbUrl: string;
  superDbUrl: string;
  /** run `aigos-admin ...` with the deployment's configuration */
  admin: (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
  close: () => Promise<void>;
}

/**
 * Bring a deployment up and create an admin key. Other test runs on this machine may
 * take a port between the harness choosing it and a service binding it (the deployment
 * then fails right after coming up): such a start is torn down and retried.
 */
export async function startApiDeployment(attempts = 3): Promise<ApiEnv> {
  for (let attempt = 1; ; attempt++) {
    let dep: TestDeployment | undefined;
    try {
      // the API tests import and judge packs themselves: start without the built-in ones
      dep = await TestDeployment.start({ args: ['--without-default-packs'] });
      return await prepare(dep);
    } catch (err) {
      await dep?.destroy().catch(() => undefined);
      if (attempt >= attempts) throw err;
      process.stderr.write(
        `deployment start failed (attempt ${attempt}): ${(err as Error).message.split('\n')[0]}; retrying\n`,
      );
    }
  }
}

async function prepare(dep: TestDeployment): Promise<ApiEnv> {
  const admin = (...args: string[]) => dep.handle.exec(['aigos-admin', ...args]);
  const created = await admin(
    'apikey',
    'create',
    '--org',
    'default',
    '--role',
    'admin',
    '--scopes',
    '*',
    '--name',
    'test admin',
    '--json',
  );
  if (created.code !== 0) throw new Error(`apikey create failed: ${created.stderr}${created.stdout}`);
  const status = await dep.status();
  if (status.state !== 'ready') throw new Error(`deployment is ${status.state} after start`);
  const appDbUrl = dep.endpoints.database.url;
  const password = (
    await readFile(join(dep.stateDir, 'secrets', 'postgres-superuser-password'), 'utf8')
  ).trim();
  const u = new URL(appDbUrl);
  const superDbUrl = `postgres://postgres:${encodeURIComponent(password)}@${u.host}${u.pathname}`;
  return {
    dep,
    gateway: dep.endpoints.gateway,
    adminKey: (JSON.parse(created.stdout) as { key: string }).key,
    appDbUrl,
    superDbUrl,
    admin,
    close: () => dep.destroy(),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response bodies loosely
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** One API call through the gateway. `body` objects are sent as JSON; strings as given. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call<T = any>(
  env: Pick<ApiEnv, 'gateway'>,
  method: string,
  path: string,
  opts: { key?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: RequestInit['body'];
  if (opts.body instanceof FormData) body = opts.body;
  else if (typeof opts.body === 'string' || opts.body instanceof Uint8Array)
    body = opts.body as RequestInit['body'];
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${env.gateway}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('application/json') && text) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

/** An authenticated caller bound to one key. */
export function client(env: Pick<ApiEnv, 'gateway'>, key: string) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return <T = any>(
    method: string,
    path: string,
    opts: { body?: unknown; headers?: Record<string, string> } = {},
  ) => call<T>(env, method, path, { ...opts, key });
}

export async function createKey(
  env: ApiEnv,
  org: string,
  role: 'admin' | 'editor' | 'viewer',
  scopes: string,
  extra: string[] = [],
): Promise<string> {
  const r = await env.admin(
    'apikey',
    'create',
    '--org',
    org,
    '--role',
    role,
    '--scopes',
    scopes,
    '--json',
    ...extra,
  );
  if (r.code !== 0) throw new Error(`apikey create failed (${r.code}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as { key: string }).key;
}

export async function createOrg(env: ApiEnv, slug: string): Promise<string> {
  const r = await env.admin(
    'org',
    'create',
    '--name',
    `Org ${slug}`,
    '--slug',
    slug,
    '--plan',
    'team',
    '--json',
  );
  if (r.code !== 0) throw new Error(`org create failed (${r.code}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as { id: string }).id;
}

/** Run fn with a fresh connection (closed afterwards). */
export async function withDb<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export function card(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Credit scoring model',
    description: 'Scores consumer credit applications for the retail lending desk.',
    owner: { name: 'Ada Owner', email: 'ada@example.com', team: 'Risk Analytics' },
    technical: { type: 'model', framework: 'xgboost', model: 'credit-v3' },
    classification: { riskLevel: 'high', rationale: 'Annex III 5(b): creditworthiness of natural persons' },
    jurisdictions: ['EU', 'DE'],
    ...overrides,
  };
}
