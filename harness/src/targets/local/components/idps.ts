// The kit's test identity providers as components of the local target (architecture.md,
// "Embedded default": "... the four services, and the test IdPs"). Each runs as its own
// process (harness/src/drivers/idp/main.ts) on a free 127.0.0.1 port:
//
//   entra     OIDC, Entra ID shape     (fixtures/idp/entra.yaml)
//   okta      OIDC, Okta shape         (fixtures/idp/okta.yaml)
//   google    OIDC, Google shape       (fixtures/idp/google.yaml)
//   saml      SAML 2.0                 (fixtures/idp/saml.yaml)
//   mismatch  the Okta fixture claiming another issuer (http://localhost:<port>) than the
//             one the api is configured with (http://127.0.0.1:<port>): a deliberately
//             misconfigured provider, so the issuer-mismatch refusal can be seen
//
// The api gets an AUTH_CONFIG_FILE in the seed's section-6 shapes (<state>/idps/auth.yaml).
// OIDC client secrets are generated once into the state's secrets directory (0600); the
// IdPs read them with --client-secret-file and the api with clientSecretFile, so no
// secret is in a process list, a log or the configuration file. With `wrongClientSecret`
// the api is given another secret for WRONG_SECRET_PROVIDER than its IdP expects (a setup
// gap the sso suite must catch).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { GiveUp, waitFor } from '../../../readiness/wait.js';
import { ManagedProcess } from '../../../util/managed-process.js';
import { IDP_ENTRY, IDP_FIXTURES_DIR } from '../../../util/paths.js';
import { freePort } from '../../../util/ports.js';

export const TEST_IDP_NAMES = ['entra', 'okta', 'google', 'saml', 'mismatch'] as const;
export type TestIdpName = (typeof TEST_IDP_NAMES)[number];

/** The provider whose client secret `wrongClientSecret` spoils. */
export const WRONG_SECRET_PROVIDER: TestIdpName = 'entra';

/** The e-mail domain of the fixtures' users: verified for the seeded organization (SSO just-in-time users). */
export const TEST_IDP_DOMAIN = 'customer.test';

const START_TIMEOUT_MS = 20_000;

export interface IdpsSpec {
  /** <state>/idps: the api's AUTH_CONFIG_FILE lives here */
  dir: string;
  /** <state>/secrets (0700) */
  secretsDir: string;
  /** What users open; the callback and SAML service provider URLs live under it. */
  publicUrl: string;
  logFile(name: string): string;
  wrongClientSecret?: boolean;
}

export interface StartedIdps {
  /** endpoints.json `idps` (contracts §1) */
  endpoints: Record<string, { issuer?: string; metadataUrl?: string }>;
  authConfigFile: string;
  /** Domains to verify for the seeded organization. */
  verifiedDomains: string[];
  processes: Map<TestIdpName, ManagedProcess>;
  stop(): Promise<void>;
}

interface OidcInfo {
  kind: 'oidc';
  issuer: string;
  url: string;
  clients: { clientId: string }[];
}
interface SamlInfo {
  kind: 'saml';
  entityId: string;
  metadataUrl: string;
  ssoUrl: string;
  sloUrl: string;
  certificate: string;
}

/** The secret file of one OIDC client, generated once (never duplicated, never overwritten). */
export function clientSecretFile(secretsDir: string, name: string, variant = ''): string {
  return join(secretsDir, `oidc-${name}-client-secret${variant}`);
}

