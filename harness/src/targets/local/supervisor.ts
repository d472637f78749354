// The local deployment's supervisor: owns PostgreSQL, Redis, the S3 endpoint and the
// four reference services as child processes. Bring-up reads as a list of idempotent
// steps; afterwards it watches the children (an unexpected exit fails the deployment
// with that child's last log lines) and serves a control socket for stop/start of one
// component, status and shutdown.
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { ALL_COMPONENTS, COMPONENTS, type Component, type Endpoints } from '../target.js';
import { httpStatus, waitFor } from '../../readiness/wait.js';
import { ManagedProcess } from '../../util/managed-process.js';
import { KIT_ROOT, REFERENCE_BIN } from '../../util/paths.js';
import { choosePorts, freePort, type PortChoice } from '../../util/ports.js';
import { startPostgres } from './components/postgres.js';
import { startRedis } from './components/redis.js';
import { startS3 } from './components/s3.js';
import { localProxyTls, startNginx } from './components/nginx.js';
import { startIdps, type StartedIdps } from './components/idps.js';
import { type Secrets, StateDir } from './state.js';

export const DEFAULT_PORTS: Record<Component, number> = {
  gateway: 3000,
  web: 3001,
  api: 3002,
  ca: 3003,
  postgres: 5432,
  redis: 6379,
  s3: 9000,
  nginx: 8443, // the seed's 443 needs privileges; only used when the proxy is on
};
const DEFAULT_PROXY_HTTP_PORT = 8080;

type Service = 'api' | 'ca' | 'web' | 'gateway';
const INFRA = ['postgres', 'redis', 's3'] as const;

// the seed's admin address (CP-02 §4.1), with a generated password instead of the default
export const ADMIN_EMAIL = 'admin@example.com';
/** The seed's documented default admin password (CP-02 §4.1), used only with seedDefaultAdminPassword. */
export const SEED_DEFAULT_ADMIN_PASSWORD = 'ChangeMe123!';
export const BUCKET = 'aigos-data';
const READY_TIMEOUT_MS = 60_000;

export interface Layout {
  version: string;
  ports: Record<Component, PortChoice>;
  pgDataDir?: string;
  /** nginx in front (ports.nginx is HTTPS, proxyHttpPort the redirect to it); absent otherwise. */
  proxy?: { httpPort: PortChoice };
}

export interface SupervisorOptions {
  /** Run the repository's nginx (TLS, rate limits, security headers) in front of the services. */
  proxy?: boolean;
  /** Skip importing the built-in policy packs (see UpOptions). */
  withoutDefaultPacks?: boolean;
  /** Seed the admin with the seed's default password instead of a generated one. */
  seedDefaultAdminPassword?: boolean;
  /** Start the kit's test IdPs and configure the api's SSO for them (components/idps.ts). */
  testIdps?: boolean;
  /** Give the api a wrong client secret for one test IdP (implies testIdps; see UpOptions). */
  wrongOidcClientSecret?: boolean;
}

/** argv flags of supervisor-main for each option. */
export const SUPERVISOR_FLAGS = {
  proxy: '--proxy',
  withoutDefaultPacks: '--without-default-packs',
  seedDefaultAdminPassword: '--seed-default-admin-password',
  testIdps: '--test-idps',
  wrongOidcClientSecret: '--wrong-oidc-client-secret',
} as const satisfies Record<keyof SupervisorOptions, string>;

/** V8 flags of the service processes (see startService). */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=2'];

export const BUILT_IN_PACKS = ['eu-ai-act', 'nist-ai-rmf', 'iso-42001'];

export type DeploymentState = 'starting' | 'ready' | 'failed' | 'stopping' | 'stopped';

export interface Status {
  state: DeploymentState;
  supervisorPid: number;
  updatedAt: string;
  step?: string;
  /** Human-readable notes such as moved ports. */
  notices: string[];
  components: Partial<Record<Component, { state: 'running' | 'stopped' | 'exited'; pid?: number }>>;
  failure?: { component?: string; message: string; lastLines?: string[]; logFile?: string };
}

async function kitVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(`${KIT_ROOT}/package.json`, 'utf8')) as { version: string };
  return pkg.version;
}

