// The route x role matrix, generated from the api service's own Express app: every route
// that needs a principal is called as viewer, editor and admin (bearer access tokens of
// real users) and without credentials. The expectation of each cell comes from the guard
// the route declares (allow(scope, role) / requireRole tag their middleware); a route
// without any guard fails the test unless it is listed below as open to every member.
// New routes are covered automatically. GraphQL and the WebSocket are checked with the
// same principals: they use the same resolvers and the same authorize() decision; every
// GraphQL mutation and every view that mirrors a REST route must demand that route's
// role and scopes (the operations are read from the schema, so a new one without an
// entry below fails).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  guardInfo,
  ROLES,
  roleAtLeast,
  SCOPES,
  type GuardInfo,
  type Role,
} from '../../reference/src/api/auth/principal.js';
import { typeDefs } from '../../reference/src/api/graphql/schema.js';
import { api } from '../../reference/src/api/service.js';
import { createApiKey } from '../events/support.js';
import { startService, type RunningService } from '../../reference/src/common/service.js';
import { freePort, TestDeployment } from '../support/harness.js';
import { Agent, createUser, freshAddress, type Org, withDb } from './support.js';

/** Routes behind authentication that every member may call, whatever the role. */
const OPEN_TO_MEMBERS = new Set(['GET /api/v1/me', 'GET /graphql', 'POST /graphql']);
/** Public or authentication routes: not part of the role matrix (tested in their own files). */
const isPublic = (path: string) =>
  path.startsWith('/auth/') || /^\/(api\/v1\/|v1\/)?health(\/|$)/.test(path) || path === '/metrics';

interface RouteEntry {
  method: string;
  path: string;
  guards: GuardInfo[];
}

interface LayerLike {
  rawPath?: string | string[] | RegExp;
  route?: { path: string | string[]; methods: Record<string, boolean>; stack: LayerLike[] };
  handle: { stack?: LayerLike[] } & ((...args: unknown[]) => unknown);
}

function join2(prefix: string, path: string): string {
  const p = `${prefix}/${path}`.replace(/\/+/g, '/');
  return p.length > 1 ? p.replace(/\/$/, '') : p;
}

