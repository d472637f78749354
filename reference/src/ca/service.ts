// CA service (:3003): certificate authority for Certified Governed Agents. Routes live
// under /api/v1 on this service (contracts.md §4) and under /ca/ through the gateway.
import { required } from '../common/config.js';
import type { ServiceDefinition } from '../common/service.js';

export const ca: ServiceDefinition = {
  name: 'ca',
  port: (config) => required(config, 'CA_PORT'),
  dependencies: ['postgres', 'redis', 'storage'],
  mount(app, ctx) {
    const version = required(ctx.config, 'AIGOS_VERSION');
    app.get('/api/v1/health', (_req, res) => {
      res.json({ status: ctx.isShuttingDown() ? 'shutting-down' : 'ok', service: 'ca', version });
    });
  },
};