export class Supervisor {
  private readonly procs = new Map<Component, ManagedProcess>();
  private readonly intentionallyStopped = new Set<Component>();
  private status: Status;
  private layout!: Layout;
  private secrets!: Secrets;
  private urls: { database?: string; redis?: string; s3?: string } = {};
  private idps?: StartedIdps;
  private idpsStarting?: Promise<StartedIdps>;
  private control?: Server;
  private shuttingDown?: Promise<void>;
  private failed = false;

  constructor(
    readonly state: StateDir,
    private readonly say: (line: string) => void,
    /** Called once the deployment has failed or been shut down. */
    private readonly onFinished: (code: number) => void,
    private readonly options: SupervisorOptions = {},
  ) {
    this.status = {
      state: 'starting',
      supervisorPid: process.pid,
      updatedAt: new Date().toISOString(),
      notices: [],
      components: {},
    };
  }

  private async setStatus(patch: Partial<Status>): Promise<void> {
    this.status = { ...this.status, ...patch, updatedAt: new Date().toISOString() };
    for (const c of ALL_COMPONENTS) {
      const p = this.procs.get(c);
      if (p)
        this.status.components[c] = {
          state: p.exitInfo ? (this.intentionallyStopped.has(c) ? 'stopped' : 'exited') : 'running',
          pid: p.pid,
        };
    }
    await this.state.writeJson(this.state.statusFile, this.status);
  }

  private async step(text: string): Promise<void> {
    this.say(text);
    await this.setStatus({ step: text });
  }

  // ---- bring-up, as ordered steps ------------------------------------------------

  async up(): Promise<void> {
    await this.state.ensure();
    await this.state.writeJson(this.state.statusFile, this.status);
    await this.startControlSocket();
    await this.step('generating secrets (kept in the state directory, mode 0600)');
    this.secrets = await this.state.secrets();
    if (this.options.seedDefaultAdminPassword) {
      // the admin keeps the seed's default: the password file endpoints.json names says so
      this.secrets['admin-password'] = SEED_DEFAULT_ADMIN_PASSWORD;
      await writeFile(this.state.secretFile('admin-password'), `${SEED_DEFAULT_ADMIN_PASSWORD}\n`, {
        mode: 0o600,
      });
    }
    await this.chooseLayout();
    // the test IdPs need only the public URL: they start while the data stores do
    const idps = (this.idpsStarting = this.wantsIdps ? this.startTestIdps() : undefined);
    idps?.catch(() => undefined); // awaited below; a failure there fails the bring-up
    await this.step('starting PostgreSQL, Redis and the S3 endpoint; generating the CA hierarchy');
    // the CA's keys (RSA-4096 root, P-256 issuing and OCSP) take a moment: made while the
    // data stores start; `secrets generate` is idempotent, so a kept state reuses them
    await Promise.all([
      ...INFRA.map((c) => this.startComponent(c)),
      this.runAdmin(['secrets', 'generate', '--dir', this.caSecretsDir]),
    ]);
    await this.step('applying database migrations');
    await this.runAdmin(['db:migrate']);
    await this.step('seeding the organization and the first admin');
    await this.runAdmin([
      'db:seed',
      '--org-slug',
      'default',
      '--org-name',
      'Default Organization',
      '--admin-email',
      ADMIN_EMAIL,
      // without a password file the seed sets its documented default, to be changed at first login
      ...(this.options.seedDefaultAdminPassword
        ? []
        : ['--admin-password-file', this.state.secretFile('admin-password')]),
    ]);
    if (!this.options.withoutDefaultPacks) {
      await this.step('importing the built-in policy packs (CP-02 §7.4)');
      await this.runAdmin([
        'policy',
        'import',
        '--source',
        'built-in',
        '--policies',
        BUILT_IN_PACKS.join(','),
      ]);
    }
    if (idps) {
      await this.step('test IdPs: verifying their e-mail domain for the organization (SSO sign-in)');
      this.idps = await idps;
      for (const domain of this.idps.verifiedDomains)
        await this.runAdmin([
          'org',
          'add-domain',
          '--org',
          'default',
          '--domain',
          domain,
          '--verified',
          'true',
        ]);
    }
    await this.step('starting api, ca and web, then the gateway in front of them');
    await Promise.all(['api', 'ca', 'web'].map((s) => this.startComponent(s as Service)));
    await this.startComponent('gateway'); // its upstream URLs need the others' final ports
    if (this.layout.proxy) {
      await this.step('starting nginx (TLS, rate limits, security headers) in front');
      await this.startComponent('nginx');
    }
    await this.writeEndpoints();
    await this.setStatus({ state: 'ready', step: 'ready' });
    this.say('deployment ready');
  }

