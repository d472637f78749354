// A SAML 2.0 identity provider for tests and the harness. Real protocol: metadata with
// its signing certificate (generated at each start), SP-initiated sign-in (HTTP-Redirect
// AuthnRequest in, HTTP-POST Response out, the Assertion signed RSA-SHA256 / exclusive
// c14n with xml-crypto), an IdP session (a second sign-in needs no password), and single
// logout (HTTP-Redirect LogoutRequest in, signed HTTP-Redirect LogoutResponse out). Users
// and their attributes (by OID names, group DNs) come from fixtures/idp/*.yaml.
//
//   GET  /metadata        IDPSSODescriptor
//   GET  /sso             AuthnRequest (SAMLRequest, RelayState)
//   POST /sso/login       the login form
//   GET  /slo             LogoutRequest from the SP
//   GET  /cert.pem        the signing certificate
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { SamlFixture, SamlUser } from '../fixture.js';
import {
  buildLogoutResponse,
  buildResponse,
  decodeRedirectMessage,
  generateSigningMaterial,
  idpMetadata,
  parseRequest,
  signedRedirectQuery,
  toPostParam,
  xmlEscape,
  type ParsedRequest,
  type SigningMaterial,
} from './messages.js';

export interface SamlIdpOptions {
  port: number;
  host: string;
  /** A service provider allowed in addition to the fixture's. */
  serviceProvider?: { entityId: string; acsUrl?: string; sloUrl?: string };
}

export interface RunningSamlIdp {
  kind: 'saml';
  name: string;
  url: string;
  entityId: string;
  metadataUrl: string;
  ssoUrl: string;
  sloUrl: string;
  certificate: string;
  /** in-process only: the IdP's key, for tests that build their own responses */
  signing?: SigningMaterial;
  close(): Promise<void>;
}

interface Pending {
  request: ParsedRequest;
  relayState?: string;
  acsUrl: string;
  created: number;
}

interface IdpSession {
  user: SamlUser;
  sessionIndex: string;
}

const page = (title: string, body: string, headers: Record<string, string> = {}) => ({
  title,
  body,
  headers,
});

