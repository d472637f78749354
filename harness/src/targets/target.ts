// What every target offers the runner (architecture.md, "The harness"). A target is
// created unstarted; `up` (or `attach`) yields a started deployment whose endpoints,
// version and operator access can then be read. Scenarios never learn which target
// they run on; targets never learn which scenarios exist.

export type TargetKind = 'local' | 'compose' | 'kind' | 'url';

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
}

/** Components a fault scenario may stop and start. */
export type Component = 'postgres' | 'redis' | 's3' | 'api' | 'ca' | 'web' | 'gateway';
export const COMPONENTS: readonly Component[] = ['postgres', 'redis', 's3', 'api', 'ca', 'web', 'gateway'];

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface StartedDeployment {
  readonly kind: TargetKind;
  endpoints(): Promise<Endpoints>;
  version(): Promise<string>;
  /** Run an operator command (e.g. `aigos-admin db:migrate`) with the deployment's configuration. */
  exec(argv: string[], opts?: { inherit?: boolean }): Promise<ExecResult>;
  stopComponent(component: Component): Promise<void>;
  startComponent(component: Component): Promise<void>;
  /** Stop everything; remove state unless keep. */
  down(opts?: { keep?: boolean }): Promise<void>;
}

export interface Target {
  readonly kind: TargetKind;
  up(opts?: { foreground?: boolean; onProgress?: (line: string) => void }): Promise<StartedDeployment>;
  /** A deployment that is already running (started earlier by `up`), or undefined. */
  attach(): Promise<StartedDeployment | undefined>;
}
