// SAML 2.0 service provider (@node-saml/node-saml), configured by the seed's `auth.saml`.
//
//   GET  /auth/saml/login        SP-initiated sign-in (HTTP-Redirect AuthnRequest)
//   POST <callbackUrl path>      assertion consumer (HTTP-POST Response), seed: /auth/saml/callback
//   GET  <logoutUrl path>        single logout (HTTP-Redirect): the IdP's LogoutResponse to our
//                                request, or its own LogoutRequest (answered with a LogoutResponse)
//   GET  /auth/saml/metadata     SP metadata
//
// What is checked, beyond the library: the assertion must be signed (wantAssertionsSigned;
// the Response envelope may be unsigned), audience = our entity id, Recipient of the bearer
// SubjectConfirmation (inside the signed assertion) and Destination of the Response = our
// ACS URL, the IdP's entity id when `idpIssuer` is set, timestamps within
// acceptedClockSkewMs (default 60 s), InResponseTo = a request this deployment issued
// (kept in Redis, used once: unsolicited/IdP-initiated responses are refused), the
// assertion ID used once (Redis, until NotOnOrAfter), and the RelayState bound to the
// browser that started the sign-in. Incoming HTTP-Redirect logout messages must be signed.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import {
  SAML,
  ValidateInResponseTo,
  type CacheItem,
  type CacheProvider,
  type Profile,
} from '@node-saml/node-saml';
// node-saml's own XML parser (@xmldom/xmldom is its dependency, not ours)
import { parseDomFromString } from '@node-saml/node-saml/lib/xml.js';
import type { Request, Response, Router } from 'express';
import { readCookies, setCookie, clearCookie } from './cookies.js';
import { refuse, safeReturnTo, startSession } from './flows.js';
import { mapRole, provisionUser, SsoRefusal, type ExternalIdentity } from './identity.js';
import type { AuthRuntime } from './runtime.js';
import { randomToken, type SessionData } from './sessions.js';
import type { SamlProviderConfig } from './sso-config.js';

const REQUEST_TTL_MS = 10 * 60_000;
const NS_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const sha = (v: string) => createHash('sha256').update(v).digest('base64url');

/** The part of the DOM (xmldom) read here; the project compiles without the DOM lib. */
interface XmlElement {
  getAttribute(name: string): string | null;
  getElementsByTagNameNS(ns: string, name: string): { length: number; item(i: number): XmlElement | null };
}
async function rootOf(xml: string): Promise<XmlElement | undefined> {
  return ((await parseDomFromString(xml)) as unknown as { documentElement?: XmlElement }).documentElement;
}
function elements(el: XmlElement | undefined, name: string): XmlElement[] {
  const list = el?.getElementsByTagNameNS(NS_ASSERTION, name);
  const out: XmlElement[] = [];
  for (let i = 0; list && i < list.length; i++) out.push(list.item(i)!);
  return out;
}

/** node-saml's request-id cache in Redis, so every replica knows the AuthnRequests issued. */
class RedisCache implements CacheProvider {
  constructor(
    private readonly rt: AuthRuntime,
    private readonly prefix: string,
  ) {}
  async saveAsync(key: string, value: string): Promise<CacheItem | null> {
    const ok = await this.rt.redis.set(this.prefix + key, value, 'PX', REQUEST_TTL_MS, 'NX');
    return ok ? { value, createdAt: Date.now() } : null;
  }
  getAsync(key: string): Promise<string | null> {
    return this.rt.redis.get(this.prefix + key);
  }
  async removeAsync(key: string | null): Promise<string | null> {
    if (!key) return null;
    return this.rt.redis.getdel(this.prefix + key);
  }
}

function readCerts(cert: string | string[]): string[] {
  return (Array.isArray(cert) ? cert : [cert]).map((c) => {
    const v = c.trim();
    if (!v.includes('\n') && !v.includes('BEGIN') && /^[./]/.test(v) && existsSync(v))
      return readFileSync(v, 'utf8');
    return v;
  });
}

interface RelayRecord {
  returnTo: string;
  binding: string;
}

export interface SamlModule {
  name: string;
  label: string;
  formActions: string[];
  logoutRedirect(session: SessionData, req: Request): Promise<string | undefined>;
}

function firstValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

function allValues(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return undefined;
}

export function mountSaml(router: Router, rt: AuthRuntime, cfg: SamlProviderConfig): SamlModule {
  const keyPrefix = `aigos:saml:${cfg.name}:`;
  const idpLogoutUrl = cfg.idpLogoutUrl ?? cfg.entryPoint;
  const saml = new SAML({
    entryPoint: cfg.entryPoint,
    issuer: cfg.issuer,
    callbackUrl: cfg.callbackUrl,
    idpCert: readCerts(cfg.cert),
    idpIssuer: cfg.idpIssuer,
    audience: cfg.issuer,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: cfg.acceptedClockSkewMs,
    identifierFormat: cfg.identifierFormat ?? null,
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: REQUEST_TTL_MS,
    cacheProvider: new RedisCache(rt, `${keyPrefix}req:`),
    logoutUrl: idpLogoutUrl,
    logoutCallbackUrl: cfg.logoutUrl,
    signatureAlgorithm: cfg.signatureAlgorithm,
    disableRequestedAuthnContext: true,
  });
  const acsPath = new URL(cfg.callbackUrl).pathname;
  const logoutPath = cfg.logoutUrl ? new URL(cfg.logoutUrl).pathname : '/auth/saml/logout';
  for (const [what, path] of [
    ['callbackUrl', acsPath],
    ['logoutUrl', logoutPath],
  ] as const)
    if (!path.startsWith('/auth/'))
      rt.log.warn(
        { [what]: path },
        `the SAML ${what} is not under /auth/; the gateway will not route it to the api`,
      );

  const refusal = (
    req: Request,
    res: Response,
    code: string,
    reason: string,
    log: Record<string, unknown> = {},
    status = 401,
    detail?: string,
  ) =>
    refuse(req, res, {
      status,
      code,
      title: 'Sign-in refused',
      reason,
      detail,
      log: { provider: cfg.name, source: req.ip, ...log },
      json: false,
    });

  router.get('/saml/metadata', (_req, res) => {
    res.type('application/samlmetadata+xml').send(saml.generateServiceProviderMetadata(null, null));
  });

  router.get('/saml/login', async (req, res) => {
    let binding = readCookies(req)[rt.cookies.sso];
    if (!binding || !/^[A-Za-z0-9_-]{43}$/.test(binding)) {
      binding = randomToken(32);
      // the IdP answers with a cross-site POST: over https the binding cookie must be SameSite=None
      setCookie(res, rt.cookies.sso, binding, {
        secure: rt.secure,
        httpOnly: true,
        maxAge: REQUEST_TTL_MS / 1000,
        sameSite: rt.secure ? 'none' : 'lax',
      });
    }
    const relay = randomToken(24);
    const record: RelayRecord = { returnTo: safeReturnTo(req.query.returnTo), binding: sha(binding) };
    await rt.redis.set(`${keyPrefix}relay:${relay}`, JSON.stringify(record), 'PX', REQUEST_TTL_MS);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, await saml.getAuthorizeUrlAsync(relay, undefined, {}));
  });

  router.post(acsPath.slice('/auth'.length), async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body.SAMLResponse !== 'string')
      return refusal(req, res, 'SAML_RESPONSE_MISSING', 'No SAMLResponse was posted.', {}, 400);
    const relayState = typeof body.RelayState === 'string' ? body.RelayState : '';
    const rawRelay = relayState ? await rt.redis.getdel(`${keyPrefix}relay:${relayState}`) : null;
    if (!rawRelay)
      return refusal(
        req,
        res,
        'RELAY_STATE_INVALID',
        'This sign-in response answers no sign-in started here, or was already used (RelayState).',
        { hasRelayState: !!relayState },
        400,
      );
    const relay = JSON.parse(rawRelay) as RelayRecord;
    const binding = readCookies(req)[rt.cookies.sso];
    if (!binding || sha(binding) !== relay.binding)
      return refusal(
        req,
        res,
        'STATE_NOT_BOUND',
        'This sign-in was started in another browser (the RelayState is not bound to this one).',
        {},
        400,
      );

    let profile: Profile | null;
    try {
      ({ profile } = await saml.validatePostResponseAsync({ SAMLResponse: body.SAMLResponse }));
    } catch (err) {
      const msg = (err as Error).message;
      let code = 'SAML_INVALID';
      let reason = `The SAML response was not accepted (${msg}).`;
      if (/signature/i.test(msg)) {
        code = 'SIGNATURE_INVALID';
        reason = 'The SAML assertion is not signed by the configured identity provider certificate.';
      } else if (/audience/i.test(msg)) {
        code = 'AUDIENCE_MISMATCH';
        reason = `The SAML assertion is meant for another service (audience), not ${cfg.issuer}.`;
      } else if (/not yet valid|expired|clock|no valid subject confirmation/i.test(msg)) {
        code = 'CLOCK_SKEW';
        reason = `The SAML assertion is not valid at this time (allowed clock skew ${Math.round(cfg.acceptedClockSkewMs / 1000)} s).`;
      } else if (/InResponseTo/i.test(msg)) {
        code = 'REPLAY_OR_UNSOLICITED';
        reason =
          'The SAML response was already used, or answers no sign-in request issued here (InResponseTo).';
      }
      return refusal(req, res, code, reason, { error: msg });
    }
    if (!profile) return refusal(req, res, 'SAML_INVALID', 'The SAML response carries no assertion.');

    // checks the library leaves to the application, on the signed assertion
    const assertionXml = profile.getAssertionXml?.() ?? '';
    const assertion = await rootOf(assertionXml);
    const confirmations = elements(assertion, 'SubjectConfirmation').filter(
      (c) => c.getAttribute('Method') === BEARER,
    );
    const recipients = confirmations.map(
      (c) => elements(c, 'SubjectConfirmationData')[0]?.getAttribute('Recipient') || null,
    );
    if (!recipients.includes(cfg.callbackUrl))
      return refusal(
        req,
        res,
        'RECIPIENT_MISMATCH',
        `The SAML assertion names another recipient, not ${cfg.callbackUrl}.`,
        { recipients },
      );
    const responseXml = profile.getSamlResponseXml?.() ?? '';
    // (xmldom answers '' for a missing attribute)
    const destination = (await rootOf(responseXml))?.getAttribute('Destination') || null;
    if (destination !== cfg.callbackUrl)
      return refusal(
        req,
        res,
        'DESTINATION_MISMATCH',
        `The SAML response was sent to ${destination ?? 'no destination'}, not ${cfg.callbackUrl}.`,
        { destination },
      );
    if (cfg.idpIssuer && profile.issuer !== cfg.idpIssuer)
      return refusal(
        req,
        res,
        'ISSUER_MISMATCH',
        `The SAML assertion was issued by ${profile.issuer}, not ${cfg.idpIssuer}.`,
      );
    const assertionId = assertion?.getAttribute('ID') || '';
    const notOnOrAfter = Date.parse(elements(assertion, 'Conditions')[0]?.getAttribute('NotOnOrAfter') ?? '');
    const ttl = Math.max(
      60_000,
      (Number.isFinite(notOnOrAfter) ? notOnOrAfter - Date.now() : 3_600_000) + cfg.acceptedClockSkewMs,
    );
    const fresh = await rt.redis.set(
      `${keyPrefix}assertion:${sha(`${profile.issuer}|${assertionId}`)}`,
      '1',
      'PX',
      ttl,
      'NX',
    );
    if (!assertionId || !fresh)
      return refusal(req, res, 'ASSERTION_REPLAYED', 'This SAML assertion was already used (replay).', {
        assertionId,
      });

    const map = cfg.attributeMapping;
    const subject = firstValue(profile[map.id]) ?? profile.nameID;
    const email =
      firstValue(profile[map.email]) ?? (profile.nameID?.includes('@') ? profile.nameID : undefined);
    if (!email)
      return refusal(
        req,
        res,
        'CLAIM_MISSING',
        `The SAML assertion has no ${map.email} attribute (e-mail).`,
        { subject },
        403,
      );
    const ident: ExternalIdentity = {
      protocol: 'saml',
      provider: cfg.name,
      issuer: profile.issuer,
      subject,
      email,
      name: firstValue(profile[map.name]) ?? email,
      groups: allValues(profile[map.groups]),
    };
    try {
      const { role, matched } = mapRole(ident.groups, cfg.roleMapping);
      const p = await provisionUser(rt.pool, ident, role, { sourceAddress: req.ip, requestId: req.id });
      if (p.created)
        req.log.info(
          { provider: cfg.name, userId: p.userId, orgId: p.orgId, role },
          'single sign-on: user created just in time',
        );
      const s = await startSession(
        rt,
        req,
        res,
        {
          uid: p.userId,
          org: p.orgId,
          email: p.email,
          method: 'saml',
          provider: cfg.name,
          mcp: false,
          saml: {
            provider: cfg.name,
            nameID: profile.nameID,
            nameIDFormat: profile.nameIDFormat,
            sessionIndex: profile.sessionIndex,
            nameQualifier: profile.nameQualifier,
            spNameQualifier: profile.spNameQualifier,
          },
        },
        { role, groups: matched },
      );
      // IdP-initiated logout finds the sessions of a NameID here
      const idx = `${keyPrefix}nameid:${sha(profile.nameID)}`;
      await rt.redis.multi().sadd(idx, s.handle).pexpire(idx, rt.sessions.maxAgeMs).exec();
      clearCookie(res, rt.cookies.sso, rt.secure);
      res.redirect(303, relay.returnTo);
    } catch (err) {
      if (err instanceof SsoRefusal)
        return refusal(req, res, err.code, err.reason, { subject }, err.status, err.detail);
      throw err;
    }
  });

  router.get(logoutPath.slice('/auth'.length), async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const query = req.originalUrl.includes('?')
      ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1)
      : '';
    const container = req.query as Record<string, string>;
    if (!container.SAMLResponse && !container.SAMLRequest) return res.redirect(303, '/auth/login?signedOut');
    if (!container.Signature)
      return refuse(req, res, {
        status: 400,
        code: 'SIGNATURE_MISSING',
        title: 'Sign-out refused',
        reason: 'Logout messages must be signed by the identity provider.',
        log: { provider: cfg.name },
        json: false,
      });
    let result: { profile: Profile | null; loggedOut: boolean };
    try {
      result = await saml.validateRedirectAsync(container, query);
    } catch (err) {
      return refuse(req, res, {
        status: 400,
        code: 'SAML_LOGOUT_INVALID',
        title: 'Sign-out refused',
        reason: `The logout message was not accepted (${(err as Error).message}).`,
        log: { provider: cfg.name },
        json: false,
      });
    }
    if (container.SAMLResponse) {
      req.log.info({ provider: cfg.name }, 'SAML single logout completed at the identity provider');
      return res.redirect(303, '/auth/login?signedOut');
    }
    // the IdP asks us to end the sessions of a NameID
    const profile = result.profile!;
    const idx = `${keyPrefix}nameid:${sha(profile.nameID)}`;
    const handles = await rt.redis.smembers(idx);
    let ended = 0;
    for (const h of handles) {
      const s = await rt.sessions.getByHandle(h);
      if (s && (!profile.sessionIndex || s.saml?.sessionIndex === profile.sessionIndex)) {
        await rt.sessions.destroyByHandle(h);
        await rt.redis.srem(idx, h);
        ended++;
      }
    }
    req.log.info(
      { provider: cfg.name, sessionsEnded: ended },
      'SAML single logout requested by the identity provider',
    );
    res.redirect(
      303,
      await saml.getLogoutResponseUrlAsync(
        profile,
        typeof container.RelayState === 'string' ? container.RelayState : '',
        {},
        true,
      ),
    );
  });

  return {
    name: cfg.name,
    label: cfg.label,
    formActions: [new URL(idpLogoutUrl).origin],
    async logoutRedirect(session) {
      if (!session.saml) return undefined;
      const profile = {
        issuer: cfg.idpIssuer ?? cfg.entryPoint,
        nameID: session.saml.nameID,
        nameIDFormat: session.saml.nameIDFormat,
        sessionIndex: session.saml.sessionIndex,
        nameQualifier: session.saml.nameQualifier,
        spNameQualifier: session.saml.spNameQualifier,
      } as Profile;
      return saml.getLogoutUrlAsync(profile, '', {});
    },
  };
}
