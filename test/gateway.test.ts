// The gateway of a real local deployment: request ids, metrics, the 502 envelope when
// an upstream is down, and readiness that follows Redis down and back up without a
// restart. One deployment serves the whole file; components are stopped and started
// through the supervisor's control socket and always restarted before the test ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Component } from '../harness/src/targets/target.js';
import { http, type HttpResult, pollUntil, TestDeployment } from './support/harness.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Readiness {
  status: string;
  service: string;
  down?: string[];
  checks: Record<string, { status: 'ok' | 'down'; latencyMs: number; error?: string }>;
}

let dep: TestDeployment;
let gateway: string;

beforeAll(async () => {
  dep = await TestDeployment.start();
  gateway = dep.endpoints.gateway;
});

afterAll(async () => {
  await dep?.destroy();
});

/** Stop a component for the duration of fn; it is started again whatever happens. */
async function whileStopped(component: Component, fn: () => Promise<void>): Promise<void> {
  await dep.handle.stopComponent(component);
  try {
    await fn();
  } finally {
    await dep.handle.startComponent(component);
  }
}

async function servicePids(): Promise<Record<string, number | undefined>> {
  const { components } = await dep.status();
  return Object.fromEntries(['gateway', 'api', 'ca', 'web'].map((s) => [s, components[s as Component]?.pid]));
}

describe('request ids', () => {
  it('echoes a valid incoming X-Request-Id', async () => {
    const res = await http(`${gateway}/health`, { headers: { 'X-Request-Id': 'test-echo.1234:abc_DEF' } });
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe('test-echo.1234:abc_DEF');
  });

  it('carries the id through the proxy to the api and back', async () => {
    const res = await http(`${gateway}/api/v1/health`, {
      headers: { 'X-Request-Id': 'test-through-proxy-1' },
    });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ service: 'api' });
    expect(res.headers['x-request-id']).toBe('test-through-proxy-1');
  });

  it('generates a fresh id when none is sent', async () => {
    const [a, b] = await Promise.all([http(`${gateway}/health`), http(`${gateway}/health`)]);
    expect(a.headers['x-request-id']).toMatch(UUID);
    expect(b.headers['x-request-id']).toMatch(UUID);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });

  it('accepts an id of 128 characters, the longest allowed', async () => {
    const id = 'a'.repeat(128);
    expect(
      (await http(`${gateway}/health`, { headers: { 'X-Request-Id': id } })).headers['x-request-id'],
    ).toBe(id);
  });

  it.each([
    ['300 characters long', 'a'.repeat(300)],
    ['containing spaces', 'has spaces in it'],
    ['containing markup', '<script>alert(1)</script>'],
  ])('replaces an invalid id %s with a generated one', async (_what, id) => {
    const res = await http(`${gateway}/health`, { headers: { 'X-Request-Id': id } });
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).not.toBe(id);
    expect(res.headers['x-request-id']).toMatch(UUID);
  });
});

describe('metrics', () => {
  it('exposes the request, latency and database-connection metrics on /metrics', async () => {
    await http(`${gateway}/health`);
    const res = await http(`${gateway}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('# TYPE aigos_api_request_duration_seconds histogram');
    expect(res.text).toContain('# TYPE aigos_api_requests_total counter');
    expect(res.text).toContain('# TYPE aigos_db_connections_active gauge');
    // with samples, not only declarations
    expect(res.text).toMatch(/^aigos_api_request_duration_seconds_bucket\{.*service="gateway".*\} \d+/m);
    expect(res.text).toMatch(/^aigos_api_requests_total\{.*route="\/health".*\} [1-9]\d*/m);
    expect(res.text).toMatch(/^aigos_db_connections_active\{.*service="gateway".*\} \d+/m);
  });
});

describe('an upstream that is down', () => {
  it.each([
    ['api', '/api/v1/health'],
    ['ca', '/ca/api/v1/health'],
  ] as const)(
    'the gateway answers 502 UPSTREAM_UNAVAILABLE naming %s, and 200 once it is back',
    async (upstream, path) => {
      const before = await http(`${gateway}${path}`);
      expect(before.status).toBe(200);

      const requestId = `test-upstream-down-${upstream}`;
      let down: HttpResult | undefined;
      await whileStopped(upstream, async () => {
        down = await http(`${gateway}${path}`, { headers: { 'X-Request-Id': requestId } });
      });

      expect(down!.status).toBe(502);
      expect(down!.headers['content-type']).toMatch(/^application\/json/);
      expect(down!.headers['x-request-id']).toBe(requestId);
      const body = down!.json() as { error: { code: string; message: string; requestId: string } };
      expect(body.error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(body.error.message).toMatch(new RegExp(`\\b${upstream}\\b`));
      expect(body.error.requestId).toBe(requestId);

      const after = await http(`${gateway}${path}`);
      expect(after.status).toBe(200);
      expect(after.json()).toMatchObject({ status: 'ok', service: upstream });
    },
  );
});

describe('readiness', () => {
  const ready = async () => {
    const res = await http(`${gateway}/health/ready`, { timeoutMs: 5_000 });
    return { status: res.status, body: res.json() as Readiness };
  };

  it('is 200 with postgres, redis, storage and migrations all ok', async () => {
    const { status, body } = await ready();
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.down).toBeUndefined();
    for (const check of ['postgres', 'redis', 'storage', 'migrations']) {
      expect(body.checks[check]?.status, check).toBe('ok');
    }
  });

  it('turns 503 naming redis within 5 s of Redis stopping, and 200 within 5 s of it returning, without restarting a service', async () => {
    const pidsBefore = await servicePids();
    expect(Object.values(pidsBefore).every((pid) => typeof pid === 'number')).toBe(true);

    let whenDown: { value: { status: number; body: Readiness }; elapsedMs: number } | undefined;
    await whileStopped('redis', async () => {
      whenDown = await pollUntil(
        'readiness reports redis down',
        async () => {
          const r = await ready();
          return r.status === 503 && r.body.down?.includes('redis') ? r : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 100 },
      );
    });

    expect(whenDown!.elapsedMs).toBeLessThan(5_000);
    const body = whenDown!.value.body;
    expect(body.status).toBe('unavailable');
    expect(body.down).toEqual(['redis']);
    expect(body.checks.redis?.status).toBe('down');
    expect(body.checks.redis?.error).toBeTruthy();
    expect(body.checks.postgres?.status).toBe('ok');

    // whileStopped has started Redis again
    const whenBack = await pollUntil(
      'readiness recovers',
      async () => ((await ready()).status === 200 ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(whenBack.elapsedMs).toBeLessThan(5_000);
    expect(await servicePids()).toEqual(pidsBefore);
  });
});
