// Configuration comes only from the seed's environment variables (CP-02 §4.3),
// declared once here with a description, default, and which services require it.
// The README's configuration table is generated from this list (npm run docs:config).
import { isIP } from 'node:net';
import { z } from 'zod';

export const SERVICES = ['gateway', 'api', 'ca', 'web'] as const;
export type ServiceName = (typeof SERVICES)[number];

interface VariableSpec {
  description: string;
  /** Services that cannot start without it. A variable with a default is never "missing". */
  requiredBy?: readonly ServiceName[];
  default?: string;
  /** Secret values are never printed, not even in error messages. */
  secret?: boolean;
  schema: z.ZodType;
}

const DATA_SERVICES = ['gateway', 'api', 'ca'] as const;

// A value copied from a .env line with a trailing comment ("86400000  # 24 hours") must be
// refused rather than silently becoming NaN (seed-review row 2).
const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number with nothing else on the line (is there a trailing comment?)')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const port = integer(1, 65535);

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  );

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

// TRUST_PROXY: keywords or IPv4/IPv6 addresses with an optional /prefix
const PROXY_KEYWORDS = ['loopback', 'linklocal', 'uniquelocal', 'none'];
const trustProxyList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .refine(
    (items) =>
      items.length > 0 &&
      items.every((item) => {
        if (PROXY_KEYWORDS.includes(item)) return true;
        const [addr, bits, extra] = item.split('/');
        const family = isIP(addr ?? '');
        if (!family || extra !== undefined) return false;
        if (bits === undefined) return true;
        return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
      }),
    'must be a comma-separated list of CIDRs, addresses, loopback, linklocal, uniquelocal or none',
  );

const secret256 = z.string().min(32, 'must be at least 32 characters (256 bits)');