async function ensureSecret(file: string): Promise<void> {
  if (existsSync(file)) return;
  await writeFile(file, randomBytes(24).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
}

function startOne(
  name: TestIdpName,
  fixture: string,
  args: string[],
  logFile: string,
): { proc: ManagedProcess; info: Promise<OidcInfo | SamlInfo> } {
  const proc = new ManagedProcess({
    name: `idp-${name}`,
    command: process.execPath,
    args: [IDP_ENTRY, '--config', join(IDP_FIXTURES_DIR, `${fixture}.yaml`), '--host', '127.0.0.1', ...args],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    logFile,
  });
  const info = (async () => {
    let found: OidcInfo | SamlInfo | undefined;
    await waitFor(
      `test IdP ${name}`,
      async () => {
        const line = proc.lastLines(50).find((l) => l.startsWith('{"kind"'));
        if (line) {
          found = JSON.parse(line) as OidcInfo | SamlInfo;
          return;
        }
        if (proc.exitInfo) throw new GiveUp(`exited: ${proc.lastLines(5).join(' | ')}`);
        throw new Error('no listening line yet');
      },
      { timeoutMs: START_TIMEOUT_MS, intervalMs: 50 },
    );
    return found!;
  })();
  return { proc, info };
}

/** Start every test IdP and write the api's AUTH_CONFIG_FILE. */
export async function startIdps(spec: IdpsSpec): Promise<StartedIdps> {
  await mkdir(spec.dir, { recursive: true, mode: 0o700 });
  const pub = spec.publicUrl.replace(/\/+$/, '');
  const callbackUrl = `${pub}/auth/callback`;
  const oidcNames = ['entra', 'okta', 'google', 'mismatch'] as const;
  for (const n of oidcNames) await ensureSecret(clientSecretFile(spec.secretsDir, n));
  if (spec.wrongClientSecret)
    await ensureSecret(clientSecretFile(spec.secretsDir, WRONG_SECRET_PROVIDER, '-wrong'));

  const mismatchPort = await freePort();
  const oidcArgs = (n: string) => [
    '--redirect-uri',
    callbackUrl,
    '--client-secret-file',
    clientSecretFile(spec.secretsDir, n),
  ];
  const started = {
    entra: startOne('entra', 'entra', ['--port', '0', ...oidcArgs('entra')], spec.logFile('idp-entra')),
    okta: startOne('okta', 'okta', ['--port', '0', ...oidcArgs('okta')], spec.logFile('idp-okta')),
    google: startOne('google', 'google', ['--port', '0', ...oidcArgs('google')], spec.logFile('idp-google')),
    saml: startOne(
      'saml',
      'saml',
      [
        '--port',
        '0',
        '--sp-entity-id',
        pub,
        '--sp-acs-url',
        `${pub}/auth/saml/callback`,
        '--sp-slo-url',
        `${pub}/auth/saml/logout`,
      ],
      spec.logFile('idp-saml'),
    ),
    // serves on 127.0.0.1 but claims to be http://localhost:<port>
    mismatch: startOne(
      'mismatch',
      'okta',
      [
        '--port',
        String(mismatchPort),
        '--issuer',
        `http://localhost:${mismatchPort}`,
        ...oidcArgs('mismatch'),
      ],
      spec.logFile('idp-mismatch'),
    ),
  };
  const processes = new Map<TestIdpName, ManagedProcess>(
    TEST_IDP_NAMES.map((n) => [n, started[n].proc] as const),
  );
  const stop = async () => {
    await Promise.allSettled([...processes.values()].map((p) => p.stop('SIGTERM', 5_000)));
  };
  try {
    const [entra, okta, google, saml, mismatch] = (await Promise.all(
      TEST_IDP_NAMES.map((n) => started[n].info),
    )) as [OidcInfo, OidcInfo, OidcInfo, SamlInfo, OidcInfo];
    const secretFor = (n: TestIdpName) =>
      clientSecretFile(
        spec.secretsDir,
        n,
        spec.wrongClientSecret && n === WRONG_SECRET_PROVIDER ? '-wrong' : '',
      );
    const mismatchIssuer = `http://127.0.0.1:${mismatchPort}`;
    // the seed's CP-02 §6 blocks, with the test IdPs' addresses and the state's secret files
    const auth = {
      auth: {
        local: { enabled: true },
        oauth: [
          {
            enabled: true,
            name: 'entra',
            label: 'Microsoft Entra ID (test IdP)',
            provider: 'azure',
            issuer: entra.issuer,
            clientId: entra.clients[0]!.clientId,
            clientSecretFile: secretFor('entra'),
            callbackUrl,
            scopes: ['openid', 'profile', 'email', 'offline_access'],
            attributeMapping: { id: 'oid', email: 'email', name: 'name', groups: 'groups' },
            roleMapping: {
              '12345678-1234-1234-1234-123456789012': 'admin',
              '87654321-4321-4321-4321-210987654321': 'editor',
              default: 'viewer',
            },
          },
          {
            enabled: true,
            name: 'okta',
            label: 'Okta (test IdP)',
            provider: 'okta',
            issuer: okta.issuer,
            clientId: okta.clients[0]!.clientId,
            clientSecretFile: secretFor('okta'),
            callbackUrl,
            scopes: ['openid', 'profile', 'email', 'groups'],
            attributeMapping: { id: 'sub', email: 'email', name: 'name', groups: 'groups' },
            roleMapping: { 'AIGOS-Admins': 'admin', 'AIGOS-Editors': 'editor', default: 'viewer' },
          },
          {
            enabled: true,
            name: 'google',
            label: 'Google Workspace (test IdP)',
            provider: 'google',
            issuer: google.issuer,
            clientId: google.clients[0]!.clientId,
            clientSecretFile: secretFor('google'),
            callbackUrl,
            scopes: ['openid', 'profile', 'email'],
            hostedDomain: TEST_IDP_DOMAIN,
            attributeMapping: { id: 'sub', email: 'email', name: 'name' },
          },
          {
            enabled: true,
            name: 'mismatch',
            label: 'Issuer mismatch (misconfigured test IdP)',
            provider: 'okta',
            issuer: mismatchIssuer,
            clientId: mismatch.clients[0]!.clientId,
            clientSecretFile: secretFor('mismatch'),
            callbackUrl,
          },
        ],
        saml: {
          enabled: true,
          label: 'SAML 2.0 (test IdP)',
          entryPoint: saml.ssoUrl,
          issuer: pub,
          idpIssuer: saml.entityId,
          cert: saml.certificate,
          callbackUrl: `${pub}/auth/saml/callback`,
          logoutUrl: `${pub}/auth/saml/logout`,
          idpLogoutUrl: saml.sloUrl,
          attributeMapping: {
            id: 'urn:oid:0.9.2342.19200300.100.1.1',
            email: 'urn:oid:0.9.2342.19200300.100.1.3',
            name: 'urn:oid:2.5.4.3',
            groups: 'urn:oid:1.3.6.1.4.1.5923.1.5.1.1',
          },
          roleMapping: {
            'cn=aigos-admins,ou=groups,dc=customer,dc=com': 'admin',
            'cn=aigos-users,ou=groups,dc=customer,dc=com': 'viewer',
            default: 'viewer',
          },
        },
      },
    };
    const authConfigFile = join(spec.dir, 'auth.yaml');
    await writeFile(
      authConfigFile,
      `# Written by the local target (aigos-harness): the seed's CP-02 §6 blocks for the kit's test IdPs.\n` +
        stringify(auth, { lineWidth: 0 }),
      { mode: 0o600 },
    );
    return {
      endpoints: {
        entra: { issuer: entra.issuer },
        okta: { issuer: okta.issuer },
        google: { issuer: google.issuer },
        saml: { metadataUrl: saml.metadataUrl },
        mismatch: { issuer: mismatchIssuer },
      },
      authConfigFile,
      verifiedDomains: [TEST_IDP_DOMAIN],
      processes,
      stop,
    };
  } catch (err) {
    const failed = [...processes.entries()].find(([, p]) => p.exitInfo);
    await stop();
    throw Object.assign(err as Error, {
      component: failed ? `idp-${failed[0]}` : undefined,
      lastLines: failed ? failed[1].lastLines(20) : undefined,
    });
  }
}

/** The client secret files of a state directory (for the secret scan). */
export async function idpSecretValues(secretsDir: string): Promise<{ name: string; value: string }[]> {
  const out: { name: string; value: string }[] = [];
  for (const n of TEST_IDP_NAMES)
    for (const variant of ['', '-wrong']) {
      const file = clientSecretFile(secretsDir, n, variant);
      const value = (await readFile(file, 'utf8').catch(() => '')).trim();
      if (value) out.push({ name: `oidc-${n}-client-secret${variant}`, value });
    }
  return out;
}
