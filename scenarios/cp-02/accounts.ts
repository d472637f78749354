// Checklist "Login working", "Admin password changed from default", "Organization/tenant
// configured", "Default policies loaded", "CLI can connect" (CP-02.1 success criteria).
// Each is judged through the documented interface: local login (POST /auth/login),
// GET /api/v1/me, GET /api/v1/policy-packs, and the aigrc client run as a process. A
// route that is not served fails the check; nothing here is skipped for a missing feature.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpResult } from '../../harness/src/drivers/http.js';
import type { Scenario, ScenarioContext } from '../../harness/src/runner/scenario.js';
import { KIT_ROOT } from '../../harness/src/util/paths.js';

/** The seed's documented default admin (CP-02 §4.1). */
export const SEED_DEFAULT_ADMIN = { email: 'admin@example.com', password: 'ChangeMe123!' };
export const DEFAULT_PACKS = ['eu-ai-act', 'nist-ai-rmf', 'iso-42001'];
export const LOGIN_PATH = '/auth/login';

export function login(
  ctx: ScenarioContext,
  email: string,
  password: string,
  label: string,
): Promise<HttpResult> {
  return ctx.http({
    method: 'POST',
    url: LOGIN_PATH,
    json: { email, password },
    headers: { Accept: 'application/json' },
    label,
  });
}

/** The session cookies a login answer set, as a Cookie header. */
export function sessionCookie(res: HttpResult): string | undefined {
  const cookies = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).filter((c) => /=./.test(c));
  return cookies.length ? cookies.join('; ') : undefined;
}

export interface AdminAuth {
  headers: Record<string, string>;
  /** where the credentials came from */
  via: 'admin-token' | 'operator-key' | 'session';
  /** the admin's e-mail, when known */
  email?: string;
  /** an API key (aigos_...) usable by the aigrc client, when there is one */
  apiKey?: string;
}

/** One admin API key per target and run, minted through the operator CLI. */
const minted = new WeakMap<object, Promise<{ key: string; email?: string }>>();

/**
 * An admin API key from the operator CLI (`aigos-admin apikey create`, as an operator
 * would hand one to the acceptance harness), acting for the admin when the target names
 * one, expiring after a day. Fails loudly when the CLI cannot make one.
 */
export function operatorAdminKey(ctx: ScenarioContext): Promise<{ key: string; email?: string }> {
  let key = minted.get(ctx.target);
  if (!key) {
    key = (async () => {
      const orgs = await ctx.target.exec(['aigos-admin', 'org', 'list', '--json']);
      let slug: string | undefined;
      try {
        slug = (JSON.parse(orgs.stdout) as { slug: string }[])[0]?.slug;
      } catch {
        slug = undefined;
      }
      if (orgs.code !== 0 || !slug)
        throw new Error(
          `aigos-admin org list --json gave no organization (exit ${orgs.code}): ${(orgs.stderr || orgs.stdout).trim().slice(0, 300)}`,
        );
      const create = (user?: string) =>
        ctx.target.exec([
          'aigos-admin',
          'apikey',
          'create',
          '--org',
          slug,
          '--scopes',
          '*',
          '--role',
          'admin',
          '--name',
          'aigos-harness acceptance run',
          '--expires-in-days',
          '1',
          ...(user ? ['--user', user] : []),
          '--json',
        ]);
      const email = ctx.target.admin.email || ctx.target.endpoints.admin.email || undefined;
      let r = await create(email);
      let actingFor = email;
      if (r.code !== 0 && email) {
        r = await create(); // the admin is not a member of that organization: a key of its own
        actingFor = undefined;
      }
      const parsed = (() => {
        try {
          return JSON.parse(r.stdout) as { key?: string };
        } catch {
          return undefined;
        }
      })();
      if (r.code !== 0 || !parsed?.key)
        throw new Error(
          `aigos-admin apikey create failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 300)}`,
        );
      return { key: parsed.key, email: actingFor };
    })();
    minted.set(ctx.target, key);
    key.catch(() => minted.delete(ctx.target)); // a later scenario may try again
  }
  return key;
}

/**
 * Admin credentials for the API: the token given to the harness, else an admin API key
 * minted through the operator CLI, else a local login with the admin's password (a cookie
 * session with its CSRF token). Skips when the target gives none of them; a login that
 * is refused skips the dependent scenario, naming cp-02.admin-login, which fails for it.
 */
