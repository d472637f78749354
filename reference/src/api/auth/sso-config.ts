// Single sign-on configuration: the seed's `auth:` block (CP-02 §6), read from
// AUTH_CONFIG_FILE (YAML or JSON), or the seed's OAUTH_* variables as a one-provider
// shortcut. Validated with zod; an error names the file and the exact path
// (e.g. `auth.oauth[1].issuer: must be an http(s) URL`).
//
// Beyond the seed's fields (all optional): `name` (the provider's id in URLs, default its
// `provider`), `label` (button text), `clientSecretFile`, `hostedDomain` for Google;
// for SAML `idpIssuer` (the IdP's entity id, checked when set), `idpLogoutUrl` (the IdP's
// single-logout endpoint; the seed's `logoutUrl` is our own logout endpoint),
// `acceptedClockSkewMs` (default 60000), `identifierFormat`, `signatureAlgorithm`.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Config } from '../../common/config.js';
import { ConfigError } from '../../common/config.js';
import { ROLES } from './principal.js';

const httpUrl = z.string().refine((v) => {
  try {
    return ['http:', 'https:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}, 'must be an http(s) URL');

const role = z.enum(ROLES, { message: 'must be admin, editor or viewer' });
const roleMapping = z
  .record(z.string(), role)
  .default({})
  .transform((m) => ({
    default: m.default ?? ('viewer' as const),
    groups: Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'default')),
  }));

const NAME = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1-32 lowercase letters, digits or "-"');

export const PROVIDER_KINDS = ['azure', 'okta', 'google', 'generic'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

const LABELS: Record<ProviderKind, string> = {
  azure: 'Microsoft Entra ID',
  okta: 'Okta',
  google: 'Google Workspace',
  generic: 'single sign-on',
};

const DEFAULT_SCOPES: Record<ProviderKind, string[]> = {
  azure: ['openid', 'profile', 'email'],
  okta: ['openid', 'profile', 'email', 'groups'],
  google: ['openid', 'profile', 'email'],
  generic: ['openid', 'profile', 'email'],
};

const DEFAULT_MAPPING: Record<ProviderKind, { id: string; email: string; name: string; groups?: string }> = {
  azure: { id: 'oid', email: 'email', name: 'name', groups: 'groups' },
  okta: { id: 'sub', email: 'email', name: 'name', groups: 'groups' },
  google: { id: 'sub', email: 'email', name: 'name' },
  generic: { id: 'sub', email: 'email', name: 'name', groups: 'groups' },
};

const oauthProvider = z
  .object({
    enabled: z.boolean().default(true),
    name: NAME.optional(),
    label: z.string().min(1).max(60).optional(),
    provider: z
      .enum(PROVIDER_KINDS, { message: 'must be azure, okta, google or generic' })
      .default('generic'),
    issuer: httpUrl,
    clientId: z.string().min(1, 'is required'),
    clientSecret: z.string().min(1).optional(),
    clientSecretFile: z.string().min(1).optional(),
    callbackUrl: httpUrl,
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a scope token')).optional(),
    hostedDomain: z
      .string()
      .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a domain such as customer.com')
      .optional(),
    attributeMapping: z
      .object({
        id: z.string().min(1),
        email: z.string().min(1),
        name: z.string().min(1),
        groups: z.string().min(1),
      })
      .partial()
      .default({}),
    roleMapping,
  })
  .refine((p) => p.clientSecret || p.clientSecretFile, {
    message: 'clientSecret or clientSecretFile is required',
    path: ['clientSecret'],
  })
  .transform((p) => ({
    ...p,
    name: p.name ?? p.provider,
    label: p.label ?? LABELS[p.provider],
    scopes: p.scopes ?? DEFAULT_SCOPES[p.provider],
    attributeMapping: { ...DEFAULT_MAPPING[p.provider], ...p.attributeMapping },
  }));

const samlProvider = z
  .object({
    enabled: z.boolean().default(true),
    name: NAME.default('saml'),
    label: z.string().min(1).max(60).default('SAML single sign-on'),
    entryPoint: httpUrl,
    issuer: z.string().min(1, 'is required (our SP entity id)'),
    idpIssuer: z.string().min(1).optional(),
    cert: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    callbackUrl: httpUrl,
    logoutUrl: httpUrl.optional(),
    idpLogoutUrl: httpUrl.optional(),
    acceptedClockSkewMs: z.number().int().min(0).max(600_000).default(60_000),
    identifierFormat: z.string().min(1).optional(),
    signatureAlgorithm: z.enum(['sha256', 'sha512']).default('sha256'),
    attributeMapping: z
      .object({
        id: z.string().min(1),
        email: z.string().min(1),
        name: z.string().min(1),
        groups: z.string().min(1),
      })
      .partial()
      .default({}),
    roleMapping,
  })
  .transform((p) => ({
    ...p,
    attributeMapping: {
      id: p.attributeMapping.id ?? 'urn:oid:0.9.2342.19200300.100.1.1',
      email: p.attributeMapping.email ?? 'urn:oid:0.9.2342.19200300.100.1.3',
      name: p.attributeMapping.name ?? 'urn:oid:2.5.4.3',
      groups: p.attributeMapping.groups ?? 'urn:oid:1.3.6.1.4.1.5923.1.5.1.1',
    },
  }));

// `oauth` may be one provider or a list; a disabled `saml: { enabled: false }` is no SAML
const authBlock = z.object({
  local: z.object({ enabled: z.boolean().default(true) }).default({ enabled: true }),
  oauth: z.preprocess(
    (v) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]),
    z.array(oauthProvider),
  ),
  saml: z.preprocess(
    (v) => (v && typeof v === 'object' && (v as { enabled?: unknown }).enabled === false ? undefined : v),
    samlProvider.optional(),
  ),
});

export type OidcProviderConfig = z.output<typeof oauthProvider> & { clientSecret: string };
export type SamlProviderConfig = z.output<typeof samlProvider>;

export interface SsoConfig {
  localEnabled: boolean;
  oidc: OidcProviderConfig[];
  saml?: SamlProviderConfig;
  source: string;
}

function formatIssues(err: z.ZodError, root: string, singleOauth: boolean): string {
  return err.issues
    .slice(0, 5)
    .map((i) => {
      // a single `oauth:` object was checked as a list of one: report its own path
      const segs =
        singleOauth && i.path[0] === 'oauth' && i.path[1] === 0 ? ['oauth', ...i.path.slice(2)] : i.path;
      const path = [root, ...segs].reduce<string>(
        (acc, seg) =>
          typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg),
        '',
      );
      return `${path}: ${i.message}`;
    })
    .join('; ');
}

