// A real OpenID Connect provider for tests and the harness (oidc-provider, the certified
// implementation), presenting one of three vendor shapes:
//
//  - entra:  `oid`, `tid`, `groups` (group object ids) in the ID token whatever the scope;
//            a user marked `overage` gets `_claim_names` / `_claim_sources` pointing at
//            Microsoft Graph instead of `groups` (Entra ID's group overage); no
//            `email_verified` (Entra does not send it).
//  - okta:   `sub`, `email_verified`, and `groups` only when the `groups` scope is asked.
//  - google: `sub`, `email_verified`, `hd` (the Workspace domain) when the user has one.
//
// Authorization code flow with PKCE required, RS256-signed ID tokens, discovery, JWKS,
// RFC 9207 `iss` in the authorization response. A plain HTML login form (no script) is
// the interaction; consent is granted automatically. Users come from fixtures/idp/*.yaml.
// A fixture user can make the IdP misbehave (wrong nonce, replayed ID token) for the
// relying party's negative tests.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { decodeJwt, importJWK, SignJWT, type JWK } from 'jose';
import Provider from 'oidc-provider';
import type { OidcFixture, OidcUser } from '../fixture.js';

export interface OidcIdpOptions {
  port: number;
  host?: string;
  /** Issuer identifier to claim; default http://<host>:<port>. A different one simulates an issuer mismatch. */
  issuer?: string;
  /** Redirect URIs allowed for every client (in addition to the fixture's). */
  redirectUris?: string[];
}

export interface RunningOidcIdp {
  kind: 'oidc';
  name: string;
  issuer: string;
  /** where it actually listens */
  url: string;
  discoveryUrl: string;
  clients: { clientId: string; clientSecret: string }[];
  close(): Promise<void>;
}

const esc = (v: unknown) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function subOf(u: OidcUser): string {
  return u.sub ?? createHash('sha256').update(`sub:${u.username}`).digest('base64url').slice(0, 22);
}

function claimsConfig(shape: OidcFixture['shape']): Record<string, string[]> {
  switch (shape) {
    case 'entra':
      return {
        openid: ['sub', 'oid', 'tid', 'groups'],
        email: ['email'],
        profile: ['name', 'preferred_username'],
      };
    case 'okta':
      return {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name', 'preferred_username'],
        groups: ['groups'],
      };
    case 'google':
      return { openid: ['sub', 'hd'], email: ['email', 'email_verified'], profile: ['name'] };
    default:
      return {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name', 'preferred_username'],
        groups: ['groups'],
      };
  }
}

function userClaims(f: OidcFixture, u: OidcUser): Record<string, unknown> {
  const sub = subOf(u);
  const common = { sub, email: u.email, name: u.name, preferred_username: u.username };
  switch (f.shape) {
    case 'entra': {
      const oid = u.oid ?? sub;
      const groups = u.overage
        ? {
            _claim_names: { groups: 'src1' },
            _claim_sources: {
              src1: { endpoint: `https://graph.microsoft.com/v1.0/users/${oid}/getMemberObjects` },
            },
          }
        : { groups: u.groups };
      return { ...common, oid, tid: f.tenantId ?? '00000000-0000-0000-0000-000000000000', ...groups };
    }
    case 'google':
      return {
        sub,
        email: u.email,
        name: u.name,
        email_verified: u.emailVerified,
        ...(u.hd ? { hd: u.hd } : {}),
      };
    default:
      return { ...common, email_verified: u.emailVerified, groups: u.groups };
  }
}

