// CA service (:3003): certificate authority for Certified Governed Agents. Routes live
// under /api/v1 on this service (contracts.md §4) and under /ca/ through the gateway.
// Key material is loaded and cross-checked at start: a bad file stops the service with
// one line naming its variable. Without any key material configured the service still
// starts (health and readiness answer) and every CA route answers 503 CA_NOT_CONFIGURED.
import { ConfigError, required } from '../common/config.js';
import type { ServiceDefinition } from '../common/service.js';
import { CrlPublisher } from './crl-publisher.js';
import { OcspResponder } from './ocsp-responder.js';
import { CaMaterialError, loadCaMaterial } from './pki/material.js';
import { caRouter, notConfiguredRouter } from './routes.js';
import { PATH_VARIABLES, caSettings } from './settings.js';
import { StatusCache } from './status-cache.js';

export const ca: ServiceDefinition = {
  name: 'ca',
  port: (config) => required(config, 'CA_PORT'),
  dependencies: ['postgres', 'redis', 'storage'],
  async mount(app, ctx) {
    const version = required(ctx.config, 'AIGOS_VERSION');
    app.get('/api/v1/health', (_req, res) => {
      res.json({ status: ctx.isShuttingDown() ? 'shutting-down' : 'ok', service: 'ca', version });
    });
    const settings = caSettings(ctx.config);
    if (!settings.paths) {
      ctx.log.warn(
        'no CA key material configured (CA_ROOT_CERT_PATH, SIGNING_KEY_PATH): CA routes answer 503',
      );
      app.use(notConfiguredRouter());
      return;
    }
    const material = await loadCaMaterial(settings.paths, PATH_VARIABLES).catch((err: unknown) => {
      if (err instanceof CaMaterialError) throw new ConfigError(err.variable, err.message);
      throw err;
    });
    const pool = ctx.pool!;
    const publisher = new CrlPublisher(pool, material);
    const statuses = new StatusCache(pool, ctx.log, ctx.redis);
    statuses.start();
    const responder = new OcspResponder(statuses, material);
    ctx.readiness.keys = async () => {
      const now = Date.now();
      if (material.issuing.notAfter.getTime() <= now)
        throw new Error('the issuing CA certificate has expired');
      if (material.ocsp.notAfter.getTime() <= now)
        throw new Error('the OCSP responder certificate has expired');
    };
    // the dashboard's session cookie and the api's access tokens work here too; API keys last
    const { principalResolvers } = await import('../api/auth/mount.js');
    const { apiKeyResolver } = await import('../api/auth/middleware.js');
    const resolvers = [...(await principalResolvers(ctx)), apiKeyResolver(pool, ctx.log)];
    app.use(
      caRouter({ pool, log: ctx.log, ca: material, settings, publisher, responder, statuses, resolvers }),
    );
    ctx.log.info(
      { issuer: material.issuing.subject, ocsp: settings.urls.ocsp, crl: settings.urls.crl },
      'CA key material loaded',
    );
  },
};