/** Parse an `auth:` block (or a document holding one). Throws Error naming the path. */
export function parseSsoConfig(doc: unknown, source: string): SsoConfig {
  const hasRoot = !!doc && typeof doc === 'object' && 'auth' in (doc as object);
  const block = hasRoot ? (doc as { auth: unknown }).auth : doc;
  const parsed = authBlock.safeParse(block ?? {});
  const singleOauth =
    !!block && typeof block === 'object' && !Array.isArray((block as { oauth?: unknown }).oauth);
  if (!parsed.success) throw new Error(`${source}: ${formatIssues(parsed.error, 'auth', singleOauth)}`);
  const a = parsed.data;
  const oidc = a.oauth.filter((p) => p.enabled) as (z.output<typeof oauthProvider> & {
    clientSecret?: string;
  })[];
  const resolved: OidcProviderConfig[] = oidc.map((p, i) => {
    let secret = p.clientSecret;
    if (!secret && p.clientSecretFile) {
      try {
        secret = readFileSync(p.clientSecretFile, 'utf8').trim();
      } catch (err) {
        throw new Error(
          `${source}: auth.oauth[${i}].clientSecretFile: cannot read ${p.clientSecretFile} (${(err as NodeJS.ErrnoException).code})`,
        );
      }
    }
    return { ...p, clientSecret: secret! };
  });
  resolved.forEach((p, i) => {
    const u = new URL(p.issuer);
    if (u.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname))
      throw new Error(
        `${source}: auth.oauth[${i}].issuer: must use https (http only for loopback test providers)`,
      );
  });
  const names = new Set<string>();
  for (const p of resolved) {
    if (names.has(p.name))
      throw new Error(`${source}: auth.oauth: two providers are named ${p.name}; give each a distinct name`);
    names.add(p.name);
  }
  const saml =
    a.saml && 'entryPoint' in a.saml && a.saml.enabled ? (a.saml as SamlProviderConfig) : undefined;
  if (saml && names.has(saml.name))
    throw new Error(`${source}: auth.saml.name ${saml.name} is also an OIDC provider's name`);
  return { localEnabled: a.local.enabled, oidc: resolved, saml, source };
}

/** The deployment's SSO configuration from AUTH_CONFIG_FILE, else the OAUTH_* variables. */
export function loadSsoConfig(config: Config): SsoConfig {
  if (config.AUTH_CONFIG_FILE) {
    const file = config.AUTH_CONFIG_FILE;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(
        'AUTH_CONFIG_FILE',
        `cannot read ${file} (${(err as NodeJS.ErrnoException).code})`,
      );
    }
    let doc: unknown;
    try {
      doc = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
    } catch (err) {
      throw new ConfigError(
        'AUTH_CONFIG_FILE',
        `${file} is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
      );
    }
    try {
      return parseSsoConfig(doc, file);
    } catch (err) {
      throw new ConfigError('AUTH_CONFIG_FILE', (err as Error).message);
    }
  }
  if (config.OAUTH_ENABLED) {
    const missing = (
      ['OAUTH_ISSUER', 'OAUTH_CLIENT_ID', 'OAUTH_CLIENT_SECRET', 'OAUTH_CALLBACK_URL'] as const
    ).filter((k) => !config[k]);
    if (missing.length) throw new ConfigError(missing[0]!, 'is required when OAUTH_ENABLED=true');
    try {
      return parseSsoConfig(
        {
          oauth: {
            provider: config.OAUTH_PROVIDER ?? 'generic',
            issuer: config.OAUTH_ISSUER,
            clientId: config.OAUTH_CLIENT_ID,
            clientSecret: config.OAUTH_CLIENT_SECRET,
            callbackUrl: config.OAUTH_CALLBACK_URL,
          },
        },
        'OAUTH_* variables',
      );
    } catch (err) {
      throw new ConfigError('OAUTH_ISSUER', (err as Error).message);
    }
  }
  return { localEnabled: true, oidc: [], source: 'none' };
}