  private async chooseLayout(): Promise<void> {
    const previous = await this.state.readJson<Layout>(this.state.layoutFile);
    const components: Component[] = this.options.proxy ? [...COMPONENTS, 'nginx'] : [...COMPONENTS];
    const preferred: Record<string, number> = Object.fromEntries(
      components.map((c) => [c, previous?.ports[c]?.port ?? DEFAULT_PORTS[c]]),
    );
    if (this.options.proxy)
      preferred['nginx-http'] = previous?.proxy?.httpPort.port ?? DEFAULT_PROXY_HTTP_PORT;
    const chosen = await choosePorts(preferred);
    const ports = Object.fromEntries(components.map((c) => [c, chosen[c]!])) as Record<Component, PortChoice>;
    const notices: string[] = [];
    for (const [c, choice] of Object.entries(chosen)) {
      if (choice.movedFrom !== undefined)
        notices.push(`${c}: port ${choice.movedFrom} is taken; using ${choice.port}`);
    }
    for (const n of notices) this.say(n);
    this.layout = {
      version: await kitVersion(),
      ports,
      pgDataDir: previous?.pgDataDir,
      ...(this.options.proxy ? { proxy: { httpPort: chosen['nginx-http']! } } : {}),
    };
    await this.state.writeJson(this.state.layoutFile, this.layout);
    await this.setStatus({ notices });
  }

  private get wantsIdps(): boolean {
    return Boolean(this.options.testIdps || this.options.wrongOidcClientSecret);
  }

  /** The test IdPs (components/idps.ts), watched like the other children. */
  private async startTestIdps(): Promise<StartedIdps> {
    const started = await startIdps({
      dir: this.state.path('idps'),
      secretsDir: this.state.secretsDir,
      publicUrl: this.publicUrl(),
      logFile: (name) => this.state.logFile(name),
      wrongClientSecret: this.options.wrongOidcClientSecret,
    });
    for (const [name, proc] of started.processes) {
      this.say(`  test IdP ${name}: ${Object.values(started.endpoints[name] ?? {})[0] ?? ''}`);
      void proc.exited.then(async () => {
        if (this.shuttingDown || !proc.unexpectedExit) return;
        await this.fail({
          component: `idp-${name}`,
          message: `test IdP ${name} exited unexpectedly (code ${proc.exitInfo?.code ?? 'none'})`,
          lastLines: proc.lastLines(20),
          logFile: this.state.logFile(`idp-${name}`),
        });
      });
    }
    return started;
  }

  private port(c: Component): number {
    return this.layout.ports[c].port;
  }