export async function adminAuth(ctx: ScenarioContext): Promise<AdminAuth> {
  const { token, email, password } = ctx.target.admin;
  if (token)
    return {
      headers: { Authorization: `Bearer ${token}` },
      via: 'admin-token',
      email,
      apiKey: token.startsWith('aigos_') ? token : undefined,
    };
  if (ctx.target.has('operator-exec')) {
    const k = await operatorAdminKey(ctx);
    return {
      headers: { Authorization: `Bearer ${k.key}` },
      via: 'operator-key',
      email: k.email,
      apiKey: k.key,
    };
  }
  if (email && password) {
    const res = await login(ctx, email, password, 'admin login');
    const cookie = sessionCookie(res);
    const csrf = res.json<{ csrfToken?: string }>()?.csrfToken;
    if (res.status === 200 && cookie)
      return {
        headers: { Cookie: cookie, ...(csrf ? { 'X-CSRF-Token': csrf } : {}) },
        via: 'session',
        email,
      };
    return ctx.skip(
      `depends on the admin login, which answered ${res.error ?? res.status} (see cp-02.admin-login)`,
    );
  }
  return ctx.skip(
    'needs admin credentials: --admin-token, or --admin-email with --admin-password-file, or operator access',
  );
}

/** Headers only (kept for the other suites). */
export async function adminHeaders(ctx: ScenarioContext): Promise<Record<string, string>> {
  return (await adminAuth(ctx)).headers;
}

export const adminLogin: Scenario = {
  id: 'cp-02.admin-login',
  title: 'Admin login works (local sign-in through the public URL)',
  needs: ['admin-credentials'],
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    const { email, password } = ctx.target.admin;
    if (!email || !password)
      return ctx.skip('needs the admin e-mail and password (--admin-email, --admin-password-file)');
    const res = await login(ctx, email, password, 'admin login');
    const body = res.json<{ user?: { email?: string }; role?: string; mustChangePassword?: boolean }>();
    const cookie = sessionCookie(res);
    ctx.check({
      id: 'login',
      title: `the admin (${email}) can log in with the password handed over`,
      pass: res.status === 200 && cookie !== undefined,
      expected: '200 with a session cookie',
      actual: `${res.error ?? res.status}${cookie ? ' with a session' : ' without a session'}${
        res.status === 200
          ? ''
          : `: ${res.json<{ error?: { code?: string } }>()?.error?.code ?? res.text.slice(0, 120)}`
      }`,
      remediation:
        res.status === 404
          ? 'Local sign-in (POST /auth/login) is not served: check that the proxy routes /auth/ to the gateway and that local accounts are enabled (auth.local.enabled).'
          : res.status === 429
            ? 'The admin account (or this address) is locked after failed sign-ins: wait for the lock to expire (AUTH_LOCKOUT_SECONDS) and find who tried.'
            : 'Check the admin account (aigos-admin user create --role admin, seed 7.2) and the api log for the login attempt.',
      evidence: [res],
    });
    if (!cookie) return;
    const session = await ctx.http({
      url: '/auth/session',
      headers: { Accept: 'application/json', Cookie: cookie },
      label: 'the admin session',
    });
    const s = session.json<{ user?: { email?: string }; role?: string; mustChangePassword?: boolean }>();
    ctx.check({
      id: 'session',
      title: 'the session belongs to the admin and carries the admin role',
      pass: session.status === 200 && s?.user?.email === email && s?.role === 'admin',
      expected: { status: 200, email, role: 'admin' },
      actual: {
        status: session.error ?? session.status,
        email: s?.user?.email,
        role: s?.role,
        mustChangePassword: s?.mustChangePassword ?? body?.mustChangePassword,
      },
      remediation:
        'Give the admin the admin role in the organization (aigos-admin user create --role admin, seed 7.2).',
      evidence: [res, session],
    });
    const cookies = res.headers['set-cookie'] ?? [];
    const sessionCookies = cookies.filter((c) => /^[^=]*(session|sid)[^=]*=[^;]+/i.test(c));
    if (ctx.target.https) {
      const shown = cookies.map((c) => c.replace(/^([^=]*)=[^;]*/, '$1=[REDACTED]'));
      ctx.check({
        id: 'session-cookie-flags',
        title: 'cookies are Secure, and the session cookie is HttpOnly',
        pass:
          sessionCookies.length > 0 &&
          cookies.every((c) => /;\s*secure/i.test(c)) &&
          sessionCookies.every((c) => /;\s*httponly/i.test(c)),
        expected: 'Secure on every cookie; HttpOnly on the session cookie',
        actual: shown,
        remediation:
          'Set Secure and HttpOnly on the session cookie (PUBLIC_URL must be https so the service knows).',
        evidence: [res],
      });
    }
  },
};