function loginPage(uid: string, clientId: string, shape: string, error?: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test IdP (${esc(shape)}) sign-in</title></head>
<body><main><h1>Test identity provider (${esc(shape)})</h1><p>Signing in to <code>${esc(clientId)}</code></p>
${error ? `<p role="alert" id="idp-error">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login">
<label for="username">Username</label><input id="username" name="username" autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit" id="idp-submit">Sign in</button></form>
<form method="post" action="/interaction/${esc(uid)}/abort"><button type="submit" id="idp-cancel">Cancel</button></form>
</main></body></html>`;
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
      if (body.length > 64_000) req.destroy();
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

export async function startOidcIdp(f: OidcFixture, o: OidcIdpOptions): Promise<RunningOidcIdp> {
  const host = o.host ?? '127.0.0.1';
  const url = `http://${host}:${o.port}`;
  const issuer = (o.issuer ?? url).replace(/\/+$/, '');
  const bySub = new Map(f.users.map((u) => [subOf(u), u]));
  const byName = new Map(f.users.map((u) => [u.username.toLowerCase(), u]));
  const lastIdToken = new Map<string, string>();

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = {
    ...(privateKey.export({ format: 'jwk' }) as JWK),
    kid: randomBytes(8).toString('hex'),
    alg: 'RS256',
    use: 'sig',
  };

  const claims = claimsConfig(f.shape);
  const provider = new Provider(issuer, {
    clients: f.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: [...c.redirectUris, ...(o.redirectUris ?? [])],
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic',
      post_logout_redirect_uris: [],
    })),
    async findAccount(_ctx: unknown, id: string) {
      const u = bySub.get(id);
      if (!u) return undefined;
      return { accountId: id, claims: async () => userClaims(f, u) };
    },
    claims,
    scopes: [...Object.keys(claims), 'offline_access'],
    conformIdTokenClaims: false, // the vendors put e-mail and groups into the ID token itself
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    jwks: { keys: [jwk] },
    ttl: {
      Session: 3600,
      Interaction: 600,
      Grant: 3600,
      AuthorizationCode: 60,
      AccessToken: 600,
      IdToken: 600,
    },
  });

  const signingKey = await importJWK(jwk, 'RS256');
  const handler = provider.callback();

  async function tamperTokenResponse(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // capture the token endpoint's answer; rewrite the ID token for a misbehaving user
    const chunks: Buffer[] = [];
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    res.write = ((chunk: unknown) => {
      if (chunk) chunks.push(Buffer.from(chunk as Buffer));
      return true;
    }) as typeof res.write;
    res.end = ((chunk?: unknown) => {
      if (chunk && typeof chunk !== 'function') chunks.push(Buffer.from(chunk as Buffer));
      let body = Buffer.concat(chunks);
      void (async () => {
        try {
          const json = JSON.parse(body.toString('utf8')) as { id_token?: string };
          if (json.id_token) {
            const claimsOfToken = decodeJwt(json.id_token);
            const u = bySub.get(String(claimsOfToken.sub));
            const previous = lastIdToken.get(String(claimsOfToken.sub));
            lastIdToken.set(String(claimsOfToken.sub), json.id_token);
            if (u?.tamper?.replayIdToken && previous) json.id_token = previous;
            else if (u?.tamper?.nonce)
              json.id_token = await new SignJWT({ ...claimsOfToken, nonce: u.tamper.nonce })
                .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'JWT' })
                .sign(signingKey);
            body = Buffer.from(JSON.stringify(json));
            res.setHeader('content-length', body.length);
          }
        } catch {
          // not JSON: pass through
        }
        write(body);
        end();
      })();
      return res;
    }) as typeof res.end;
    handler(req, res);
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/login|\/abort)?$/.exec(path);
    if (!m) {
      if (req.method === 'POST' && path === '/token') return void tamperTokenResponse(req, res);
      return handler(req, res);
    }
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        const { uid, prompt, params, session } = details;
        if (req.method === 'GET' && prompt.name === 'login') {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
          return res.end(loginPage(uid, params.client_id, f.shape));
        }
        if (req.method === 'POST' && m[2] === '/abort') {
          return await provider.interactionFinished(
            req,
            res,
            { error: 'access_denied', error_description: 'the user cancelled' },
            { mergeWithLastSubmission: false },
          );
        }
        if (req.method === 'POST' && m[2] === '/login') {
          const form = await readForm(req);
          const u = byName.get(String(form.get('username') ?? '').toLowerCase());
          if (!u || u.password !== form.get('password')) {
            res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
            return res.end(loginPage(uid, params.client_id, f.shape, 'Unknown user or wrong password.'));
          }
          return await provider.interactionFinished(
            req,
            res,
            { login: { accountId: subOf(u) } },
            { mergeWithLastSubmission: false },
          );
        }
        if (prompt.name === 'consent') {
          const grant = details.grantId
            ? await provider.Grant.find(details.grantId)
            : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
          const d = prompt.details;
          if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
          if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
          if (d.missingResourceScopes)
            for (const [indicator, scopes] of Object.entries(
              d.missingResourceScopes as Record<string, string[]>,
            ))
              grant.addResourceScope(indicator, scopes.join(' '));
          const grantId = await grant.save();
          return await provider.interactionFinished(
            req,
            res,
            { consent: { grantId } },
            { mergeWithLastSubmission: true },
          );
        }
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`unexpected interaction ${prompt.name}`);
      } catch (err) {
        if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`interaction failed: ${(err as Error).message}`);
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, host, () => resolve());
  });
  return {
    kind: 'oidc',
    name: f.name,
    issuer,
    url,
    discoveryUrl: `${url}/.well-known/openid-configuration`,
    clients: f.clients.map((c) => ({ clientId: c.clientId, clientSecret: c.clientSecret })),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
