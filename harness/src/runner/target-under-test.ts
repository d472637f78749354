// The deployment as scenarios see it: its public URL (and the CA to trust for it), the
// service URLs when reachable, the admin credentials given to the harness, and what it
// can do beyond HTTP. Scenarios never learn which target this is beyond `kind`; a
// scenario that needs something the target cannot give is skipped with the reason.
import { readFile } from 'node:fs/promises';
import {
  type Capability,
  CapabilityMissingError,
  type Component,
  type Endpoints,
  type ExecResult,
  type NamedSecret,
  type StartedDeployment,
  type TargetKind,
} from '../targets/target.js';

export type ServiceName = 'gateway' | 'api' | 'ca' | 'web';
export const SERVICE_NAMES: readonly ServiceName[] = ['gateway', 'api', 'ca', 'web'];

/** What a scenario may need: a target capability, a browser, TLS on the public URL, admin credentials. */
export type Need = Capability | 'browser' | 'tls' | 'admin-credentials';

export interface AdminCredentials {
  email?: string;
  password?: string;
  /** A bearer token or API key with admin rights. */
  token?: string;
}

const NEED_TEXT: Record<Need, string> = {
  'operator-exec': 'operator access (aigos-admin run through the target)',
  'component-control': 'stopping and starting components',
  'service-ports': "each service's own address",
  logs: 'component logs',
  secrets: "the deployment's secret values",
  database: 'a database connection',
  browser: 'a Chromium browser (apt-get install -y chromium)',
  tls: 'an https public URL',
  'admin-credentials': 'admin credentials (--admin-token, or --admin-email with --admin-password-file)',
};

export class TargetUnderTest {
  readonly kind: TargetKind;
  readonly version: string;
  readonly publicUrl: string;
  readonly services: Partial<Record<ServiceName, string>>;
  readonly capabilities: ReadonlySet<Capability>;

  constructor(
    readonly deployment: StartedDeployment,
    readonly endpoints: Endpoints,
    readonly admin: AdminCredentials,
    /** PEM bundle to trust for the public URL, when it uses a private CA. */
    readonly caBundle: string | undefined,
    readonly browserPath: string | undefined,
    /** Where each service's metrics are scraped (service ports, or given for a url target). */
    readonly metricsUrls: Partial<Record<ServiceName, string>>,
  ) {
    this.kind = deployment.kind;
    this.version = endpoints.version;
    this.publicUrl = endpoints.public.replace(/\/+$/, '');
    this.capabilities = deployment.capabilities;
    this.services = deployment.capabilities.has('service-ports')
      ? Object.fromEntries(SERVICE_NAMES.map((s) => [s, endpoints[s].replace(/\/+$/, '')]))
      : {};
  }

  static async of(
    deployment: StartedDeployment,
    opts: {
      admin?: AdminCredentials;
      browserPath?: string;
      metricsUrls?: Partial<Record<ServiceName, string>>;
    } = {},
  ): Promise<TargetUnderTest> {
    const endpoints = await deployment.endpoints();
    const caBundle = endpoints.tls?.caFile ? await readFile(endpoints.tls.caFile, 'utf8') : undefined;
    let admin = opts.admin ?? {};
    if (!admin.password && !admin.token && endpoints.admin.passwordFile) {
      const password = (await readFile(endpoints.admin.passwordFile, 'utf8').catch(() => '')).trim();
      if (password) admin = { ...admin, email: admin.email ?? endpoints.admin.email, password };
    }
    const metricsUrls =
      opts.metricsUrls ??
      (deployment.capabilities.has('service-ports')
        ? Object.fromEntries(SERVICE_NAMES.map((s) => [s, `${endpoints[s].replace(/\/+$/, '')}/metrics`]))
        : {});
    return new TargetUnderTest(deployment, endpoints, admin, caBundle, opts.browserPath, metricsUrls);
  }

  get https(): boolean {
    return this.publicUrl.startsWith('https:');
  }

  /** An absolute URL on the public address. */
  url(path: string): string {
    return `${this.publicUrl}${path.startsWith('/') ? '' : '/'}${path}`;
  }

  has(need: Need): boolean {
    switch (need) {
      case 'browser':
        return this.browserPath !== undefined;
      case 'tls':
        return this.https;
      case 'admin-credentials':
        return Boolean(this.admin.token || (this.admin.email && this.admin.password));
      default:
        return this.capabilities.has(need);
    }
  }

  /** Why a scenario needing `need` is skipped here. */
  missingReason(need: Need): string {
    if (need === 'tls') return `needs ${NEED_TEXT[need]}; this target's public URL is ${this.publicUrl}`;
    if (need === 'browser' || need === 'admin-credentials') return `needs ${NEED_TEXT[need]}`;
    return `needs ${NEED_TEXT[need]}, which the ${this.kind} target cannot give`;
  }

  private require(c: Capability): void {
    if (!this.capabilities.has(c)) throw new CapabilityMissingError(c, this.kind);
  }

  exec(argv: string[]): Promise<ExecResult> {
    this.require('operator-exec');
    return this.deployment.exec(argv);
  }

  stopComponent(c: Component): Promise<void> {
    this.require('component-control');
    return this.deployment.stopComponent(c);
  }

  startComponent(c: Component): Promise<void> {
    this.require('component-control');
    return this.deployment.startComponent(c);
  }

  async logTail(component: string, lines = 40): Promise<string[]> {
    if (!this.capabilities.has('logs') || !this.deployment.logTail) return [];
    return this.deployment.logTail(component, lines);
  }

  async secretValues(): Promise<NamedSecret[]> {
    if (!this.capabilities.has('secrets') || !this.deployment.secretValues) return [];
    return this.deployment.secretValues();
  }
}