function send(
  res: ServerResponse,
  status: number,
  html: { title: string; body: string; headers: Record<string, string> },
): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    ...html.headers,
  });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${xmlEscape(html.title)}</title></head><body><main>${html.body}</main></body></html>`,
  );
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

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

export async function startSamlIdp(f: SamlFixture, o: SamlIdpOptions): Promise<RunningSamlIdp> {
  const url = `http://${o.host}:${o.port}`;
  const entityId = f.entityId ?? `${url}/metadata`;
  const signing = generateSigningMaterial(`test SAML IdP ${f.name}`);
  const sps = [...f.serviceProviders, ...(o.serviceProvider ? [o.serviceProvider] : [])];
  const pending = new Map<string, Pending>();
  const sessions = new Map<string, IdpSession>();
  const cookieName = `idp_${f.name}`;

  const respondWithAssertion = (res: ServerResponse, p: Pending, s: IdpSession) => {
    const sp = sps.find((x) => x.entityId === p.request.issuer)!;
    const xml = buildResponse({
      idpEntityId: entityId,
      audience: sp.entityId,
      recipient: p.acsUrl,
      destination: p.acsUrl,
      inResponseTo: p.request.id,
      nameId: s.user.nameId,
      nameIdFormat: s.user.nameIdFormat,
      sessionIndex: s.sessionIndex,
      attributes: s.user.attributes,
      signing,
    });
    const nonce = randomBytes(16).toString('base64');
    send(
      res,
      200,
      page(
        'Continue to the service',
        `<p>Signed in as ${xmlEscape(s.user.username)}. Continuing to the service…</p>
<form method="post" action="${xmlEscape(p.acsUrl)}" id="saml-post">
<input type="hidden" name="SAMLResponse" value="${xmlEscape(toPostParam(xml))}">
${p.relayState ? `<input type="hidden" name="RelayState" value="${xmlEscape(p.relayState)}">` : ''}
<button type="submit" id="saml-continue">Continue</button></form>
<script nonce="${nonce}">document.getElementById('saml-post').submit();</script>`,
        {
          'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; form-action ${new URL(p.acsUrl).origin}`,
        },
      ),
    );
  };

  const loginForm = (uid: string, error?: string) =>
    page(
      'Test SAML IdP sign-in',
      `<h1>Test SAML identity provider (${xmlEscape(f.name)})</h1>
${error ? `<p role="alert" id="idp-error">${xmlEscape(error)}</p>` : ''}
<form method="post" action="/sso/login"><input type="hidden" name="uid" value="${xmlEscape(uid)}">
<label for="username">Username</label><input id="username" name="username" autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit" id="idp-submit">Sign in</button></form>`,
    );

  const server: Server = createServer((req, res) => {
    void (async () => {
      const u = new URL(req.url ?? '/', url);
      try {
        if (req.method === 'GET' && u.pathname === '/metadata') {
          res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
          return res.end(
            idpMetadata({
              entityId,
              ssoUrl: `${url}/sso`,
              sloUrl: `${url}/slo`,
              certificate: signing.certificate,
            }),
          );
        }
        if (req.method === 'GET' && u.pathname === '/cert.pem') {
          res.writeHead(200, { 'content-type': 'application/x-pem-file' });
          return res.end(signing.certificate);
        }
        if (req.method === 'GET' && u.pathname === '/sso') {
          const raw = u.searchParams.get('SAMLRequest');
          if (!raw)
            return send(res, 400, page('Bad request', '<p id="idp-error">SAMLRequest is missing</p>'));
          const request = await parseRequest(decodeRedirectMessage(raw));
          const sp = sps.find((x) => x.entityId === request.issuer);
          if (request.kind !== 'AuthnRequest' || !sp)
            return send(
              res,
              400,
              page(
                'Unknown service provider',
                `<p id="idp-error">unknown service provider ${xmlEscape(request.issuer)}</p>`,
              ),
            );
          const acsUrl = sp.acsUrl ?? request.acsUrl;
          if (!acsUrl || (request.acsUrl && sp.acsUrl && request.acsUrl !== sp.acsUrl))
            return send(
              res,
              400,
              page(
                'Bad request',
                `<p id="idp-error">AssertionConsumerServiceURL ${xmlEscape(request.acsUrl)} is not registered</p>`,
              ),
            );
          const p: Pending = {
            request,
            relayState: u.searchParams.get('RelayState') ?? undefined,
            acsUrl,
            created: Date.now(),
          };
          const existing = sessions.get(cookieOf(req, cookieName) ?? '');
          if (existing) return respondWithAssertion(res, p, existing);
          const uid = randomBytes(12).toString('hex');
          pending.set(uid, p);
          return send(res, 200, loginForm(uid));
        }
        if (req.method === 'POST' && u.pathname === '/sso/login') {
          const form = await readForm(req);
          const uid = form.get('uid') ?? '';
          const p = pending.get(uid);
          if (!p)
            return send(res, 400, page('Expired', '<p id="idp-error">this sign-in expired; start again</p>'));
          const user = f.users.find(
            (x) => x.username.toLowerCase() === String(form.get('username') ?? '').toLowerCase(),
          );
          if (!user || user.password !== form.get('password'))
            return send(res, 200, loginForm(uid, 'Unknown user or wrong password.'));
          pending.delete(uid);
          const sid = randomBytes(16).toString('hex');
          const s: IdpSession = { user, sessionIndex: `_si${randomBytes(8).toString('hex')}` };
          sessions.set(sid, s);
          res.setHeader(
            'set-cookie',
            `${cookieName}=${sid}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${f.sessionSeconds}`,
          );
          return respondWithAssertion(res, p, s);
        }
        if (req.method === 'GET' && u.pathname === '/slo') {
          const raw = u.searchParams.get('SAMLRequest');
          if (!raw)
            return send(res, 400, page('Bad request', '<p id="idp-error">SAMLRequest is missing</p>'));
          const request = await parseRequest(decodeRedirectMessage(raw));
          const sp = sps.find((x) => x.entityId === request.issuer);
          if (request.kind !== 'LogoutRequest' || !sp?.sloUrl)
            return send(
              res,
              400,
              page(
                'Unknown service provider',
                `<p id="idp-error">no single logout for ${xmlEscape(request.issuer)}</p>`,
              ),
            );
          for (const [sid, s] of sessions)
            if (
              s.user.nameId === request.nameId &&
              (!request.sessionIndex || s.sessionIndex === request.sessionIndex)
            )
              sessions.delete(sid);
          const xml = buildLogoutResponse({
            idpEntityId: entityId,
            destination: sp.sloUrl,
            inResponseTo: request.id,
          });
          const query = signedRedirectQuery(
            'SAMLResponse',
            xml,
            u.searchParams.get('RelayState') ?? undefined,
            signing,
          );
          res.writeHead(303, {
            location: `${sp.sloUrl}${sp.sloUrl.includes('?') ? '&' : '?'}${query}`,
            'set-cookie': `${cookieName}=; Path=/; Max-Age=0`,
          });
          return res.end();
        }
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      } catch (err) {
        if (!res.headersSent)
          send(res, 400, page('Error', `<p id="idp-error">${xmlEscape((err as Error).message)}</p>`));
        else res.end();
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  return {
    kind: 'saml',
    name: f.name,
    url,
    entityId,
    metadataUrl: `${url}/metadata`,
    ssoUrl: `${url}/sso`,
    sloUrl: `${url}/slo`,
    certificate: signing.certificate,
    signing,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
