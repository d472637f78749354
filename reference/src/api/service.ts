// API server (:3002): business logic. The foundation serves the public health routes of
// the events API (contracts.md §3, GET /v1/health) under both base paths.
import type { RequestHandler } from 'express';
import { required } from '../common/config.js';
import type { ServiceDefinition } from '../common/service.js';

export const api: ServiceDefinition = {
  name: 'api',
  port: (config) => required(config, 'API_PORT'),
  dependencies: ['postgres', 'redis', 'storage'],
  mount(app, ctx) {
    const version = required(ctx.config, 'AIGOS_VERSION');
    const health: RequestHandler = (_req, res) => {
      res.json({ status: ctx.isShuttingDown() ? 'shutting-down' : 'ok', service: 'api', version });
    };
    app.get(['/api/v1/health', '/v1/health'], health);
  },
};
