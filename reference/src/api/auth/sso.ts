// Single sign-on: OIDC providers (openid-client) and SAML 2.0 (@node-saml/node-saml),
// configured by sso-config.ts. Adds their routes to the /auth router and the hooks the
// shared pages use (one button per provider, SAML single logout).
//
//   GET  /auth/oidc/<name>/login     start (PKCE, state, nonce)
//   GET  <callbackUrl path>          the callback of every OIDC provider (default /auth/callback)
//   GET  /auth/providers             the buttons as JSON, for the dashboard
//   (SAML routes: saml.ts)
import type { Router } from 'express';
import { HttpError } from '../../common/errors.js';
import type { SsoHooks } from './local-routes.js';
import type { OidcProvider } from './oidc.js';
import type { AuthRuntime } from './runtime.js';
import type { SsoConfig } from './sso-config.js';

export async function mountSso(
  router: Router,
  rt: AuthRuntime,
  sso: SsoConfig,
): Promise<{ localEnabled: boolean; hooks: SsoHooks }> {
  rt.log.info(
    { source: sso.source, oidc: sso.oidc.map((p) => p.name), saml: sso.saml?.name ?? null },
    'single sign-on configuration',
  );

  // the OIDC and SAML libraries are loaded only when a provider is configured (idle memory)
  const oidc = sso.oidc.length > 0 ? await import('./oidc.js') : undefined;
  const providers = new Map<string, OidcProvider>(
    oidc ? sso.oidc.map((cfg) => [cfg.name, new oidc.OidcProvider(cfg, rt)]) : [],
  );
  router.get('/oidc/:provider/login', async (req, res) => {
    const p = providers.get(String(req.params.provider));
    if (!p)
      throw new HttpError(
        404,
        'NOT_FOUND',
        `no single sign-on provider ${String(req.params.provider).slice(0, 40)}`,
      );
    await p.start(req, res);
  });
  const callbackPaths = new Set<string>();
  for (const p of providers.values()) {
    const path = p.callbackPath;
    if (!path.startsWith('/auth/')) {
      rt.log.warn(
        { provider: p.name, callbackUrl: p.cfg.callbackUrl },
        'the OIDC callbackUrl is not under /auth/; the gateway will not route it to the api',
      );
      continue;
    }
    callbackPaths.add(path.slice('/auth'.length));
  }
  if (oidc)
    for (const path of callbackPaths)
      router.get(path, (req, res) => oidc.oidcCallback(rt, providers, req, res));

  const saml = sso.saml ? (await import('./saml.js')).mountSaml(router, rt, sso.saml) : undefined;

  const buttons = (returnTo: string) => {
    const q = returnTo && returnTo !== '/auth/whoami' ? `?returnTo=${encodeURIComponent(returnTo)}` : '';
    return [
      ...[...providers.values()].map((p) => ({
        name: p.name,
        label: p.cfg.label,
        href: `/auth/oidc/${p.name}/login${q}`,
      })),
      ...(saml ? [{ name: saml.name, label: saml.label, href: `/auth/saml/login${q}` }] : []),
    ];
  };
  router.get('/providers', (_req, res) => {
    res.json({
      local: sso.localEnabled,
      providers: [
        ...[...providers.values()].map((p) => ({
          name: p.name,
          label: p.cfg.label,
          protocol: 'oidc',
          loginUrl: `/auth/oidc/${p.name}/login`,
        })),
        ...(saml
          ? [
              {
                name: saml.name,
                label: saml.label,
                protocol: 'saml',
                loginUrl: '/auth/saml/login',
                metadataUrl: '/auth/saml/metadata',
              },
            ]
          : []),
      ],
    });
  });

  return {
    localEnabled: sso.localEnabled,
    hooks: {
      buttons,
      formActions: saml?.formActions ?? [],
      logoutRedirect: async (session, req) =>
        saml && session.method === 'saml' ? saml.logoutRedirect(session, req) : undefined,
    },
  };
}
