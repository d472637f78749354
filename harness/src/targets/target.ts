// What every target offers the runner (architecture.md, "The harness"). A target is
// created unstarted; `up` (or `attach`) yields a started deployment whose endpoints,
// version and operator access can then be read. Scenarios never learn which target
// they run on; targets never learn which scenarios exist: a deployment only declares
// what it can give (its capabilities) and scenarios that need more are skipped.

export type TargetKind = 'local' | 'compose' | 'kind' | 'url';
export const TARGET_KINDS: readonly TargetKind[] = ['local', 'compose', 'kind', 'url'];

/** The endpoints object of contracts.md §1, written to <state>/endpoints.json. */
export interface Endpoints {
  target: TargetKind;
  version: string;
  public: string;
  gateway: string;
  web: string;
  api: string;
  ca: string;
  database: { url: string };
  redis: { url: string };
  storage: { endpoint: string; bucket: string };
  admin: { email: string; passwordFile: string };
  idps?: Record<string, { issuer?: string; metadataUrl?: string }>;
  /** Additive: when `public` is https with a private CA, the CA bundle (PEM) that clients must trust. */
  tls?: { caFile: string };
}

/** Components a fault scenario may stop and start. `nginx` exists only when the target runs a proxy. */
export type Component = 'postgres' | 'redis' | 's3' | 'api' | 'ca' | 'web' | 'gateway' | 'nginx';
/** The components every local deployment has (the proxy is optional). */
export const COMPONENTS: readonly Component[] = ['postgres', 'redis', 's3', 'api', 'ca', 'web', 'gateway'];
export const ALL_COMPONENTS: readonly Component[] = [...COMPONENTS, 'nginx'];

/**
 * What a started deployment can give the scenarios beyond its public URL:
 * - operator-exec: run `aigos-admin ...` with the deployment's configuration
 * - component-control: stop/start one component (fault scenarios)
 * - service-ports: each service's own URL (gateway, api, ca, web) is reachable
 * - logs: excerpts of each component's log
 * - secrets: the deployment's secret values (to prove none leaks)
 * - database: the application role's connection URL
 */
export type Capability =
  'operator-exec' | 'component-control' | 'service-ports' | 'logs' | 'secrets' | 'database';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface NamedSecret {
  name: string;
  value: string;
}

export class CapabilityMissingError extends Error {
  constructor(
    readonly capability: Capability,
    readonly kind: TargetKind,
  ) {
    super(`the ${kind} target cannot give ${capability}`);
    this.name = 'CapabilityMissingError';
  }
}

export interface StartedDeployment {
  readonly kind: TargetKind;
  readonly capabilities: ReadonlySet<Capability>;
  endpoints(): Promise<Endpoints>;
  version(): Promise<string>;
  /** Run an operator command (e.g. `aigos-admin db:migrate`) with the deployment's configuration. */
  exec(argv: string[], opts?: { inherit?: boolean }): Promise<ExecResult>;
  stopComponent(component: Component): Promise<void>;
  startComponent(component: Component): Promise<void>;
  /** The last lines of one component's log (capability `logs`). */
  logTail?(component: string, lines: number): Promise<string[]>;
  /** The deployment's secret values (capability `secrets`). */
  secretValues?(): Promise<NamedSecret[]>;
  /** Stop everything; remove state unless keep. */
  down(opts?: { keep?: boolean; say?: (line: string) => void }): Promise<void>;
}

export interface UpOptions {
  foreground?: boolean;
  onProgress?: (line: string) => void;
  /** Put the repository's nginx (TLS, rate limits, security headers) in front. */
  proxy?: boolean;
  /**
   * Deliberate setup gaps, for training labs and for proving that the acceptance suites
   * catch them: leave the built-in policy packs out, or seed the first admin with the
   * seed's documented default password (which must then be changed at first login).
   */
  withoutDefaultPacks?: boolean;
  seedDefaultAdminPassword?: boolean;
  /**
   * Start the kit's test identity providers (OIDC in the Entra ID, Okta and Google shapes,
   * SAML 2.0, and one that claims a mismatched issuer) and configure the api's single
   * sign-on for them; they are named in endpoints.json `idps`.
   */
  testIdps?: boolean;
  /**
   * A deliberate gap: the api gets a wrong client secret for the Entra ID-like test IdP
   * (implies testIdps), so its sign-ins fail at the code exchange.
   */
  wrongOidcClientSecret?: boolean;
}

export interface Target {
  readonly kind: TargetKind;
  up(opts?: UpOptions): Promise<StartedDeployment>;
  /** A deployment that is already running (started earlier by `up`), or undefined. */
  attach(): Promise<StartedDeployment | undefined>;
}