export const VARIABLES = {
  NODE_ENV: {
    description: 'development | production | test. Production hides GraphQL introspection and stack traces.',
    default: 'production',
    schema: z.enum(['development', 'production', 'test'], {
      message: 'must be development, production or test',
    }),
  },
  LOG_LEVEL: {
    description: 'Minimum log level of the JSON logs.',
    default: 'info',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'must be one of fatal, error, warn, info, debug, trace, silent',
    }),
  },
  AIGOS_VERSION: {
    description: 'Version reported by /health and the metrics; set by the image or the deployment.',
    default: '0.1.0',
    schema: z.string().regex(/^[0-9A-Za-z.+-]+$/, 'must be a version such as 1.0.0'),
  },
  BIND_HOST: {
    description: 'Address the services listen on. 127.0.0.1 by default; containers set 0.0.0.0.',
    default: '127.0.0.1',
    schema: z.string().min(1),
  },
  GATEWAY_PORT: { description: 'API gateway port.', default: '3000', schema: port },
  WEB_PORT: { description: 'Web dashboard port.', default: '3001', schema: port },
  API_PORT: { description: 'API server port.', default: '3002', schema: port },
  CA_PORT: { description: 'CA service port.', default: '3003', schema: port },
  API_UPSTREAM_URL: {
    description: 'Where the gateway reaches the API server.',
    default: 'http://127.0.0.1:3002',
    schema: url(['http:', 'https:']),
  },
  CA_UPSTREAM_URL: {
    description: 'Where the gateway reaches the CA service.',
    default: 'http://127.0.0.1:3003',
    schema: url(['http:', 'https:']),
  },
  WEB_UPSTREAM_URL: {
    description: 'Where the gateway reaches the web dashboard.',
    default: 'http://127.0.0.1:3001',
    schema: url(['http:', 'https:']),
  },
  PUBLIC_URL: {
    description: 'URL users open (CORS, links, Secure cookies when https).',
    default: 'http://localhost:3000',
    schema: url(['http:', 'https:']),
  },
  API_URL: { description: 'Public API base URL given to clients.', schema: url(['http:', 'https:']) },
  WS_URL: { description: 'Public WebSocket URL given to the dashboard.', schema: url(['ws:', 'wss:']) },
  CORS_ORIGINS: {
    description:
      'Comma-separated origins, besides PUBLIC_URL, allowed to call the API, GraphQL, /auth and the WebSocket from a browser (CORS and the WebSocket origin check).',
    default: 'https://localhost',
    schema: z.string(),
  },
  DATABASE_URL: {
    description: 'PostgreSQL connection URL of the application role.',
    requiredBy: DATA_SERVICES,
    secret: true,
    schema: url(['postgres:', 'postgresql:']),
  },
  DB_POOL_MAX: { description: 'PostgreSQL pool size per process.', default: '10', schema: integer(1, 500) },
  DB_POOL_MIN: {
    description:
      'PostgreSQL connections a service opens when it starts and keeps open, so that a burst of requests does not wait for new connections to be set up. At most DB_POOL_MAX (the default follows a smaller DB_POOL_MAX).',
    default: '4',
    schema: integer(0, 500),
  },
  REDIS_URL: {
    description: 'Redis URL (redis://:password@host:port).',
    requiredBy: DATA_SERVICES,
    secret: true,
    schema: url(['redis:', 'rediss:']),
  },
  S3_ENDPOINT: {
    description: 'S3-compatible endpoint (MinIO), e.g. http://minio:9000.',
    requiredBy: DATA_SERVICES,
    schema: url(['http:', 'https:']),
  },
  S3_ACCESS_KEY: {
    description: 'Object storage access key.',
    requiredBy: DATA_SERVICES,
    secret: true,
    schema: z.string().min(3),
  },
  S3_SECRET_KEY: {
    description: 'Object storage secret key.',
    requiredBy: DATA_SERVICES,
    secret: true,
    schema: z.string().min(8),
  },
  S3_BUCKET: {
    description: 'Bucket for evidence, reports and backups (created if missing).',
    default: 'aigos-data',
    schema: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name'),
  },
  S3_REGION: { description: 'Object storage region.', default: 'us-east-1', schema: z.string().min(1) },
  JWT_SECRET: {
    description: 'Secret for signing tokens (256-bit minimum).',
    requiredBy: ['gateway', 'api'],
    secret: true,
    schema: secret256,
  },
  SESSION_SECRET: {
    description: 'Secret for session cookies (256-bit minimum).',
    requiredBy: ['gateway', 'api'],
    secret: true,
    schema: secret256,
  },
  SESSION_MAX_AGE: {
    description: 'Session lifetime in milliseconds (24 h by default).',
    default: '86400000',
    schema: integer(60_000, 31 * 24 * 3600 * 1000),
  },
  OAUTH_ENABLED: { description: 'Enable OIDC single sign-on.', default: 'false', schema: bool },
  OAUTH_ISSUER: { description: 'OIDC issuer URL.', schema: url(['http:', 'https:']) },
  OAUTH_CLIENT_ID: { description: 'OIDC client id.', schema: z.string().min(1) },
  OAUTH_CLIENT_SECRET: { description: 'OIDC client secret.', secret: true, schema: z.string().min(1) },
  OAUTH_CALLBACK_URL: {
    description: 'OIDC redirect URI registered at the IdP.',
    schema: url(['http:', 'https:']),
  },
  OAUTH_PROVIDER: {
    description:
      'Shape of the OAUTH_* provider: azure, okta, google or generic (claims and checks differ). Group-to-role mapping needs AUTH_CONFIG_FILE.',
    default: 'generic',
    schema: z.enum(['azure', 'okta', 'google', 'generic'], {
      message: 'must be azure, okta, google or generic',
    }),
  },
  AUTH_CONFIG_FILE: {
    description:
      "YAML or JSON file with the seed's `auth:` block (auth.oauth: one provider or a list; auth.saml). Overrides the OAUTH_* shortcut.",
    schema: z.string().min(1),
  },
  TRUST_PROXY: {
    description:
      'Comma-separated proxies whose X-Forwarded-For is believed when resolving the client address (rate limits, lockout, audit): CIDRs, addresses, loopback, linklocal, uniquelocal, or none.',
    default: 'loopback',
    schema: trustProxyList,
  },
  ACCESS_TOKEN_TTL_SECONDS: {
    description: 'Lifetime of the ES256 access tokens (JWT) issued from a session at POST /auth/token.',
    default: '900',
    schema: integer(60, 86_400),
  },
  JWT_KEY_ROTATION_HOURS: {
    description:
      'Age after which the api rotates the token signing key (the previous key verifies until its tokens expire). 0 rotates only on demand.',
    default: '720',
    schema: integer(0, 87_600),
  },
  AUTH_RATE_LIMIT_RPS: {
    description:
      "Requests per second each client address may make to /auth/* (the seed's 10 r/s). 0 disables.",
    default: '10',
    schema: integer(0, 100_000),
  },
  AUTH_RATE_LIMIT_BURST: {
    description: "Requests above AUTH_RATE_LIMIT_RPS accepted at once before 429 (the seed's burst 5).",
    default: '5',
    schema: integer(0, 100_000),
  },
  AUTH_LOCKOUT_THRESHOLD: {
    description:
      'Failed logins of one account within AUTH_LOCKOUT_SECONDS that lock it for AUTH_LOCKOUT_SECONDS (from the 3rd failure each attempt is slowed). A source address is blocked after 5x as many.',
    default: '10',
    schema: integer(2, 1_000),
  },
  AUTH_LOCKOUT_SECONDS: {
    description: 'Failure-counting window and lock duration of AUTH_LOCKOUT_THRESHOLD.',
    default: '900',
    schema: integer(1, 86_400),
  },
  CA_ISSUER_NAME: {
    description: 'Common name of the issuing CA.',
    default: 'AIGOS CA',
    schema: z.string().min(1),
  },
  CA_VALIDITY_DAYS: {
    description: 'Validity of issued CGA certificates in days.',
    default: '365',
    schema: integer(1, 3650),
  },
  CA_ROOT_KEY_PATH: {
    description:
      'Path of the CA root key (PEM). Only `aigos-admin secrets generate` uses it (to issue the issuing CA); the CA service never reads it, so it can be kept offline.',
    schema: z.string().min(1),
  },
  CA_ROOT_CERT_PATH: {
    description:
      'Path of the CA root certificate (PEM). Set together with SIGNING_KEY_PATH to enable issuance; without both the CA service starts but answers 503 CA_NOT_CONFIGURED.',
    schema: z.string().min(1),
  },
  SIGNING_KEY_PATH: {
    description:
      'Path of the ECDSA P-256 signing key (PEM): the issuing CA key the CA service signs certificates and CRLs with.',
    schema: z.string().min(1),
  },
  CA_ISSUING_CERT_PATH: {
    description:
      'Path of the issuing CA certificate (PEM) for SIGNING_KEY_PATH, signed by the root. Defaults to signing.crt beside SIGNING_KEY_PATH.',
    schema: z.string().min(1),
  },
  CA_OCSP_CERT_PATH: {
    description:
      'Path of the delegated OCSP responder certificate (PEM), signed by the issuing CA. Defaults to ocsp.crt beside SIGNING_KEY_PATH.',
    schema: z.string().min(1),
  },
  CA_OCSP_KEY_PATH: {
    description: 'Path of the OCSP responder key (PEM). Defaults to ocsp.key beside SIGNING_KEY_PATH.',
    schema: z.string().min(1),
  },
  CA_PUBLIC_URL: {
    description:
      'Base URL relying parties reach the CA at; the OCSP, CRL and issuer URLs written into certificates live under it. Defaults to PUBLIC_URL + /ca (through the gateway).',
    schema: url(['http:', 'https:']),
  },
  CA_COMPLIANCE_THRESHOLD: {
    description: 'Lowest compliance score (0-100) an asset needs to be certified (the seed alerts below 70).',
    default: '70',
    schema: integer(0, 100),
  },
  WEB_ROOT: {
    description: 'Directory of the built dashboard served by the web service (defaults to the packaged one).',
    schema: z.string().min(1),
  },
  SHUTDOWN_TIMEOUT_MS: {
    description: 'How long SIGTERM waits for in-flight requests before closing connections.',
    default: '8000',
    schema: integer(0, 60_000),
  },
  EVIDENCE_MAX_BYTES: {
    description: 'Largest evidence file the api accepts, in bytes (25 MiB by default).',
    default: '26214400',
    schema: integer(1_024, 1_073_741_824),
  },
  RATE_LIMIT_WINDOW_MS: {
    description: 'Sliding window of the API rate limits, per API key (or user) and route, in milliseconds.',
    default: '60000',
    schema: integer(1_000, 3_600_000),
  },
  RATE_LIMIT_EVENTS_PUSH: {
    description:
      'Requests per window on POST /v1/events (critical events are never limited there). 0 disables.',
    default: '6000',
    schema: integer(0, 10_000_000),
  },
  RATE_LIMIT_EVENTS_BATCH: {
    description: 'Requests per window on POST /v1/events/batch (up to 1000 events each). 0 disables.',
    default: '600',
    schema: integer(0, 10_000_000),
  },
  RATE_LIMIT_EVENTS_READ: {
    description: 'Requests per window on each read route of the events API. 0 disables.',
    default: '6000',
    schema: integer(0, 10_000_000),
  },
  INTEGRITY_CHECKPOINT_INTERVAL_MS: {
    description:
      'How often the api computes a Merkle checkpoint over newly received events of each organization. 0 disables the timer (on demand still works).',
    default: '3600000',
    schema: integer(0, 7 * 24 * 3600 * 1000),
  },
  WS_HEARTBEAT_MS: {
    description: 'WebSocket ping interval; a client that misses one pong is disconnected.',
    default: '30000',
    schema: integer(1_000, 600_000),
  },
  WS_MAX_BUFFERED_BYTES: {
    description:
      'Bytes queued for one WebSocket client before it is dropped as a slow consumer (close code 4008).',
    default: '1048576',
    schema: integer(1_024, 1_073_741_824),
  },
  GRAPHQL_MAX_DEPTH: {
    description: 'Deepest selection nesting a GraphQL operation may have.',
    default: '8',
    schema: integer(1, 100),
  },
  GRAPHQL_MAX_COST: {
    description:
      'Largest estimated cost of a GraphQL operation (one per field, list fields times their limit).',
    default: '5000',
    schema: integer(1, 10_000_000),
  },
  SMTP_HOST: { description: 'SMTP server for notifications (optional).', schema: z.string().min(1) },
  SMTP_PORT: { description: 'SMTP port.', default: '587', schema: port },
  SMTP_USER: { description: 'SMTP user.', schema: z.string().min(1) },
  SMTP_PASSWORD: { description: 'SMTP password.', secret: true, schema: z.string().min(1) },
  SMTP_FROM: { description: 'Sender address of notifications.', schema: z.string().min(1) },
} satisfies Record<string, VariableSpec>;

