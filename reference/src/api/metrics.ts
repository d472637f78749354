// Business gauges of the seed (CP-02 §8.1): aigos_asset_cards_total and
// aigos_compliance_score, per organization. Read from PostgreSQL when scraped, at most
// every 10 s (scrapes of several Prometheus replicas share one reading).
import { Gauge } from 'prom-client';
import type pg from 'pg';
import type { Metrics } from '../common/metrics.js';
import { withOrg } from '../common/tenancy.js';
import { orgScore } from './compliance/engine.js';

const MAX_ORGS = 200;
const TTL_MS = 10_000;

interface Reading {
  org: string;
  score: number | null;
  assets: { status: string; count: number }[];
}

export function registerBusinessGauges(metrics: Metrics, pool: pg.Pool): void {
  let cache: { at: number; readings: Promise<Reading[]> } | undefined;
  const read = async (): Promise<Reading[]> => {
    const orgs = await pool.query<{ id: string; slug: string }>(
      `SELECT id, slug FROM organizations ORDER BY slug LIMIT ${MAX_ORGS}`,
    );
    const out: Reading[] = [];
    for (const o of orgs.rows) {
      out.push(
        await withOrg(pool, o.id, async (c) => {
          const counts = await c.query<{ status: string; n: string }>(
            `SELECT status, count(*)::text AS n FROM asset_cards WHERE organization_id = $1 GROUP BY status`,
            [o.id],
          );
          return {
            org: o.slug,
            score: (await orgScore(c, o.id)).score,
            assets: counts.rows.map((r) => ({ status: r.status, count: Number(r.n) })),
          };
        }),
      );
    }
    return out;
  };
  const readings = () => {
    if (!cache || Date.now() - cache.at > TTL_MS) {
      cache = { at: Date.now(), readings: read() };
      cache.readings.catch(() => (cache = undefined));
    }
    return cache.readings;
  };

  new Gauge({
    name: 'aigos_asset_cards_total',
    help: 'Asset cards per organization and lifecycle status',
    labelNames: ['org', 'status'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const r of await readings().catch(() => [])) {
        for (const status of ['draft', 'registered', 'retired'])
          this.set({ org: r.org, status }, r.assets.find((a) => a.status === status)?.count ?? 0);
      }
    },
  });
  new Gauge({
    name: 'aigos_compliance_score',
    help: 'Average compliance score (0-100) of the non-retired assets of an organization against its active policy packs',
    labelNames: ['org'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const r of await readings().catch(() => []))
        if (r.score !== null) this.set({ org: r.org }, r.score);
    },
  });
}