export const defaultPassword: Scenario = {
  id: 'cp-02.default-password',
  title: 'Default admin password no longer accepted',
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    const emails = [
      ...new Set([SEED_DEFAULT_ADMIN.email, ctx.target.admin.email].filter((e): e is string => Boolean(e))),
    ];
    for (const email of emails) {
      const res = await login(
        ctx,
        email,
        SEED_DEFAULT_ADMIN.password,
        `login ${email} with the default password`,
      );
      const code = res.json<{ error?: { code?: string } }>()?.error?.code;
      const accepted = res.status >= 200 && res.status < 300;
      const body = accepted ? res.json<{ mustChangePassword?: boolean }>() : undefined;
      ctx.check({
        id: `default-refused-${email.replace(/[^a-z0-9]+/gi, '-')}`,
        title: `${email} cannot log in with the seed's default password (${SEED_DEFAULT_ADMIN.password.replace(/./g, '*')})`,
        pass: res.status === 401,
        expected: '401 (INVALID_CREDENTIALS)',
        actual: accepted
          ? `${res.status}: signed in${body?.mustChangePassword ? ' (a password change is pending)' : ''}`
          : `${res.error ?? res.status}${code ? ` ${code}` : ''}`,
        remediation: accepted
          ? `Change the admin password; the seed default still works (seed-review row 12): sign in as ${email} and complete the forced change at /auth/change-password, or set a new one with aigos-admin, then check again. Never hand over a deployment in this state.`
          : res.status === 429
            ? `The account ${email} is locked after failed sign-ins, so the default password cannot be tried: wait AUTH_LOCKOUT_SECONDS and run the check again.`
            : 'Local sign-in must refuse wrong credentials with 401 at POST /auth/login (seed 7.1 "Login working"): check that the route is served through the proxy (/auth/) and look at the api log.',
        evidence: [res],
      });
    }
  },
};

interface Me {
  user?: { email?: string } | null;
  role?: string;
  organization?: { name?: string; slug?: string };
}

/** GET /api/v1/me with the admin's credentials. */
async function me(ctx: ScenarioContext, auth: AdminAuth): Promise<{ res: HttpResult; body?: Me }> {
  const res = await ctx.http({ url: '/api/v1/me', headers: { Accept: 'application/json', ...auth.headers } });
  return { res, body: res.status === 200 ? res.json<Me>() : undefined };
}

export const organization: Scenario = {
  id: 'cp-02.organization',
  title: 'Organization configured; the admin sees it with the admin role',
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    const auth = await adminAuth(ctx);
    const { res, body } = await me(ctx, auth);
    ctx.check({
      id: 'me',
      title: `GET /api/v1/me answers for the admin (${auth.via})`,
      pass: res.status === 200 && body !== undefined,
      expected: 200,
      actual: res.error ?? res.status,
      remediation:
        res.status === 404
          ? 'GET /api/v1/me is not served (seed-review row 17: the CLI needs it): check the proxy routes /api/ to the gateway and the api version.'
          : 'The admin credentials are not accepted: check the token or the admin account.',
      evidence: [res],
    });
    const org = body?.organization;
    ctx.check({
      id: 'org-configured',
      title: 'an organization is configured (name and slug)',
      pass: Boolean(org?.name && org?.slug),
      expected: 'organization with name and slug',
      actual: org ?? 'none',
      remediation:
        'Create the organization: aigos-admin org create --name "Customer Corp" --slug customer-corp (seed 7.3).',
      evidence: [res],
    });
    ctx.check({
      id: 'admin-role',
      title: 'the admin holds the admin role',
      pass: body?.role === 'admin',
      expected: 'admin',
      actual: body?.role ?? 'none',
      remediation:
        'Give the admin the admin role in the organization (aigos-admin user create --role admin, seed 7.2).',
      evidence: [res],
    });
  },
};

interface PackItem {
  id?: string;
  packId?: string;
  name?: string;
  active?: boolean;
}

export const defaultPacks: Scenario = {
  id: 'cp-02.default-packs',
  title: 'Default policy packs loaded (EU AI Act, NIST AI RMF, ISO 42001)',
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    const auth = await adminAuth(ctx);
    const res = await ctx.http({
      url: '/api/v1/policy-packs',
      headers: { Accept: 'application/json', ...auth.headers },
    });
    const body = res.json<{ items?: PackItem[] } | PackItem[]>();
    const items = res.status === 200 ? (Array.isArray(body) ? body : (body?.items ?? [])) : [];
    for (const pack of DEFAULT_PACKS) {
      const found = items.find((p) => (p.id ?? p.packId) === pack);
      ctx.check({
        id: `pack-${pack}`,
        title: `policy pack ${pack} is loaded and active`,
        pass: found !== undefined && found.active !== false,
        expected: `${pack} (active)`,
        actual:
          res.status === 200
            ? found
              ? found.active === false
                ? 'listed, deactivated'
                : 'listed, active'
              : 'not listed'
            : `${res.error ?? res.status}`,
        remediation:
          found?.active === false
            ? `The pack ${pack} is deactivated: activate it again (aigos-admin policy import --source built-in --policies ${pack}).`
            : 'Import the built-in packs: aigos-admin policy import --source built-in --policies eu-ai-act,nist-ai-rmf,iso-42001 (seed 7.4).',
        evidence: [res],
      });
    }
  },
};