export type VariableName = keyof typeof VARIABLES;

type Parsed<K extends VariableName> = z.output<(typeof VARIABLES)[K]['schema']>;
export type Config = { [K in VariableName]: Parsed<K> | undefined } & { service: ServiceName };

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`configuration error: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validate the environment for one service. Throws ConfigError naming the first bad
 * variable; the message never contains a secret value.
 */
export function loadConfig(service: ServiceName, env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = { service };
  for (const [name, spec] of Object.entries(VARIABLES) as [VariableName, VariableSpec][]) {
    const raw = env[name];
    const value = raw === undefined || raw === '' ? spec.default : raw;
    if (value === undefined) {
      if (spec.requiredBy?.includes(service)) {
        throw new ConfigError(
          name,
          `is required by the ${service} service but is not set (${spec.description})`,
        );
      }
      out[name] = undefined;
      continue;
    }
    const result = spec.schema.safeParse(value);
    if (!result.success) {
      const problem = result.error.issues[0]?.message ?? 'is invalid';
      const shown = spec.secret
        ? ''
        : ` (got ${JSON.stringify(value.length > 60 ? value.slice(0, 60) + '…' : value)})`;
      throw new ConfigError(name, `${problem}${shown}`);
    }
    out[name] = result.data;
  }
  // the default minimum follows a smaller DB_POOL_MAX; a minimum set above it is a mistake
  const pool = out as { DB_POOL_MIN: number; DB_POOL_MAX: number };
  if (pool.DB_POOL_MIN > pool.DB_POOL_MAX) {
    if (env.DB_POOL_MIN === undefined || env.DB_POOL_MIN === '') pool.DB_POOL_MIN = pool.DB_POOL_MAX;
    else
      throw new ConfigError(
        'DB_POOL_MIN',
        `must be at most DB_POOL_MAX (${pool.DB_POOL_MAX}) (got ${JSON.stringify(env.DB_POOL_MIN)})`,
      );
  }
  return out as Config;
}

/** Narrow an optional config value that the service's `requiredBy` guarantees. */
export function required<K extends VariableName>(config: Config, name: K): NonNullable<Config[K]> {
  const value = config[name];
  if (value === undefined || value === null) throw new ConfigError(name, 'is required but is not set');
  return value as NonNullable<Config[K]>;
}