  private serviceEnv(): Record<string, string> {
    const s = this.secrets;
    const url = (c: Component) => `http://127.0.0.1:${this.port(c)}`;
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.AIGOS_LOG_LEVEL ?? 'info',
      AIGOS_VERSION: this.layout.version,
      BIND_HOST: '127.0.0.1',
      GATEWAY_PORT: String(this.port('gateway')),
      WEB_PORT: String(this.port('web')),
      API_PORT: String(this.port('api')),
      CA_PORT: String(this.port('ca')),
      API_UPSTREAM_URL: url('api'),
      CA_UPSTREAM_URL: url('ca'),
      WEB_UPSTREAM_URL: url('web'),
      PUBLIC_URL: this.publicUrl(),
      CORS_ORIGINS: [...new Set([this.publicUrl(), url('gateway')])].join(','),
      DATABASE_URL: `postgres://aigos:${encodeURIComponent(s['db-password'])}@127.0.0.1:${this.port('postgres')}/aigos`,
      REDIS_URL: `redis://:${encodeURIComponent(s['redis-password'])}@127.0.0.1:${this.port('redis')}`,
      S3_ENDPOINT: url('s3'),
      S3_ACCESS_KEY: s['s3-access-key'],
      S3_SECRET_KEY: s['s3-secret-key'],
      S3_BUCKET: BUCKET,
      JWT_SECRET: s['jwt-secret'],
      SESSION_SECRET: s['session-secret'],
      ...(this.idps ? { AUTH_CONFIG_FILE: this.idps.authConfigFile } : {}),
      // the running CA signs with the issuing CA; the root key stays out of its reach
      CA_ROOT_CERT_PATH: `${this.caSecretsDir}/secrets/ca/ca-root.crt`,
      SIGNING_KEY_PATH: `${this.caSecretsDir}/secrets/ca/signing.key`,
      // OCSP and CRL locations written into certificates: the gateway, reachable without TLS
      CA_PUBLIC_URL: `${url('gateway')}/ca`,
    };
  }

  /** Where `aigos-admin secrets generate` keeps the deployment's CA hierarchy. */
  private get caSecretsDir(): string {
    return this.state.path('secrets', 'deploy');
  }

  /** What users open: the TLS proxy when there is one, else the gateway (contracts §1). */
  private publicUrl(): string {
    return this.layout.proxy
      ? `https://127.0.0.1:${this.port('nginx')}`
      : `http://127.0.0.1:${this.port('gateway')}`;
  }

  private async writeEndpoints(): Promise<void> {
    const env = this.serviceEnv();
    // the admin commands of `exec` need the same configuration; it holds secrets, hence 0600
    await this.state.writeJson(this.state.serviceEnvFile, env, 0o600);
    const url = (c: Component) => `http://127.0.0.1:${this.port(c)}`;
    const endpoints: Endpoints & { stateDir: string } = {
      target: 'local',
      version: this.layout.version,
      public: this.publicUrl(),
      gateway: url('gateway'),
      web: url('web'),
      api: url('api'),
      ca: url('ca'),
      database: { url: env.DATABASE_URL! },
      redis: { url: env.REDIS_URL! },
      storage: { endpoint: url('s3'), bucket: BUCKET },
      admin: { email: ADMIN_EMAIL, passwordFile: this.state.secretFile('admin-password') },
      stateDir: this.state.root,
      ...(this.idps ? { idps: this.idps.endpoints } : {}),
      ...(this.layout.proxy
        ? { tls: { caFile: (await localProxyTls(this.state.path('nginx'))).caCert } }
        : {}),
    };
    await this.state.writeJson(this.state.endpointsFile, endpoints, 0o600);
  }

  /** Run the reference's operator CLI with the deployment's configuration. */
  private runAdmin(args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [REFERENCE_BIN['aigos-admin'], ...args],
        { env: this.serviceEnv() },
        (err, stdout, stderr) => {
          if (stdout.trim()) this.say(`  ${stdout.trim()}`);
          if (err)
            reject(new Error(`aigos-admin ${args[0]} failed: ${(stderr || stdout).trim() || err.message}`));
          else resolve();
        },
      );
    });
  }

  // ---- components ------------------------------------------------------------------

  async startComponent(c: Component): Promise<void> {
    if (this.shuttingDown) throw new Error(`not starting ${c}: the deployment is shutting down`);
    if (this.procs.get(c) && !this.procs.get(c)!.exitInfo) return; // already running
    this.intentionallyStopped.delete(c);
    // a port seen free when the layout was chosen can be taken by another deployment
    // before this component binds it: move to a fresh port and try again
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce(c);
      } catch (err) {
        const e = err as Error & { lastLines?: string[] };
        const text = [e.message, ...(e.lastLines ?? [])].join('\n');
        // only during bring-up: once ready, the others hold this component's URL, so a
        // restart must come back on the same port or fail loudly
        const portConflict = /already in use|EADDRINUSE|could not bind/i.test(text);
        if (attempt >= 3 || !portConflict || this.status.state !== 'starting') throw err;
        const port = await freePort();
        const notice = `${c}: port ${this.port(c)} was taken while starting; using ${port}`;
        this.say(notice);
        await this.setStatus({ notices: [...this.status.notices, notice] });
        this.layout.ports[c] = { port, movedFrom: this.port(c) };
        await this.state.writeJson(this.state.layoutFile, this.layout);
      }
    }
  }

  private async startOnce(c: Component): Promise<void> {
    const logFile = this.state.logFile(c);
    let proc: ManagedProcess;
    if (c === 'postgres') {
      const pg = await startPostgres({
        stateDir: this.state.root,
        dataDir: this.layout.pgDataDir,
        port: this.port('postgres'),
        superuserPassword: this.secrets['postgres-superuser-password'],
        appUser: 'aigos',
        appPassword: this.secrets['db-password'],
        database: 'aigos',
        logFile,
      });
      proc = pg.process;
      if (this.layout.pgDataDir !== pg.dataDir) {
        this.layout.pgDataDir = pg.dataDir;
        await this.state.writeJson(this.state.layoutFile, this.layout);
      }
    } else if (c === 'redis') {
      proc = (
        await startRedis({
          dir: this.state.path('redis'),
          port: this.port('redis'),
          password: this.secrets['redis-password'],
          logFile,
        })
      ).process;
    } else if (c === 's3') {
      proc = (
        await startS3({
          dir: this.state.path('s3'),
          port: this.port('s3'),
          accessKey: this.secrets['s3-access-key'],
          secretKey: this.secrets['s3-secret-key'],
          logFile,
        })
      ).process;
    } else if (c === 'nginx') {
      if (!this.layout.proxy) throw new Error('this deployment runs without the nginx proxy (up --proxy)');
      proc = (
        await startNginx({
          dir: this.state.path('nginx'),
          httpsPort: this.port('nginx'),
          httpPort: this.layout.proxy.httpPort.port,
          upstreams: { gateway: this.port('gateway'), web: this.port('web'), ca: this.port('ca') },
          logFile,
          accessLog: this.state.logFile('nginx-access'),
        })
      ).process;
    } else {
      proc = await this.startService(c);
    }
    this.procs.set(c, proc);
    this.watch(c, proc);
    await this.setStatus({});
  }

  private async startService(service: Service): Promise<ManagedProcess> {
    const proc = new ManagedProcess({
      name: service,
      command: process.execPath,
      // a smaller young generation: about 20 MB less resident memory per service at idle
      // for a few more (cheap) scavenges; compose and Kubernetes set the same flag
      args: [SERVICE_NODE_FLAGS, REFERENCE_BIN.aigos, 'serve', service].flat(),
      env: this.serviceEnv(),
      logFile: this.state.logFile(service),
      cwd: KIT_ROOT,
    });
    // another deployment's process may answer on the same port (taken between choosing
    // and binding): ready means our process said it listens and the port answers
    let listening = false;
    try {
      await waitFor(
        `${service} service`,
        async () => {
          if (proc.exitInfo)
            throw new Error(`exited with code ${proc.exitInfo.code}: ${proc.lastLines(5).join(' | ')}`);
          listening ||= proc.lastLines(50).some((l) => l.includes(`"msg":"${service} listening"`));
          if (!listening) throw new Error('has not said it listens yet');
          await httpStatus(`http://127.0.0.1:${this.port(service)}/health/ready`)();
        },
        { timeoutMs: READY_TIMEOUT_MS, intervalMs: 100 },
      );
    } catch (err) {
      await proc.stop();
      throw Object.assign(err as Error, { component: service, lastLines: proc.lastLines(20) });
    }
    return proc;
  }

  async stopComponent(c: Component): Promise<void> {
    const proc = this.procs.get(c);
    if (!proc || proc.exitInfo) return;
    this.intentionallyStopped.add(c);
    // PostgreSQL: SIGINT is its "fast" shutdown; the others drain on SIGTERM
    await proc.stop(c === 'postgres' ? 'SIGINT' : 'SIGTERM', 10_000);
    await this.setStatus({});
  }

  private watch(c: Component, proc: ManagedProcess): void {
    void proc.exited.then(async (info) => {
      if (this.shuttingDown || this.intentionallyStopped.has(c) || this.procs.get(c) !== proc) return;
      const lastLines = proc.lastLines(20);
      const message = `${c} exited unexpectedly (code ${info.code ?? 'none'}${info.signal ? `, signal ${info.signal}` : ''})`;
      await this.fail({ component: c, message, lastLines, logFile: this.state.logFile(c) });
    });
  }

  /** Record the failure, stop everything and finish with a non-zero code. */
  async fail(failure: NonNullable<Status['failure']>): Promise<void> {
    if (this.failed) return;
    this.failed = true;
    this.say(`FAILED: ${failure.message}`);
    for (const line of failure.lastLines ?? []) this.say(`  | ${line}`);
    await this.setStatus({ state: 'failed', failure });
    await this.shutdown('failure', 'failed');
    this.onFinished(1);
  }

  /** Services first (they drain), then the S3 endpoint, Redis and PostgreSQL. */
  shutdown(reason: string, finalState: DeploymentState = 'stopped'): Promise<void> {
    this.shuttingDown ??= (async () => {
      this.say(`stopping (${reason})`);
      if (finalState !== 'failed') await this.setStatus({ state: 'stopping' });
      const stop = (c: Component) => this.procs.get(c)?.stop(c === 'postgres' ? 'SIGINT' : 'SIGTERM', 10_000);
      await Promise.allSettled([
        ...['nginx', 'gateway', 'web'].map((c) => stop(c as Component)),
        this.idpsStarting?.then(
          (i) => i.stop(),
          () => undefined,
        ),
      ]);
      await Promise.allSettled(['api', 'ca'].map((c) => stop(c as Component)));
      await Promise.allSettled(INFRA.map((c) => stop(c)));
      await new Promise<void>((r) => (this.control ? this.control.close(() => r()) : r()));
      await rm(this.state.controlSocket, { force: true });
      await this.setStatus({ state: finalState });
      this.say('stopped');
    })();
    return this.shuttingDown;
  }

  currentStatus(): Status {
    return this.status;
  }

  // ---- control socket ----------------------------------------------------------------

  private async startControlSocket(): Promise<void> {
    await rm(this.state.controlSocket, { force: true });
    this.control = createServer((req, res) => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const m = /^\/components\/([a-z0-9]+)\/(stop|start)$/.exec(req.url ?? '');
      if (req.method === 'GET' && req.url === '/status') return reply(200, this.status);
      if (req.method === 'POST' && req.url === '/shutdown') {
        reply(202, { accepted: true });
        void this.shutdown('requested').then(() => this.onFinished(0));
        return;
      }
      if (req.method === 'POST' && m) {
        const component = m[1] as Component;
        const known = this.layout?.proxy ? ALL_COMPONENTS : COMPONENTS;
        if (!known.includes(component))
          return reply(404, { error: `unknown component ${component}; one of ${known.join(', ')}` });
        const action = m[2] === 'stop' ? this.stopComponent(component) : this.startComponent(component);
        action.then(
          () => reply(200, this.status),
          (err: Error) => reply(500, { error: err.message }),
        );
        return;
      }
      reply(404, { error: 'unknown control request' });
    });
    await new Promise<void>((resolve, reject) => {
      this.control!.once('error', reject);
      this.control!.listen(this.state.controlSocket, () => resolve());
    });
  }
}

/**
 * Run a supervisor in this process until the deployment fails or is shut down
 * (by signal or the control socket). Resolves with the exit code to use.
 */
export async function runSupervisor(
  stateRoot: string,
  say: (line: string) => void,
  options: SupervisorOptions = {},
): Promise<number> {
  const state = new StateDir(stateRoot);
  await state.ensure();
  await writeFile(state.supervisorPidFile, `${process.pid}\n`);
  let finish!: (code: number) => void;
  const finished = new Promise<number>((r) => (finish = r));
  const supervisor = new Supervisor(state, say, (code) => finish(code), options);
  const onSignal = (signal: NodeJS.Signals) => {
    void supervisor.shutdown(signal).then(() => finish(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onSignal);
  try {
    await supervisor.up();
  } catch (err) {
    const e = err as Error & { component?: string; lastLines?: string[] };
    await supervisor.fail({
      component: e.component,
      message: e.message,
      lastLines: e.lastLines,
      logFile: e.component ? state.logFile(e.component) : undefined,
    });
  }
  const code = await finished;
  await rm(state.supervisorPidFile, { force: true });
  return code;
}
