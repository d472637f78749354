// OpenID Connect sign-in (openid-client): authorization code flow with PKCE (S256),
// state and nonce, discovery from the configured issuer (its `issuer` must match exactly),
// RFC 9207 `iss` checked when the provider announces it. The state record lives in Redis
// for 10 minutes, is used once (GETDEL: a replayed callback finds nothing) and is bound to
// the browser that started the sign-in (cookie), so a stolen callback URL cannot log
// someone else in.
//
// Provider shapes (sso-config.ts): azure (Entra ID: `oid` identifies; `groups` may be
// replaced by `_claim_names`/`_claim_sources` — group overage: default role, logged),
// okta (groups with the `groups` scope), google (`hd` must equal hostedDomain when set),
// generic. The e-mail must be verified: `email_verified` false refuses for every shape;
// absent refuses for okta/google/generic (Entra ID does not send it; its e-mails are
// managed by the tenant, and the domain must still be verified by an organization here).
import type { Request, Response } from 'express';
import * as client from 'openid-client';
import { clearCookie, readCookies, setCookie } from './cookies.js';
import { refuse, safeReturnTo, startSession } from './flows.js';
import { mapRole, provisionUser, SsoRefusal, type ExternalIdentity } from './identity.js';
import type { AuthRuntime } from './runtime.js';
import { randomToken } from './sessions.js';
import type { OidcProviderConfig } from './sso-config.js';
import { createHash } from 'node:crypto';

const STATE_TTL_SECONDS = 600;
const STATE_PREFIX = 'aigos:oidc:state:';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

interface StateRecord {
  provider: string;
  verifier: string;
  nonce: string;
  returnTo: string;
  binding: string;
  created: number;
}

const sha = (v: string) => createHash('sha256').update(v).digest('base64url');

function claimString(claims: Record<string, unknown>, name: string | undefined): string | undefined {
  if (!name) return undefined;
  const v = claims[name];
  return typeof v === 'string' && v.length ? v : typeof v === 'number' ? String(v) : undefined;
}

export class OidcProvider {
  private discovered?: Promise<client.Configuration>;

  constructor(
    readonly cfg: OidcProviderConfig,
    private readonly rt: AuthRuntime,
  ) {}

  get name(): string {
    return this.cfg.name;
  }

  get callbackPath(): string {
    return new URL(this.cfg.callbackUrl).pathname;
  }

  /** Discovery, once; a failure is not cached (the next sign-in tries again). */
  configuration(): Promise<client.Configuration> {
    this.discovered ??= (async () => {
      const issuer = new URL(this.cfg.issuer);
      const insecure = issuer.protocol === 'http:';
      if (insecure && !LOOPBACK.has(issuer.hostname))
        throw new SsoRefusal(
          'OIDC_CONFIG',
          `the issuer ${this.cfg.issuer} must use https (http only for loopback test providers)`,
          undefined,
          500,
        );
      return client.discovery(
        issuer,
        this.cfg.clientId,
        { client_secret: this.cfg.clientSecret },
        client.ClientSecretBasic(this.cfg.clientSecret),
        { execute: insecure ? [client.allowInsecureRequests] : [], timeout: 10 },
      );
    })();
    this.discovered.catch(() => {
      this.discovered = undefined;
    });
    return this.discovered;
  }

  /** GET /auth/oidc/<name>/login: off to the identity provider. */
  async start(req: Request, res: Response): Promise<void> {
    let config: client.Configuration;
    try {
      config = await this.configuration();
    } catch (err) {
      return this.refusal(req, res, err, 'discovery');
    }
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    let binding = readCookies(req)[this.rt.cookies.sso];
    if (!binding || !/^[A-Za-z0-9_-]{43}$/.test(binding)) {
      binding = randomToken(32);
      setCookie(res, this.rt.cookies.sso, binding, {
        secure: this.rt.secure,
        httpOnly: true,
        maxAge: STATE_TTL_SECONDS,
      });
    }
    const record: StateRecord = {
      provider: this.name,
      verifier,
      nonce,
      returnTo: safeReturnTo(req.query.returnTo),
      binding: sha(binding),
      created: Date.now(),
    };
    await this.rt.redis.set(STATE_PREFIX + state, JSON.stringify(record), 'EX', STATE_TTL_SECONDS);
    const params: Record<string, string> = {
      redirect_uri: this.cfg.callbackUrl,
      scope: this.cfg.scopes.join(' '),
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    if (this.cfg.provider === 'google' && this.cfg.hostedDomain) params.hd = this.cfg.hostedDomain;
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, client.buildAuthorizationUrl(config, params).href);
  }

