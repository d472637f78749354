// The url target: an existing deployment given by its public URL and admin credentials
// (customer acceptance before handover). It gives no operator access, no component
// control, no logs and no secrets: scenarios that need them are skipped with the reason.
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  type Capability,
  CapabilityMissingError,
  type Component,
  type Endpoints,
  type ExecResult,
  type StartedDeployment,
  type Target,
} from '../target.js';

export interface UrlTargetOptions {
  url: string;
  adminEmail?: string;
  adminPasswordFile?: string;
  /** PEM bundle of a private CA that issued the deployment's certificate. */
  caFile?: string;
}

export class UrlUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UrlUnreachableError';
  }
}

function getJson(url: string, ca?: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      {
        method: 'GET',
        timeout: 10_000,
        agent: false,
        headers: { Accept: 'application/json' },
        ...(ca ? { ca } : {}),
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = text.slice(0, 200);
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

export class UrlTarget implements Target {
  readonly kind = 'url' as const;
  readonly url: string;

  constructor(readonly opts: UrlTargetOptions) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new UrlUnreachableError(`--url ${opts.url} is not a URL`);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:')
      throw new UrlUnreachableError(`--url must be http(s), not ${u.protocol}`);
    this.url = u.origin + u.pathname.replace(/\/+$/, '');
  }

  /** Nothing to bring up: attach, checking that the deployment answers. */
  up(): Promise<UrlDeployment> {
    return this.attach();
  }

  async attach(): Promise<UrlDeployment> {
    const ca = this.opts.caFile ? await readFile(this.opts.caFile, 'utf8') : undefined;
    let version = 'unknown';
    try {
      const res = await getJson(`${this.url}/health`, ca);
      const v = (res.body as { version?: unknown } | undefined)?.version;
      if (typeof v === 'string') version = v;
    } catch (err) {
      throw new UrlUnreachableError(
        `${this.url}/health cannot be reached: ${(err as Error).message}` +
          ((err as Error).message.includes('certificate') ? ' (a private CA? pass --ca-file)' : ''),
      );
    }
    return new UrlDeployment(this.url, version, this.opts);
  }
}

const NONE: ReadonlySet<Capability> = new Set();

export class UrlDeployment implements StartedDeployment {
  readonly kind = 'url' as const;
  readonly capabilities = NONE;

  constructor(
    readonly url: string,
    private readonly versionText: string,
    private readonly opts: UrlTargetOptions,
  ) {}

  async endpoints(): Promise<Endpoints> {
    return {
      target: 'url',
      version: this.versionText,
      public: this.url,
      gateway: this.url,
      web: this.url,
      api: this.url,
      ca: `${this.url}/ca`,
      database: { url: '' },
      redis: { url: '' },
      storage: { endpoint: '', bucket: '' },
      admin: { email: this.opts.adminEmail ?? '', passwordFile: this.opts.adminPasswordFile ?? '' },
      ...(this.opts.caFile ? { tls: { caFile: this.opts.caFile } } : {}),
    };
  }

  async version(): Promise<string> {
    return this.versionText;
  }

  exec(): Promise<ExecResult> {
    return Promise.reject(new CapabilityMissingError('operator-exec', 'url'));
  }

  stopComponent(_c: Component): Promise<void> {
    return Promise.reject(new CapabilityMissingError('component-control', 'url'));
  }

  startComponent(_c: Component): Promise<void> {
    return Promise.reject(new CapabilityMissingError('component-control', 'url'));
  }

  /** The harness never stops a deployment it did not bring up. */
  async down(): Promise<void> {}
}