/** The kit's aigrc-compatible client (a client-side tool: it runs here, against any target). */
export const AIGRC_BIN = join(KIT_ROOT, 'dist', 'reference', 'src', 'cli', 'aigrc.js');

function runAigrc(
  ctx: ScenarioContext,
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [AIGRC_BIN, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
      signal: ctx.signal,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', (err) => resolve({ code: 1, stdout, stderr: stderr + err.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

export const cliStatus: Scenario = {
  id: 'cp-02.cli-status',
  title: '`aigrc status` connects and shows organization, user and role (seed 7.5)',
  dependsOn: ['cp-02.health'],
  timeoutMs: 30_000,
  async run(ctx) {
    const auth = await adminAuth(ctx);
    // the client needs a bearer credential: the API key, or an access token of the session
    let credential = auth.apiKey;
    if (!credential) {
      const t = await ctx.http({
        method: 'POST',
        url: '/auth/token',
        headers: { Accept: 'application/json', ...auth.headers },
        label: 'access token for the client',
      });
      credential = t.json<{ access_token?: string }>()?.access_token;
      if (!credential)
        ctx.check({
          id: 'credential',
          title: 'an access token for the client (POST /auth/token)',
          pass: false,
          expected: '200 with access_token',
          actual: t.error ?? t.status,
          remediation: 'POST /auth/token must mint an access token for a signed-in session.',
          evidence: [t],
        });
      if (!credential) return;
    }
    const expected = await me(ctx, auth);
    const configDir = await mkdtemp(join(tmpdir(), 'aigos-aigrc-'));
    try {
      const env: Record<string, string> = {
        AIGRC_CONFIG_DIR: configDir,
        ...(ctx.target.caBundle && ctx.target.endpoints.tls
          ? { NODE_EXTRA_CA_CERTS: ctx.target.endpoints.tls.caFile }
          : {}),
      };
      const transcript: string[] = [];
      const step = async (args: string[], stdin?: string, extra: Record<string, string> = {}) => {
        const r = await runAigrc(ctx, args, { ...env, ...extra }, stdin);
        transcript.push(
          `$ aigrc ${args.join(' ')}${stdin ? ' < (API key)' : ''}\n${r.stdout}${r.stderr}(exit ${r.code})`,
        );
        return r;
      };
      // the seed's steps: configure the endpoint, authenticate, verify the connection
      const set = await step(['config', 'set', 'endpoint', ctx.target.publicUrl]);
      const loggedIn = credential.startsWith('aigos_')
        ? await step(['auth', 'login', '--api-key-stdin'], credential)
        : undefined;
      const status = await step(['status'], undefined, loggedIn ? {} : { AIGRC_API_KEY: credential });
      const ev = await ctx.evidence('aigrc session', transcript.join('\n\n') + '\n', 'command-output');
      const fix =
        'Configure the client (aigrc config set endpoint <public URL>; aigrc auth login) and check GET /api/v1/me through the public URL (seed 7.5); with a private CA the client must trust it (NODE_EXTRA_CA_CERTS).';
      ctx.check({
        id: 'configured',
        title: 'aigrc config set endpoint <public URL> and aigrc auth login succeed',
        pass: set.code === 0 && (loggedIn === undefined || loggedIn.code === 0),
        expected: 'exit 0',
        actual: `config set: exit ${set.code}${loggedIn ? `; auth login: exit ${loggedIn.code} ${loggedIn.stdout.trim() || loggedIn.stderr.trim()}` : ''}`,
        remediation: fix,
        evidence: [ev],
      });
      const line = (label: string) =>
        status.stdout
          .split('\n')
          .find((l) => l.startsWith(`${label}:`))
          ?.slice(label.length + 1)
          .trim();
      const want = expected.body;
      const rows: [string, string, string | undefined][] = [
        ['status', 'Status', 'Connected'],
        ['organization', 'Organization', want?.organization?.name],
        ['user', 'User', want?.user?.email ?? undefined],
        ['role', 'Role', want?.role],
      ];
      for (const [id, label, value] of rows)
        ctx.check({
          id: `shows-${id}`,
          title: `aigrc status shows "${label}: ${value ?? '…'}"`,
          pass:
            status.code === 0 &&
            line(label) !== undefined &&
            (value === undefined ? line(label)!.length > 0 : line(label) === value),
          expected: `${label}: ${value ?? '(any)'}`,
          actual:
            line(label) !== undefined
              ? `${label}: ${line(label)}`
              : `not shown (exit ${status.code}): ${(status.stdout + status.stderr).trim().split('\n').slice(-1)[0] ?? ''}`,
          remediation: fix,
          evidence: [ev],
        });
    } finally {
      await rm(configDir, { recursive: true, force: true });
    }
  },
};
