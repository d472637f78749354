// A local deployment with a CA that has key material, for the CA tests and benchmark.
// Brings the local target up (or uses a running one), and when its CA answers
// 503 CA_NOT_CONFIGURED (the local target does not pass CA key paths yet) generates the
// CA hierarchy with `aigos-admin secrets generate`, stops the deployment's CA through
// the control socket and starts a configured CA on the same port, so the gateway's
// /ca/ route reaches it. Fixtures (an API key, assets with compliance scores) are
// written with SQL as the application role, independent of the api's routes.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { generateApiKey } from '../reference/src/api/auth/api-keys.js';
import { PACKAGE_ROOT as ROOT } from '../reference/src/common/paths.js';

const HARNESS = join(ROOT, 'dist', 'harness', 'src', 'cli.js');
const AIGOS = join(ROOT, 'dist', 'reference', 'src', 'cli', 'aigos.js');
const ADMIN = join(ROOT, 'dist', 'reference', 'src', 'cli', 'admin.js');

export interface CaFiles {
  dir: string;
  rootCert: string;
  rootKey: string;
  issuingCert: string;
  issuingKey: string;
  ocspCert: string;
  ocspKey: string;
  chain: string;
}

export interface CaDeployment {
  stateDir: string;
  /** The CA service itself and the gateway in front of it. */
  caUrl: string;
  gatewayUrl: string;
  databaseUrl: string;
  serviceEnv: Record<string, string>;
  /** Files written by secrets generate (only when this helper configured the CA). */
  files?: CaFiles;
  /** The CA process this helper started, if it did. */
  ownCa?: ChildProcess;
  caLog?: string;
  /** Stop our CA, then take the deployment down if we brought it up. */
  close(): Promise<void>;
}