/** Every (method, path) of an Express 5 app with the guard tags on its way. */
function enumerateRoutes(app: Express): RouteEntry[] {
  const out: RouteEntry[] = [];
  const walk = (stack: LayerLike[], prefix: string, inherited: GuardInfo[]) => {
    const guards = [...inherited];
    for (const layer of stack) {
      const paths = layer.route ? layer.route.path : layer.rawPath;
      const list = paths === undefined ? ['/'] : Array.isArray(paths) ? paths : [paths];
      if (layer.route) {
        const routeGuards = layer.route.stack
          .map((l) => guardInfo(l.handle))
          .filter((g): g is GuardInfo => !!g);
        for (const p of list) {
          if (p instanceof RegExp) continue;
          for (const [m, on] of Object.entries(layer.route.methods)) {
            if (on && m !== '_all')
              out.push({
                method: m.toUpperCase(),
                path: join2(prefix, p),
                guards: [...guards, ...routeGuards],
              });
          }
        }
      } else if (layer.handle.stack) {
        for (const p of list) if (!(p instanceof RegExp)) walk(layer.handle.stack, join2(prefix, p), guards);
      } else {
        const g = guardInfo(layer.handle);
        if (g) guards.push(g); // router-level guard: applies to what follows
      }
    }
  };
  walk((app as unknown as { router: { stack: LayerLike[] } }).router.stack, '', []);
  const seen = new Set<string>();
  return out.filter((r) => {
    const k = `${r.method} ${r.path}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const SAMPLE: Record<string, string> = {
  domain: 'not-a-domain-of-ours.example',
  kid: 'no-such-kid-0000000000',
  id: 'evt_00000000000000000000000000000000',
  packId: 'no-such-pack',
  assetId: 'aigrc-2025-00000000',
};
const fill = (path: string) =>
  path
    .replace(
      /:([A-Za-z0-9_]+)/g,
      (_m, name: string) => SAMPLE[name] ?? '00000000-0000-4000-8000-000000000000',
    )
    .replace(/\*([A-Za-z0-9_]+)/g, 'x')
    .replace(/[{}]/g, '');

/**
 * The GraphQL operations that mirror a REST route, with a call of each whose arguments
 * change nothing when it is allowed (invalid input or unknown ids).
 */
const ZERO_UUID = '00000000-0000-4000-8000-000000000000';
const NO_ASSET = 'aigrc-2025-00000000';
const GRAPHQL_MUTATIONS: Record<string, { rest: string; op: string }> = {
  pushEvent: { rest: 'POST /v1/events', op: 'mutation { pushEvent(event: {}) { eventId } }' },
  pushEvents: { rest: 'POST /v1/events/batch', op: 'mutation { pushEvents(events: []) { accepted } }' },
  createIntegrityCheckpoint: {
    rest: 'POST /v1/integrity/checkpoints',
    op: 'mutation { createIntegrityCheckpoint { merkleRoot } }',
  },
  createAsset: { rest: 'POST /api/v1/assets', op: 'mutation { createAsset(card: {}) { id } }' },
  updateAsset: {
    rest: 'PATCH /api/v1/assets/:assetId',
    op: `mutation { updateAsset(id: "${NO_ASSET}", patch: {}) { id } }`,
  },
  registerAsset: {
    rest: 'POST /api/v1/assets/:assetId/lifecycle',
    op: `mutation { registerAsset(id: "${NO_ASSET}") { id } }`,
  },
  retireAsset: {
    rest: 'POST /api/v1/assets/:assetId/lifecycle',
    op: `mutation { retireAsset(id: "${NO_ASSET}") { id } }`,
  },
  importPolicyPacks: {
    rest: 'POST /api/v1/policy-packs/import',
    op: 'mutation { importPolicyPacks(document: "") { dryRun } }',
  },
  installBuiltInPolicyPacks: {
    rest: 'POST /api/v1/policy-packs/built-in',
    op: 'mutation { installBuiltInPolicyPacks(policies: ["nope"]) { dryRun } }',
  },
  activatePolicyPack: {
    rest: 'POST /api/v1/policy-packs/:packId/activate',
    op: 'mutation { activatePolicyPack(id: "no-such-pack") { id } }',
  },
  deactivatePolicyPack: {
    rest: 'POST /api/v1/policy-packs/:packId/deactivate',
    op: 'mutation { deactivatePolicyPack(id: "no-such-pack") { id } }',
  },
  deleteEvidence: {
    rest: 'DELETE /api/v1/evidence/:evidenceId',
    op: `mutation { deleteEvidence(id: "${ZERO_UUID}") { id } }`,
  },
  generateReport: { rest: 'POST /api/v1/reports', op: 'mutation { generateReport(format: "none") { id } }' },
  evaluateCompliance: {
    rest: 'POST /api/v1/compliance/evaluate',
    op: 'mutation { evaluateCompliance { assets } }',
  },
};
const GRAPHQL_VIEWS: Record<string, { rest: string; op: string }> = {
  assets: { rest: 'GET /api/v1/assets', op: '{ assets(limit: 1) { limit } }' },
  asset: { rest: 'GET /api/v1/assets/:assetId', op: `{ asset(id: "${NO_ASSET}") { id } }` },
  events: { rest: 'GET /v1/events', op: '{ events(limit: 1) { total } }' },
  event: { rest: 'GET /v1/events/:id', op: `{ event(id: "${SAMPLE.id}") { id } }` },
  eventAssets: { rest: 'GET /v1/assets', op: '{ eventAssets(limit: 1) { total } }' },
  integrityCheckpoints: {
    rest: 'GET /v1/integrity/checkpoints',
    op: '{ integrityCheckpoints(limit: 1) { total } }',
  },
  auditEntries: { rest: 'GET /api/v1/audit', op: '{ auditEntries(limit: 1) { limit } }' },
  complianceSummary: { rest: 'GET /api/v1/compliance/summary', op: '{ complianceSummary { assets } }' },
  assetCompliance: {
    rest: 'GET /api/v1/compliance/assets/:assetId',
    op: `{ assetCompliance(assetId: "${NO_ASSET}") { score } }`,
  },
  complianceHistory: {
    rest: 'GET /api/v1/compliance/history',
    op: '{ complianceHistory(limit: 1) { limit } }',
  },
  policyPacks: { rest: 'GET /api/v1/policy-packs', op: '{ policyPacks { id } }' },
  policyPack: { rest: 'GET /api/v1/policy-packs/:packId', op: '{ policyPack(id: "no-such-pack") { id } }' },
  evidence: {
    rest: 'GET /api/v1/assets/:assetId/evidence',
    op: `{ evidence(assetId: "${NO_ASSET}") { limit } }`,
  },
  reports: { rest: 'GET /api/v1/reports', op: '{ reports(limit: 1) { limit } }' },
};
/** Views without a REST counterpart (the caller, the dashboard's summary, the CA's certificates). */
const GRAPHQL_ONLY_VIEWS = ['viewer', 'organization', 'certificates'];

/** The field names of one root type of the schema's SDL. */
function rootFields(type: 'Query' | 'Mutation'): string[] {
  const body = new RegExp(`type ${type} \\{([\\s\\S]*?)\\n  \\}`).exec(typeDefs)?.[1] ?? '';
  return [...body.matchAll(/^\s+([A-Za-z_]\w*)\s*[(:]/gm)].map((m) => m[1]!);
}

const minRoleOf = (guards: GuardInfo[]): Role =>
  guards.reduce<Role>((acc, g) => (g.minRole && roleAtLeast(g.minRole, acc) ? g.minRole : acc), 'viewer');

let dep: TestDeployment;
let running: RunningService;
let base: string;
let org: Org;
const tokens = {} as Record<Role, string>;
const agents = {} as Record<Role, Agent>;

beforeAll(async () => {
  dep = await TestDeployment.start();
  org = await withDb(dep, async (c) => ({
    id: (await c.query<{ id: string }>(`SELECT id FROM organizations WHERE slug='default'`)).rows[0]!.id,
    slug: 'default',
  }));
  const env = {
    ...(await dep.serviceEnv()),
    API_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
    AUTH_RATE_LIMIT_RPS: '0',
  };
  running = await startService(api, env);
  base = `http://127.0.0.1:${running.port}`;
  for (const role of ROLES) {
    const u = await createUser(dep, org, { role });
    const a = new Agent(base, { xff: freshAddress() });
    expect((await a.loginJson(u.email, u.password)).status).toBe(200);
    agents[role] = a;
    tokens[role] = await a.accessToken();
  }
}, 180_000);

afterAll(async () => {
  await running?.shutdown('test done');
  await dep?.destroy();
});

describe('route x role matrix (REST, generated from the app)', () => {
  it('every route behind authentication declares a role guard or is listed as open to members', () => {
    const routes = enumerateRoutes(running.app).filter((r) => !isPublic(r.path));
    expect(routes.length).toBeGreaterThan(20);
    const unguarded = routes.filter(
      (r) => r.guards.length === 0 && !OPEN_TO_MEMBERS.has(`${r.method} ${r.path}`),
    );
    expect(unguarded.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('allows and denies each role exactly as declared, and refuses anonymous callers', async () => {
    const routes = enumerateRoutes(running.app).filter((r) => !isPublic(r.path));
    const rows: string[] = [
      '| route | min role | anonymous | viewer | editor | admin |',
      '|---|---|---|---|---|---|',
    ];
    const failures: string[] = [];
    for (const r of routes) {
      const min = minRoleOf(r.guards);
      const path = fill(r.path);
      const send = (headers: Record<string, string>) =>
        new Agent(base, { xff: freshAddress() }).request(r.method, path, {
          headers,
          ...(['GET', 'HEAD', 'DELETE'].includes(r.method) ? {} : { json: {} }),
        });
      const cells: string[] = [];
      const anon = await send({});
      cells.push(String(anon.status));
      if (anon.status !== 401)
        failures.push(`${r.method} ${r.path} anonymous: expected 401, got ${anon.status}`);
      for (const role of ROLES) {
        const res = await send({ authorization: `Bearer ${tokens[role]}` });
        const allowed = roleAtLeast(role, min);
        cells.push(`${res.status}${allowed ? '' : ' (denied)'}`);
        if (allowed && (res.status === 401 || res.status === 403))
          failures.push(
            `${r.method} ${r.path} as ${role}: expected allowed (min ${min}), got ${res.status} ${res.text.slice(0, 160)}`,
          );
        if (!allowed) {
          const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code;
          if (res.status !== 403 || code !== 'FORBIDDEN')
            failures.push(
              `${r.method} ${r.path} as ${role}: expected 403 FORBIDDEN (min ${min}), got ${res.status} ${code ?? ''}`,
            );
        }
      }
      rows.push(`| ${r.method} ${r.path} | ${min} | ${cells.join(' | ')} |`);
    }
    await writeFile(join(dep.tmp, 'role-matrix.md'), rows.join('\n') + '\n');
    console.log(
      `role matrix: ${routes.length} routes x (anonymous + ${ROLES.length} roles)\n${rows.join('\n')}`,
    );
    expect(failures).toEqual([]);
  }, 300_000);

  it('session cookies get the same decisions as access tokens (with the CSRF token on writes)', async () => {
    const routes = enumerateRoutes(running.app).filter(
      (r) => !isPublic(r.path) && minRoleOf(r.guards) === 'admin' && r.method !== 'GET',
    );
    expect(routes.length).toBeGreaterThan(0);
    for (const r of routes.slice(0, 10)) {
      const res = await agents.editor.request(r.method, fill(r.path), {
        json: {},
        headers: { 'x-csrf-token': agents.editor.csrf },
      });
      expect(res.status, `${r.method} ${r.path} ${res.text}`).toBe(403);
      expect((res.body as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    }
  });
});

describe('GraphQL and the WebSocket use the same principals and decision', () => {
  // against the deployment's own api process (GraphQL cannot run inside the test runner's
  // module graph: two copies of graphql); tokens and sessions are valid on every replica
  const gql = (role: Role, query: string) =>
    new Agent(dep.endpoints.api, { xff: freshAddress() }).request<{
      data?: unknown;
      errors?: { extensions?: { code?: string } }[];
    }>('POST', '/graphql', {
      json: { query },
      headers: { authorization: `Bearer ${tokens[role]}` },
    });

  it('a viewer may query but not run an editor mutation; an editor may', async () => {
    const q = await gql('viewer', '{ viewer { kind orgId } }');
    expect(q.status).toBe(200);
    expect(q.body.errors).toBeUndefined();
    const denied = await gql('viewer', 'mutation { createIntegrityCheckpoint { merkleRoot } }');
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const allowed = await gql('editor', 'mutation { createIntegrityCheckpoint { merkleRoot } }');
    expect(allowed.body.errors?.[0]?.extensions?.code).not.toBe('FORBIDDEN');
    const anon = await new Agent(dep.endpoints.api).request('POST', '/graphql', {
      json: { query: '{ viewer { kind } }' },
    });
    expect(anon.status).toBe(401);
  });

  it('every GraphQL mutation and mirrored view demands the role and the scopes of its REST route', async () => {
    expect(Object.keys(GRAPHQL_MUTATIONS).sort()).toEqual(rootFields('Mutation').sort());
    expect([...Object.keys(GRAPHQL_VIEWS), ...GRAPHQL_ONLY_VIEWS].sort()).toEqual(rootFields('Query').sort());
    const routes = enumerateRoutes(running.app);
    const withKey = (key: string, query: string) =>
      new Agent(dep.endpoints.api, { xff: freshAddress() }).request<{
        errors?: { extensions?: { code?: string } }[];
      }>('POST', '/graphql', { json: { query }, headers: { authorization: `Bearer ${key}` } });
    const keysWithout = new Map<string, string>();
    const failures: string[] = [];
    const rows: string[] = [
      '| operation | REST route | min role | scopes | viewer | editor | admin |',
      '|---|---|---|---|---|---|---|',
    ];
    for (const [name, m] of [...Object.entries(GRAPHQL_MUTATIONS), ...Object.entries(GRAPHQL_VIEWS)]) {
      const route = routes.find((r) => `${r.method} ${r.path}` === m.rest);
      if (!route) {
        failures.push(`${name}: no REST route ${m.rest}`);
        continue;
      }
      const min = minRoleOf(route.guards);
      const scopes = route.guards.flatMap((g) => g.scopes ?? []);
      const cells: string[] = [];
      for (const role of ROLES) {
        const res = await gql(role, m.op);
        const code = res.body.errors?.[0]?.extensions?.code ?? 'ok';
        cells.push(code);
        const allowed = roleAtLeast(role, min);
        if (res.status === 401 || (allowed ? code === 'FORBIDDEN' : code !== 'FORBIDDEN'))
          failures.push(
            `${name} as ${role}: expected ${allowed ? 'allowed' : 'FORBIDDEN'} (min ${min}), got ${res.status} ${code}`,
          );
      }
      // an admin key holding every scope but one the route needs is refused
      for (const scope of scopes) {
        let key = keysWithout.get(scope);
        if (!key) {
          key = await createApiKey(dep, org, { role: 'admin', scopes: SCOPES.filter((s) => s !== scope) });
          keysWithout.set(scope, key);
        }
        const code = (await withKey(key, m.op)).body.errors?.[0]?.extensions?.code;
        if (code !== 'FORBIDDEN')
          failures.push(`${name} without ${scope}: expected FORBIDDEN, got ${code ?? 'ok'}`);
      }
      rows.push(`| ${name} | ${m.rest} | ${min} | ${scopes.join(', ')} | ${cells.join(' | ')} |`);
    }
    console.log(`GraphQL operations x roles\n${rows.join('\n')}`);
    expect(failures).toEqual([]);
  }, 180_000);

  it('the WebSocket accepts an access token or a session cookie, and refuses a forged token', async () => {
    const open = (url: string, headers: Record<string, string> = {}) =>
      new Promise<{ ok: boolean; status?: number }>((resolve) => {
        const ws = new WebSocket(url, { headers });
        ws.once('open', () => {
          ws.close();
          resolve({ ok: true });
        });
        ws.once('unexpected-response', (_req, res) => resolve({ ok: false, status: res.statusCode }));
        ws.once('error', () => resolve({ ok: false }));
      });
    const wsBase = dep.endpoints.api.replace('http', 'ws');
    expect((await open(`${wsBase}/ws?token=${tokens.viewer}`)).ok).toBe(true);
    expect((await open(`${wsBase}/ws`, { authorization: `Bearer ${tokens.admin}` })).ok).toBe(true);
    const cookie = [...agents.editor.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    expect((await open(`${wsBase}/ws`, { cookie })).ok).toBe(true);
    const [h, p] = tokens.viewer.split('.');
    const forged = await open(`${wsBase}/ws?token=${h}.${p}.AAAA`);
    expect(forged).toEqual({ ok: false, status: 401 });
  });
});
