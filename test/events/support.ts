// Shared by the events, realtime and GraphQL tests: governance events built the way the
// upstream AIGRC clients build them (hash over the canonical form computed here,
// independently of the server's code), API keys, a second organization, and a small
// keep-alive-free JSON client.
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import pg from 'pg';
import { TestDeployment } from '../support/harness.js';

// ---- events ------------------------------------------------------------------------

function sortKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) out[k] = sortKeysDeep((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** SHA-256 over the event without hash, signature and receivedAt, keys sorted, compact. */
export function hashOf(event: Record<string, unknown>): string {
  const { hash: _h, signature: _s, receivedAt: _r, ...rest } = event;
  return `sha256:${createHash('sha256')
    .update(JSON.stringify(sortKeysDeep(rest)), 'utf8')
    .digest('hex')}`;
}

export function newEventId(): string {
  return `evt_${randomBytes(16).toString('hex')}`;
}

export type TestEvent = Record<string, unknown> & { id: string; hash: string; assetId: string };

export function makeEvent(orgId: string, over: Record<string, unknown> = {}): TestEvent {
  const now = new Date().toISOString();
  const e: Record<string, unknown> = {
    id: newEventId(),
    specVersion: '1.0',
    schemaVersion: 'aigrc-events@0.1.0',
    type: 'aigrc.scan.completed',
    category: 'scan',
    criticality: 'normal',
    source: {
      tool: 'cli',
      version: '0.4.2',
      orgId,
      instanceId: 'test-instance',
      identity: { type: 'api-key', subject: 'ci@example.com' },
      environment: 'ci',
    },
    orgId,
    assetId: 'aigrc-2025-0a1b2c3d',
    producedAt: now,
    goldenThread: {
      type: 'linked',
      system: 'jira',
      ref: 'PROJ-1234',
      url: 'https://jira.example.com/browse/PROJ-1234',
      status: 'active',
    },
    data: { findings: 3, scanner: 'aigrc', paths: ['src/model.py'] },
    ...over,
  };
  if (!('hash' in over)) e.hash = hashOf(e);
  return e as TestEvent;
}

/** Re-hash after changing fields. */
export function rehash<T extends Record<string, unknown>>(e: T): T {
  return { ...e, hash: hashOf(e) };
}

// ---- deployment helpers ------------------------------------------------------------

export interface Org {
  id: string;
  slug: string;
}

export async function withDb<T>(dep: TestDeployment, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: dep.endpoints.database.url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function orgBySlug(dep: TestDeployment, slug: string): Promise<Org> {
  return withDb(dep, async (c) => {
    const r = await c.query<{ id: string }>('SELECT id FROM organizations WHERE slug = $1', [slug]);
    if (!r.rows[0]) throw new Error(`no organization ${slug}`);
    return { id: r.rows[0].id, slug };
  });
}

export async function createOrg(dep: TestDeployment, slug: string): Promise<Org> {
  return withDb(dep, async (c) => {
    const r = await c.query<{ id: string }>(
      `INSERT INTO organizations (slug, name) VALUES ($1, $1) ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug RETURNING id`,
      [slug],
    );
    return { id: r.rows[0]!.id, slug };
  });
}

/**
 * An API key of the organization. Uses the operator command
 * (`aigos-admin apikey create`) when the deployment has it, else writes the key row the
 * way that command does.
 */
export async function createApiKey(
  dep: TestDeployment,
  org: Org,
  opts: { role?: string; scopes?: string[]; name?: string } = {},
): Promise<string> {
  const role = opts.role ?? 'admin';
  const scopes = opts.scopes ?? ['events:write', 'events:read', 'assets:read'];
  const name = opts.name ?? `test-${randomBytes(3).toString('hex')}`;
  const viaCli = await dep.handle.exec([
    'aigos-admin',
    'apikey',
    'create',
    '--org',
    org.slug,
    '--role',
    role,
    '--scopes',
    scopes.join(','),
    '--name',
    name,
  ]);
  const printed = /aigos_[a-z0-9]{12}_[A-Za-z0-9]{43}/.exec(viaCli.stdout);
  if (viaCli.code === 0 && printed) return printed[0];
  // fallback: the key format of reference/src/api/auth/api-keys.ts
  const alpha = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const mixed = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (a: string, n: number) => [...randomBytes(n)].map((b) => a[b % a.length]).join('');
  const prefix = pick(alpha, 12);
  const secret = pick(mixed, 43);
  const secretHash = createHash('sha256').update(secret, 'utf8').digest();
  await withDb(dep, async (c) => {
    await c.query('BEGIN');
    await c.query(`SELECT set_config('app.org_id', $1, true)`, [org.id]);
    await c.query(
      `INSERT INTO api_keys (organization_id, name, prefix, secret_hash, role, scopes) VALUES ($1, $2, $3, $4, $5, $6)`,
      [org.id, name, prefix, secretHash, role, scopes],
    );
    await c.query('COMMIT');
  });
  return `aigos_${prefix}_${secret}`;
}

// ---- HTTP --------------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers are read loosely in tests
export interface Reply<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers are read loosely in tests
export function call<T = any>(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (payload !== undefined) headers['content-type'] ??= 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL(path, base),
      { method, headers, agent: false, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = undefined;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

// ---- extra api processes -----------------------------------------------------------

export interface ExtraApi {
  url: string;
  port: number;
  pid: number;
  log: () => string;
  /** SIGTERM, then wait for the exit (SIGKILL after 10 s). */
  stop: () => Promise<void>;
  exit: () => { code: number | null; signal: NodeJS.Signals | null };
}

/**
 * One more api process of the deployment (same database, Redis and secrets) on its own
 * port, with configuration overrides (e.g. tiny rate limits). Stopped with SIGTERM.
 */
export async function startExtraApi(
  dep: TestDeployment,
  overrides: Record<string, string> = {},
): Promise<ExtraApi> {
  const { spawn } = await import('node:child_process');
  const { freePort, AIGOS_CLI, pollUntil, http } = await import('../support/harness.js');
  const port = await freePort();
  const env = { ...(await dep.serviceEnv()), API_PORT: String(port), LOG_LEVEL: 'warn', ...overrides };
  const child = spawn(process.execPath, [AIGOS_CLI, 'serve', 'api'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output = (output + c.toString('utf8')).slice(-20_000)));
  child.stderr.on('data', (c: Buffer) => (output = (output + c.toString('utf8')).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
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
      'extra api ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`api exited with ${child.exitCode}: ${output}`);
        const r = await http(`${url}/health/ready`, { timeoutMs: 2_000 });
        return r.status === 200 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    port,
    pid: child.pid!,
    log: () => output,
    stop,
    exit: () => ({ code: child.exitCode, signal: child.signalCode }),
  };
}