export function runNode(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 120_000) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
    execFile(
      process.execPath,
      args,
      { env, cwd: ROOT, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) =>
        res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function controlPost(socketPath: string, path: string): Promise<void> {
  return new Promise((res, rej) => {
    const req = request({ socketPath, method: 'POST', path, timeout: 60_000 }, (r) => {
      let body = '';
      r.on('data', (c: Buffer) => (body += c.toString()));
      r.on('end', () =>
        (r.statusCode ?? 500) < 400 ? res() : rej(new Error(`${path}: ${r.statusCode} ${body}`)),
      );
    });
    req.on('error', rej);
    req.end();
  });
}

export async function waitHttp(
  url: string,
  ok: (status: number) => boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const started = Date.now();
  let last = '';
  for (;;) {
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (ok(r.status)) return;
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() - started > timeoutMs)
      throw new Error(`${url} not ready within ${timeoutMs} ms (${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function caFiles(dir: string): CaFiles {
  const ca = join(dir, 'secrets', 'ca');
  return {
    dir,
    rootCert: join(ca, 'ca-root.crt'),
    rootKey: join(ca, 'ca-root.key'),
    issuingCert: join(ca, 'signing.crt'),
    issuingKey: join(ca, 'signing.key'),
    ocspCert: join(ca, 'ocsp.crt'),
    ocspKey: join(ca, 'ocsp.key'),
    chain: join(ca, 'ca-chain.crt'),
  };
}

/** The CA files a deployment's service env names (SIGNING_KEY_PATH and friends), if it does. */
export function filesFromEnv(env: Record<string, string>): CaFiles | undefined {
  const key = env.SIGNING_KEY_PATH;
  const root = env.CA_ROOT_CERT_PATH;
  if (!key || !root) return undefined;
  const beside = (f: string) => join(dirname(key), f);
  return {
    dir: dirname(dirname(dirname(key))),
    rootCert: root,
    rootKey: env.CA_ROOT_KEY_PATH ?? join(dirname(root), 'ca-root.key'),
    issuingCert: env.CA_ISSUING_CERT_PATH ?? beside('signing.crt'),
    issuingKey: key,
    ocspCert: env.CA_OCSP_CERT_PATH ?? beside('ocsp.crt'),
    ocspKey: env.CA_OCSP_KEY_PATH ?? beside('ocsp.key'),
    chain: beside('ca-chain.crt'),
  };
}

/** The service env without any CA key material (an unconfigured CA). */
export function withoutCaKeys(env: Record<string, string>): Record<string, string> {
  const out = { ...env };
  for (const k of Object.keys(out))
    if (k === 'SIGNING_KEY_PATH' || /^CA_(ROOT|ISSUING|OCSP)_/.test(k)) delete out[k];
  return out;
}

/** The env a configured CA process runs with. */
export function caEnv(
  serviceEnv: Record<string, string>,
  files: CaFiles,
  publicUrl: string,
): Record<string, string> {
  return {
    ...serviceEnv,
    CA_ROOT_CERT_PATH: files.rootCert,
    SIGNING_KEY_PATH: files.issuingKey,
    CA_ISSUING_CERT_PATH: files.issuingCert,
    CA_OCSP_CERT_PATH: files.ocspCert,
    CA_OCSP_KEY_PATH: files.ocspKey,
    CA_PUBLIC_URL: publicUrl,
    LOG_LEVEL: process.env.AIGOS_CA_LOG_LEVEL ?? 'warn',
  };
}

export async function startCaProcess(env: Record<string, string>, logFile: string): Promise<ChildProcess> {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [AIGOS, 'serve', 'ca'], {
    env,
    cwd: ROOT,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const url = `http://127.0.0.1:${env.CA_PORT}/health/ready`;
  const exited = new Promise<never>((_, rej) =>
    child.once('exit', (code) => rej(new Error(`the CA exited with code ${code}; see ${logFile}`))),
  );
  await Promise.race([waitHttp(url, (s) => s === 200), exited]);
  return child;
}

export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await done;
  clearTimeout(timer);
}

/**
 * Bring up (or attach to, with `stateDir`) a local deployment whose CA has key material.
 * `via` decides which URL goes into certificates (CA_PUBLIC_URL) when this helper
 * configures the CA: the CA itself (default) or the gateway's /ca prefix.
 */
export async function startCaDeployment(
  opts: { stateDir?: string; via?: 'ca' | 'gateway' } = {},
): Promise<CaDeployment> {
  let tmp: string | undefined;
  let stateDir = opts.stateDir;
  if (!stateDir) {
    tmp = await mkdtemp(join(tmpdir(), 'aigos-ca-'));
    stateDir = join(tmp, 'state');
    // other deployments on this machine can take a port between the harness choosing it
    // and a service binding it; one more attempt in a fresh state directory then
    let up = await runNode(
      [HARNESS, 'up', '--target', 'local', '--state', stateDir, '--json'],
      process.env,
      150_000,
    );
    if (up.code !== 0 && /already in use|EADDRINUSE/.test(up.stderr)) {
      await runNode([HARNESS, 'down', '--target', 'local', '--state', stateDir], process.env, 60_000);
      await rm(stateDir, { recursive: true, force: true });
      up = await runNode(
        [HARNESS, 'up', '--target', 'local', '--state', stateDir, '--json'],
        process.env,
        150_000,
      );
    }
    if (up.code !== 0) {
      await runNode([HARNESS, 'down', '--target', 'local', '--state', stateDir], process.env, 60_000);
      await rm(tmp, { recursive: true, force: true });
      throw new Error(`up failed (${up.code}):\n${up.stderr}\n${up.stdout}`);
    }
  }
  const endpoints = JSON.parse(await readFile(join(stateDir, 'endpoints.json'), 'utf8')) as {
    ca: string;
    gateway: string;
    database: { url: string };
  };
  const serviceEnv = JSON.parse(
    await readFile(join(stateDir, 'secrets', 'service-env.json'), 'utf8'),
  ) as Record<string, string>;
  const dep: CaDeployment = {
    stateDir,
    caUrl: endpoints.ca,
    gatewayUrl: endpoints.gateway,
    databaseUrl: endpoints.database.url,
    serviceEnv,
    close: async () => {
      await stopProcess(dep.ownCa);
      // an attached deployment is left as found: its own CA back on its port
      if (dep.ownCa && !tmp)
        await controlPost(join(stateDir, 'control.sock'), '/components/ca/start').catch(() => {});
      if (tmp) {
        await runNode([HARNESS, 'down', '--target', 'local', '--state', stateDir], process.env, 60_000);
        await rm(tmp, { recursive: true, force: true });
      }
    },
  };
  try {
    const info = await fetch(`${endpoints.ca}/api/v1/info`);
    await info.arrayBuffer();
    if (info.status === 503) {
      const dir = join(stateDir, 'ca-test');
      const gen = await runNode([ADMIN, 'secrets', 'generate', '--dir', dir, '--json']);
      if (gen.code !== 0) throw new Error(`secrets generate failed: ${gen.stderr}`);
      dep.files = caFiles(dir);
      await controlPost(join(stateDir, 'control.sock'), '/components/ca/stop');
      const publicUrl = opts.via === 'gateway' ? `${endpoints.gateway}/ca` : endpoints.ca;
      dep.caLog = join(stateDir, 'logs', 'ca-configured.log');
      dep.ownCa = await startCaProcess(caEnv(serviceEnv, dep.files, publicUrl), dep.caLog);
    } else if (info.status !== 200) {
      throw new Error(`${endpoints.ca}/api/v1/info answered ${info.status}`);
    } else {
      // the target already runs a configured CA: its key files, when the service env names them
      dep.files = filesFromEnv(serviceEnv);
    }
  } catch (err) {
    await dep.close();
    throw err;
  }
  return dep;
}

// ---- fixtures --------------------------------------------------------------------------

export interface AssetFixture {
  cardId: string;
  status: 'draft' | 'registered' | 'retired';
  /** undefined: never evaluated (no compliance row) */
  score?: number;
  failing?: { packId: string; controlId: string; status: 'fail' | 'gap'; reason: string }[];
}

export interface OrgFixture {
  orgId: string;
  apiKey: string;
}

/** An organization (the seeded default one unless a slug is given) with an API key and assets. */
export async function createFixtures(
  databaseUrl: string,
  opts: {
    orgSlug?: string;
    role?: 'viewer' | 'editor' | 'admin';
    scopes?: string[];
    assets?: AssetFixture[];
  } = {},
): Promise<OrgFixture> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const slug = opts.orgSlug ?? 'default';
    await client.query(
      `INSERT INTO organizations (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING`,
      [slug, `Org ${slug}`],
    );
    const orgId = (await client.query<{ id: string }>(`SELECT id FROM organizations WHERE slug = $1`, [slug]))
      .rows[0]!.id;
    await client.query('BEGIN');
    await client.query(`SELECT set_config('app.org_id', $1, true)`, [orgId]);
    const key = generateApiKey();
    await client.query(
      `INSERT INTO api_keys (organization_id, name, prefix, secret_hash, role, scopes) VALUES ($1, $2, $3, $4, $5, $6)`,
      [orgId, 'ca-fixture', key.prefix, key.secretHash, opts.role ?? 'admin', opts.scopes ?? ['*']],
    );
    for (const a of opts.assets ?? []) {
      const existing = await client.query(
        `SELECT 1 FROM asset_cards WHERE organization_id = $1 AND card_id = $2`,
        [orgId, a.cardId],
      );
      if (existing.rowCount) continue;
      const id = (
        await client.query<{ id: string }>(
          `INSERT INTO asset_cards (organization_id, card_id, status, name, tech_type, risk_level, governance_status, card)
           VALUES ($1, $2, $3, $4, 'agent', 'limited', 'approved', '{}') RETURNING id`,
          [orgId, a.cardId, a.status, `Agent ${a.cardId}`],
        )
      ).rows[0]!.id;
      if (a.score === undefined) continue;
      // the api's stored form: [[packId, controlId, p|f|g|n, reason?], ...] and its digest
      const results = [
        ['eu-ai-act', 'ART-9', 'p'],
        ...(a.failing ?? []).map((f) => [f.packId, f.controlId, f.status === 'fail' ? 'f' : 'g', f.reason]),
      ];
      await client.query(
        `INSERT INTO asset_compliance (asset_id, organization_id, score, passed, failed, gaps, not_applicable, results, results_digest)
         VALUES ($1, $2, $3, 1, $4, $5, 0, $6, $7)`,
        [
          id,
          orgId,
          a.score,
          (a.failing ?? []).filter((f) => f.status === 'fail').length,
          (a.failing ?? []).filter((f) => f.status === 'gap').length,
          JSON.stringify(results),
          createHash('sha256').update(JSON.stringify(results)).digest('hex'),
        ],
      );
    }
    await client.query('COMMIT');
    return { orgId, apiKey: key.key };
  } finally {
    await client.end();
  }
}
