// The public URL routes each path family to the right service, through the real proxy
// configuration: /health (gateway), /api/ and /v1/ (api), /ca/ (CA), /graphql, /auth/
// and the /ws upgrade (api tier), / (web dashboard); /metrics is not public.
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Scenario, ScenarioContext } from '../../harness/src/runner/scenario.js';
import { TROUBLESHOOTING } from '../common/remediation.js';

const ROUTE_FIX =
  'The proxy routes this path to the wrong place: compare its location blocks with nginx/nginx.conf.template (/api/, /v1/, /graphql, /ws, /auth/ -> gateway; /ca/ -> ca with the prefix stripped; / -> web).';

/** An HTTP/1.1 WebSocket upgrade request; resolves with the status (101 on success). */
function upgrade(
  url: string,
  ca: string | undefined,
  signal: AbortSignal,
): Promise<{ status: number; error?: string }> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, {
      method: 'GET',
      agent: false,
      timeout: 5_000,
      signal,
      ...(u.protocol === 'https:' ? { ca } : {}),
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101 });
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', (err) => resolve({ status: 0, error: err.message }));
    req.end();
  });
}

async function jsonFrom(ctx: ScenarioContext, path: string, service: string): Promise<void> {
  const res = await ctx.http({ url: path, headers: { Accept: 'application/json' } });
  const body = res.json<{ service?: string }>();
  ctx.check({
    id: `route-${path.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}`,
    title: `GET ${path} is answered by the ${service} service`,
    pass: res.status === 200 && body?.service === service,
    expected: { status: 200, service },
    actual: { status: res.error ?? res.status, service: body?.service ?? null },
    remediation: res.status === 502 ? TROUBLESHOOTING.badGateway : ROUTE_FIX,
    evidence: [res],
  });
}

async function reachesApiTier(ctx: ScenarioContext, method: string, path: string): Promise<void> {
  const res = await ctx.http({
    method,
    url: path,
    headers: { Accept: 'application/json' },
    json: method === 'POST' ? {} : undefined,
  });
  const type = String(res.headers['content-type'] ?? '');
  ctx.check({
    id: `route-${method.toLowerCase()}-${path.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}`,
    title: `${method} ${path} reaches the API tier (a JSON answer, not the dashboard's HTML)`,
    pass: res.status > 0 && res.status !== 502 && res.status !== 504 && /json/.test(type),
    expected: 'a JSON answer from the api service (any status but 502/504)',
    actual: `${res.error ?? res.status} ${type}`,
    remediation: res.status === 502 ? TROUBLESHOOTING.badGateway : ROUTE_FIX,
    evidence: [res],
  });
}

export const routing: Scenario = {
  id: 'cp-02.routing',
  title: 'Public routes reach the right service (/health, /api/, /v1/, /ca/, /graphql, /auth/, /ws, /)',
  dependsOn: ['cp-02.health'],
  timeoutMs: 30_000,
  async run(ctx) {
    await jsonFrom(ctx, '/health', 'gateway');
    await jsonFrom(ctx, '/api/v1/health', 'api');
    await jsonFrom(ctx, '/v1/health', 'api');
    await jsonFrom(ctx, '/ca/health', 'ca');
    await reachesApiTier(ctx, 'POST', '/graphql');
    await reachesApiTier(ctx, 'GET', '/auth/aigos-harness-probe');

    const page = await ctx.http({ url: '/', headers: { Accept: 'text/html' } });
    ctx.check({
      id: 'route-web',
      title: 'GET / serves the dashboard (HTML)',
      pass:
        page.status === 200 &&
        /text\/html/.test(String(page.headers['content-type'])) &&
        /<html/i.test(page.text),
      expected: '200 text/html',
      actual: `${page.error ?? page.status} ${page.headers['content-type'] ?? ''}`,
      remediation: page.status === 502 ? TROUBLESHOOTING.badGateway : ROUTE_FIX,
      evidence: [page],
    });

    const metrics = await ctx.http({ url: '/metrics', headers: { Accept: 'text/plain' } });
    const exposed = metrics.status === 200 && /^# (HELP|TYPE) /m.test(metrics.text);
    ctx.check({
      id: 'metrics-not-public',
      title: 'GET /metrics is not served on the public URL (metrics are scraped inside the deployment)',
      pass: !exposed,
      expected: 'not Prometheus metrics',
      actual: exposed ? '200 with Prometheus metrics' : `${metrics.status}`,
      remediation:
        'Do not expose /metrics publicly: it reveals routes, versions and load. Scrape the services directly (ServiceMonitor) and answer 404 at the proxy (location = /metrics).',
      evidence: [metrics],
    });

    // /ws: the upgrade must pass through the proxy (Upgrade/Connection headers forwarded)
    const wsUrl = ctx.target.url('/ws');
    const viaPublic = await upgrade(wsUrl, ctx.target.caBundle, ctx.signal);
    const upgraded = (s: number) => s === 101 || s === 401 || s === 403;
    if (upgraded(viaPublic.status)) {
      ctx.check({
        id: 'route-ws-upgrade',
        title: 'GET /ws with Upgrade: websocket is switched (or refused for auth) by the api tier',
        pass: true,
        expected: '101 (or 401/403 before authentication)',
        actual: viaPublic.status,
      });
      return;
    }
    // not upgraded: does the deployment accept upgrades at all (directly at the gateway)?
    const gateway = ctx.target.services.gateway;
    const direct = gateway ? await upgrade(`${gateway}/ws`, undefined, ctx.signal) : undefined;
    if (direct && !upgraded(direct.status)) {
      ctx.check({
        id: 'route-ws-upgrade',
        title: 'GET /ws with Upgrade: websocket is switched by the api tier',
        status: 'skipped',
        skipReason: `the gateway itself does not switch /ws (${direct.error ?? direct.status}): requires the realtime API (events issue)`,
      });
      return;
    }
    ctx.check({
      id: 'route-ws-upgrade',
      title: 'GET /ws with Upgrade: websocket is switched (or refused for auth) by the api tier',
      pass: false,
      expected: '101 (or 401/403 before authentication)',
      actual: `${viaPublic.error ?? viaPublic.status}${direct ? ` (directly at the gateway: ${direct.status})` : ''}`,
      remediation:
        'The proxy does not pass WebSocket upgrades: in location /ws set proxy_http_version 1.1, proxy_set_header Upgrade $http_upgrade and Connection $connection_upgrade, and a long proxy_read_timeout.',
    });
  },
};
