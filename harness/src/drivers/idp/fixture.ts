// Test identity provider definitions (fixtures/idp/*.yaml): who can sign in, with which
// password, e-mail, groups and protocol-specific attributes. Validated with zod; errors
// name the file and the path.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const oidcUser = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
  email: z.string().min(3),
  name: z.string().min(1),
  /** subject; default: a stable hash of the username */
  sub: z.string().min(1).optional(),
  /** Entra ID object id */
  oid: z.string().min(1).optional(),
  groups: z.array(z.string()).default([]),
  emailVerified: z.boolean().default(true),
  /** Google Workspace hosted domain */
  hd: z.string().optional(),
  /** Entra ID group overage: the token names a Graph source instead of listing groups */
  overage: z.boolean().default(false),
  /** a misbehaving IdP, for negative tests */
  tamper: z
    .object({
      /** put this nonce into the ID token instead of the one the client sent */
      nonce: z.string().optional(),
      /** answer with this user's previous ID token (a replay) */
      replayIdToken: z.boolean().optional(),
    })
    .optional(),
});

export const oidcFixture = z.object({
  kind: z.literal('oidc'),
  name: z.string().regex(/^[a-z0-9-]+$/),
  shape: z.enum(['entra', 'okta', 'google', 'generic']),
  tenantId: z.string().optional(),
  clients: z
    .array(
      z.object({
        clientId: z.string().min(1),
        clientSecret: z.string().min(8),
        redirectUris: z.array(z.string().url()).default([]),
      }),
    )
    .min(1),
  users: z.array(oidcUser).min(1),
});

const samlUser = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
  nameId: z.string().min(1),
  nameIdFormat: z.string().default('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'),
  /** attribute name (e.g. urn:oid:0.9.2342.19200300.100.1.3) -> value(s) */
  attributes: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
});

export const samlFixture = z.object({
  kind: z.literal('saml'),
  name: z.string().regex(/^[a-z0-9-]+$/),
  /** the IdP's entity id; default <base URL>/metadata */
  entityId: z.string().optional(),
  serviceProviders: z
    .array(
      z.object({
        entityId: z.string().min(1),
        acsUrl: z.string().url().optional(),
        sloUrl: z.string().url().optional(),
      }),
    )
    .default([]),
  sessionSeconds: z.number().int().positive().default(28_800),
  users: z.array(samlUser).min(1),
});

export type OidcFixture = z.output<typeof oidcFixture>;
export type OidcUser = z.output<typeof oidcUser>;
export type SamlFixture = z.output<typeof samlFixture>;
export type SamlUser = z.output<typeof samlUser>;
export type Fixture = OidcFixture | SamlFixture;

export async function loadFixture(file: string): Promise<Fixture> {
  const doc = parseYaml(await readFile(file, 'utf8')) as unknown;
  const parsed = z.discriminatedUnion('kind', [oidcFixture, samlFixture]).safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}
