// Prometheus metrics with the seed's names (CP-02 §8). One registry per process;
// every service exposes it at GET /metrics.
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  requestDuration: Histogram<'service' | 'method' | 'route' | 'status'>;
  requestsTotal: Counter<'service' | 'method' | 'route' | 'status'>;
  dbConnectionsActive: Gauge<'service'>;
}

export function createMetrics(service: string, version: string, activeDbConnections?: () => number): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service, version });
  collectDefaultMetrics({ register: registry, prefix: 'aigos_process_' });
  const labelNames = ['service', 'method', 'route', 'status'] as const;
  return {
    registry,
    requestDuration: new Histogram({
      name: 'aigos_api_request_duration_seconds',
      help: 'HTTP request latency in seconds',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers: [registry],
    }),
    requestsTotal: new Counter({
      name: 'aigos_api_requests_total',
      help: 'HTTP requests served',
      labelNames,
      registers: [registry],
    }),
    dbConnectionsActive: new Gauge({
      name: 'aigos_db_connections_active',
      help: 'PostgreSQL connections checked out of the pool',
      labelNames: ['service'],
      registers: [registry],
      collect() {
        if (activeDbConnections) this.set({ service }, activeDbConnections());
      },
    }),
  };
}

/**
 * Count and time every request. The route label is the matched Express route or a
 * fixed name given by the mount (for proxied prefixes), never the raw path, so the
 * label set stays bounded whatever clients send.
 */
export function metricsMiddleware(metrics: Metrics, service: string): RequestHandler {
  return (req, res, next) => {
    const end = metrics.requestDuration.startTimer();
    res.on('finish', () => {
      const route: string =
        (res.locals.metricsRoute as string | undefined) ??
        (req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched');
      const labels = { service, method: req.method, route, status: String(res.statusCode) };
      end(labels);
      metrics.requestsTotal.inc(labels);
    });
    next();
  };
}

export function metricsHandler(metrics: Metrics): RequestHandler {
  return async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  };
}