  /** The callback, once the state record named this provider. */
  async finish(req: Request, res: Response, state: string, record: StateRecord): Promise<void> {
    const log = { provider: this.name, issuer: this.cfg.issuer, source: req.ip };
    let config: client.Configuration;
    try {
      config = await this.configuration();
    } catch (err) {
      return this.refusal(req, res, err, 'discovery');
    }
    const current = new URL(this.cfg.callbackUrl);
    current.search = new URL(req.originalUrl, 'http://callback.invalid').search;
    let claims: Record<string, unknown>;
    try {
      const tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: record.verifier,
        expectedState: state,
        expectedNonce: record.nonce,
        idTokenExpected: true,
      });
      claims = { ...(tokens.claims() ?? {}) };
      const emailClaim = this.cfg.attributeMapping.email;
      const userinfo = config.serverMetadata().userinfo_endpoint;
      if (!claimString(claims, emailClaim) && userinfo && tokens.access_token) {
        const info = await client.fetchUserInfo(config, tokens.access_token, String(claims.sub));
        claims = { ...info, ...claims };
      }
    } catch (err) {
      return this.refusal(req, res, err, 'callback');
    }

    try {
      const ident = this.identityOf(claims, req);
      const { role, matched } = mapRole(ident.groups, this.cfg.roleMapping);
      const p = await provisionUser(this.rt.pool, ident, role, { sourceAddress: req.ip, requestId: req.id });
      if (p.created)
        req.log.info(
          { ...log, userId: p.userId, orgId: p.orgId, role },
          'single sign-on: user created just in time',
        );
      if (p.previousRole && p.previousRole !== role)
        req.log.info(
          { ...log, userId: p.userId, from: p.previousRole, to: role },
          'single sign-on: role changed by the identity provider groups',
        );
      await startSession(
        this.rt,
        req,
        res,
        { uid: p.userId, org: p.orgId, email: p.email, method: 'oidc', provider: this.name, mcp: false },
        { role, groups: matched },
      );
      clearCookie(res, this.rt.cookies.sso, this.rt.secure);
      res.redirect(303, record.returnTo);
    } catch (err) {
      return this.refusal(req, res, err, 'identity', { subject: claims.sub });
    }
  }

  /** Claims -> identity, with the shape's checks. Throws SsoRefusal. */
  identityOf(claims: Record<string, unknown>, req: Request): ExternalIdentity {
    const map = this.cfg.attributeMapping;
    const subject = claimString(claims, map.id) ?? claimString(claims, 'sub');
    const email = claimString(claims, map.email);
    if (!subject)
      throw new SsoRefusal('CLAIM_MISSING', `the ID token has no ${map.id} claim to identify the user`);
    if (!email) throw new SsoRefusal('CLAIM_MISSING', `the ID token has no ${map.email} claim (e-mail)`);
    const verified = claims.email_verified;
    if (verified === false || verified === 'false')
      throw new SsoRefusal(
        'EMAIL_NOT_VERIFIED',
        `The identity provider has not verified the e-mail address ${email}.`,
        'Verify the address with your identity provider, then sign in again.',
      );
    if (verified === undefined && this.cfg.provider !== 'azure')
      throw new SsoRefusal(
        'EMAIL_NOT_VERIFIED',
        `The identity provider did not say that the e-mail address ${email} is verified (email_verified).`,
      );
    if (this.cfg.provider === 'google' && this.cfg.hostedDomain) {
      const hd = claimString(claims, 'hd');
      if (!hd || hd.toLowerCase() !== this.cfg.hostedDomain.toLowerCase())
        throw new SsoRefusal(
          'HOSTED_DOMAIN_MISMATCH',
          `This sign-in is limited to the Google Workspace domain ${this.cfg.hostedDomain}; your account is ${hd ? `in ${hd}` : 'not a Workspace account'}.`,
        );
    }
    let groups: string[] | undefined;
    if (map.groups) {
      const raw = claims[map.groups];
      const names = claims._claim_names as Record<string, unknown> | undefined;
      if (raw === undefined && names && typeof names === 'object' && map.groups in names) {
        req.log.warn(
          {
            provider: this.name,
            subject,
            claimSource: names[map.groups],
            defaultRole: this.cfg.roleMapping.default,
          },
          `single sign-on: group overage — the token lists no ${map.groups} but refers to a distributed claim source (_claim_names/_claim_sources, Microsoft Graph); groups are not fetched, so the default role ${this.cfg.roleMapping.default} applies. Configure the app registration to emit groups assigned to the application, or use app roles.`,
        );
      } else if (raw === undefined && claims.hasgroups === true) {
        req.log.warn(
          { provider: this.name, subject },
          'single sign-on: group overage (hasgroups); default role applies',
        );
      } else if (Array.isArray(raw)) groups = raw.filter((g): g is string => typeof g === 'string');
      else if (typeof raw === 'string') groups = [raw];
      else if (raw !== undefined)
        req.log.warn(
          { provider: this.name, subject, type: typeof raw },
          `single sign-on: the ${map.groups} claim is not a list; ignored`,
        );
    }
    return {
      protocol: 'oidc',
      provider: this.name,
      issuer: this.cfg.issuer,
      subject,
      email,
      name: claimString(claims, map.name) ?? email,
      groups,
    };
  }

  private refusal(
    req: Request,
    res: Response,
    err: unknown,
    stage: string,
    extra: Record<string, unknown> = {},
  ): void {
    const log = { provider: this.name, issuer: this.cfg.issuer, stage, source: req.ip, ...extra };
    if (err instanceof SsoRefusal)
      return refuse(req, res, {
        status: err.status,
        code: err.code,
        title: 'Sign-in refused',
        reason: err.reason,
        detail: err.detail,
        log,
        json: false,
      });
    type Cause = {
      message?: string;
      claim?: string;
      attribute?: string;
      cause?: Cause;
      body?: { error?: string; error_description?: string };
    };
    const e = err as Error & { code?: string; cause?: Cause; error?: string; error_description?: string };
    const code = e.code ?? '';
    // openid-client wraps the protocol library's error: the detail (which claim) is in the cause
    const msg = [e.message ?? String(err), e.cause?.message].filter(Boolean).join(': ');
    const claim = e.cause?.cause?.claim ?? e.cause?.claim ?? e.cause?.cause?.attribute ?? e.cause?.attribute;
    let reason: string;
    let refusal = 'OIDC_REFUSED';
    if (claim === 'nonce' || /"nonce"/.test(msg)) {
      refusal = 'NONCE_MISMATCH';
      reason =
        'The ID token does not belong to this sign-in (nonce mismatch: a replayed or substituted token).';
    } else if (claim === 'iss' || claim === 'issuer' || /issuer/i.test(msg)) {
      refusal = 'ISSUER_MISMATCH';
      reason =
        stage === 'discovery'
          ? `The identity provider answered as a different issuer than the configured ${this.cfg.issuer}.`
          : `The response names a different issuer than the configured ${this.cfg.issuer}.`;
    } else if (code === 'OAUTH_AUTHORIZATION_RESPONSE_ERROR' || e.error) {
      refusal = 'IDP_ERROR';
      reason =
        `The identity provider refused the sign-in: ${e.error ?? ''} ${e.error_description ?? ''}`.trim();
    } else if (code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE') {
      // the token endpoint refused our client authentication (401 with a challenge)
      const p = (err as { cause?: { parameters?: Record<string, string> }[] }).cause?.[0]?.parameters ?? {};
      refusal = p.error === 'invalid_client' ? 'CLIENT_AUTH_FAILED' : 'IDP_ERROR';
      reason =
        `The identity provider refused the code exchange: ${p.error ?? 'authentication challenge'}` +
        (p.error_description ? ` (${p.error_description})` : '') +
        (p.error === 'invalid_client'
          ? ' — check the client id and secret configured for this provider.'
          : '.');
    } else if (code === 'OAUTH_RESPONSE_BODY_ERROR') {
      refusal = 'IDP_ERROR';
      reason =
        `The identity provider refused the code exchange: ${e.cause?.body?.error ?? ''} ${e.cause?.body?.error_description ?? ''}`.trim();
    } else if (stage === 'discovery') {
      refusal = 'IDP_UNAVAILABLE';
      reason = `The identity provider's configuration could not be read from ${this.cfg.issuer} (${msg}).`;
    } else reason = `The identity provider's answer was not accepted (${msg}).`;
    refuse(req, res, {
      status: stage === 'discovery' ? 502 : 401,
      code: refusal,
      title: 'Sign-in refused',
      reason,
      log: { ...log, error: msg, errorCode: code },
      json: false,
    });
  }
}

