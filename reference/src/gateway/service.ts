// API gateway (:3000): the single entry behind nginx. Routes /api/v1/* and /v1/* to the
// API server, /ca/* to the CA service (prefix stripped) and everything else to the web
// dashboard. An unreachable upstream answers 502 in the error envelope, naming it.
import { Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RequestHandler } from 'express';
import { createProxyMiddleware, type Options } from 'http-proxy-middleware';
import { required } from '../common/config.js';
import type { ErrorBody } from '../common/errors.js';
import type { ServiceDefinition } from '../common/service.js';

type Upstream = 'api' | 'ca' | 'web';
type UpgradeCapable = { upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void };

// Upstream connections are reused: a new TCP connection per proxied request costs more
// than the request itself on a small machine. Idle sockets are dropped after 30 s, well
// before the services' 65 s keep-alive timeout, so the gateway never writes to a socket
// the upstream is closing. (WebSocket upgrades leave the pool once upgraded.)
function upstreamAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 30_000 });
}

function proxyTo(upstream: Upstream, target: string, extra: Partial<Options> = {}) {
  return createProxyMiddleware<IncomingMessage, ServerResponse>({
    target,
    agent: upstreamAgent(),
    changeOrigin: false,
    xfwd: true,
    proxyTimeout: 60_000,
    ...extra,
    on: {
      proxyReq: (proxyReq, req) => {
        const id = (req as { id?: string }).id;
        if (id) proxyReq.setHeader('X-Request-Id', id);
      },
      error: (err, req, resOrSocket) => {
        const res = resOrSocket as ServerResponse | Socket;
        if (!('writeHead' in res)) {
          res.destroy();
          return;
        }
        const requestId = (req as { id?: string }).id ?? 'unknown';
        const code = (err as NodeJS.ErrnoException).code ?? 'ERROR';
        const body: ErrorBody = {
          error: {
            code: 'UPSTREAM_UNAVAILABLE',
            message: `the ${upstream} service did not answer (${code}); check that it is running and healthy`,
            requestId,
          },
        };
        if (!res.headersSent) {
          res.writeHead(502, {
            'Content-Type': 'application/json; charset=utf-8',
            'X-Request-Id': requestId,
          });
        }
        res.end(JSON.stringify(body));
      },
    },
  }) as unknown as RequestHandler;
}

export const gateway: ServiceDefinition = {
  name: 'gateway',
  port: (config) => required(config, 'GATEWAY_PORT'),
  dependencies: ['postgres', 'redis', 'storage'],
  mount(app, ctx) {
    const { config } = ctx;
    // label metrics by upstream, not by raw path (bounded label set)
    const label =
      (route: string): RequestHandler =>
      (_req, res, next) => {
        res.locals.metricsRoute = route;
        next();
      };
    // REST (both base paths), GraphQL, the WebSocket and the login flows live in the api service
    const apiPrefixes = ['/api/v1', '/v1', '/graphql', '/ws', '/auth'];
    const toApi = proxyTo('api', required(config, 'API_UPSTREAM_URL'), {
      ws: true,
      pathFilter: (path) =>
        apiPrefixes.some((p) => path === p || path.startsWith(`${p}/`) || path.startsWith(`${p}?`)),
    });
    app.use(apiPrefixes, label('proxy:api'));
    app.use(toApi);
    ctx.onUpgrade = (req, socket, head) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/ws' || path.startsWith('/ws/'))
        (toApi as unknown as UpgradeCapable).upgrade(req, socket, head);
      else socket.destroy();
    };
    // mounted: Express strips /ca so the CA sees its own paths (/api/v1/...)
    app.use('/ca', label('proxy:ca'), proxyTo('ca', required(config, 'CA_UPSTREAM_URL')));
    app.use(label('proxy:web'), proxyTo('web', required(config, 'WEB_UPSTREAM_URL')));
  },
};
