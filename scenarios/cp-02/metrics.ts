// Checklist "MONITORING: metrics being collected", with the seed's names (CP-02 §8.1).
import { parsePrometheus } from '../../harness/src/drivers/prometheus.js';
import type { Scenario } from '../../harness/src/runner/scenario.js';

/** The seed's request and pool metrics, which every service with HTTP and a pool exposes. */
export const SEED_METRICS = {
  aigos_api_request_duration_seconds: 'histogram',
  aigos_api_requests_total: 'counter',
  aigos_db_connections_active: 'gauge',
} as const;

/** The seed's business metrics (asset cards, compliance score), exposed by the api service. */
export const SEED_BUSINESS_METRICS = {
  aigos_asset_cards_total: 'gauge',
  aigos_compliance_score: 'gauge',
} as const;

const FIX =
  'Expose Prometheus metrics at GET /metrics on every service with the seed names (aigos_api_request_duration_seconds, aigos_api_requests_total, aigos_db_connections_active, aigos_asset_cards_total, aigos_compliance_score), so the ServiceMonitor and the alerts of CP-02 §8.1 find them.';

export const metrics: Scenario = {
  id: 'cp-02.metrics',
  title: "Metrics exposed with the seed's names and being collected",
  dependsOn: ['cp-02.health'],
  async run(ctx) {
    const urls = Object.entries(ctx.target.metricsUrls);
    if (!urls.length)
      return ctx.skip("needs where the services' metrics are scraped (--metrics-url for a url target)");
    let apiFamilies: ReturnType<typeof parsePrometheus> | undefined;
    const all = new Map<string, { type?: string }>();
    for (const [service, url] of urls) {
      ctx.note(service);
      const res = await ctx.http({
        url: url!,
        headers: { Accept: 'text/plain' },
        label: `${service} metrics`,
      });
      const families = parsePrometheus(res.status === 200 ? res.text : '');
      if (service === 'api') apiFamilies = families;
      for (const [k, v] of families) all.set(k, v);
      ctx.check({
        id: `${service}-metrics-endpoint`,
        title: `${service}: GET /metrics answers Prometheus text`,
        pass: res.status === 200 && families.size > 0,
        expected: '200 with metric families',
        actual: `${res.error ?? res.status}, ${families.size} families`,
        remediation: FIX,
        evidence: [res],
      });
      for (const [name, type] of Object.entries(SEED_METRICS)) {
        if (name === 'aigos_db_connections_active' && service === 'web') continue; // holds no database pool
        const f = families.get(name);
        ctx.check({
          id: `${service}-${name}`,
          title: `${service}: ${name} (${type})`,
          pass: f?.type === type,
          expected: type,
          actual: f ? (f.type ?? 'untyped') : 'absent',
          remediation: FIX,
          evidence: [res],
        });
      }
      const total = families.get('aigos_api_requests_total');
      ctx.check({
        id: `${service}-collecting`,
        title: `${service}: requests are being counted`,
        pass: (total?.samples ?? 0) > 0,
        expected: 'aigos_api_requests_total has samples',
        actual: `${total?.samples ?? 0} series`,
        remediation: FIX,
        evidence: [res],
      });
    }
    // business metrics: the api's (or, for a single scrape URL, wherever they are)
    const business = apiFamilies ?? all;
    for (const [name, type] of Object.entries(SEED_BUSINESS_METRICS)) {
      const f = business.get(name);
      ctx.check({
        id: `api-${name}`,
        title: `${apiFamilies ? 'api' : 'scraped metrics'}: ${name} (${type})`,
        pass: f?.type === type,
        expected: type,
        actual: f ? (f.type ?? 'untyped') : 'absent',
        remediation: FIX,
      });
    }
  },
};
