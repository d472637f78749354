// The route x role matrix, generated from the api service's own Express app: every route
// that needs a principal is called as viewer, editor and admin (bearer access tokens of
// real users) and without credentials. The expectation of each cell comes from the guard
// the route declares (allow(scope, role) / requireRole tag their middleware); a route
// without any guard fails the test unless it is listed below as open to every member.
// New routes are covered automatically. GraphQL and the WebSocket are checked with the
// same principals: they use the same resolvers and the same authorize() decision.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  guardInfo,
  ROLES,
  roleAtLeast,
  type GuardInfo,
  type Role,
} from '../../reference/src/api/auth/principal.js';
import { api } from '../../reference/src/api/service.js';
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