/** The callback route of all OIDC providers: the state record says which one. */
export async function oidcCallback(
  rt: AuthRuntime,
  providers: Map<string, OidcProvider>,
  req: Request,
  res: Response,
): Promise<void> {
  res.setHeader('Cache-Control', 'no-store');
  const state = typeof req.query.state === 'string' ? req.query.state : '';
  const raw = state ? await rt.redis.getdel(STATE_PREFIX + state) : null;
  if (!raw) {
    return refuse(req, res, {
      status: 400,
      code: 'STATE_INVALID',
      title: 'Sign-in refused',
      reason:
        'This sign-in response was already used or has expired (unknown state). Start the sign-in again.',
      log: { source: req.ip, hasState: !!state },
      json: false,
    });
  }
  const record = JSON.parse(raw) as StateRecord;
  const binding = readCookies(req)[rt.cookies.sso];
  if (!binding || sha(binding) !== record.binding) {
    return refuse(req, res, {
      status: 400,
      code: 'STATE_NOT_BOUND',
      title: 'Sign-in refused',
      reason: 'This sign-in was started in another browser (the state is not bound to this one).',
      log: { provider: record.provider, source: req.ip },
      json: false,
    });
  }
  const provider = providers.get(record.provider);
  if (!provider)
    return refuse(req, res, {
      status: 400,
      code: 'PROVIDER_UNKNOWN',
      title: 'Sign-in refused',
      reason: `The provider ${record.provider} is no longer configured.`,
      json: false,
    });
  if (typeof req.query.error === 'string') {
    return refuse(req, res, {
      status: 401,
      code: 'IDP_ERROR',
      title: 'Sign-in refused',
      reason: `The identity provider refused the sign-in: ${req.query.error}${typeof req.query.error_description === 'string' ? ` (${req.query.error_description})` : ''}.`,
      log: { provider: record.provider, source: req.ip },
      json: false,
    });
  }
  await provider.finish(req, res, state, record);
}
