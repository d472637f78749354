// CORS on a real deployment: the public URL's origin and CORS_ORIGINS get answers a
// browser accepts (preflight before authentication, credentials, exposed headers);
// any other origin gets no CORS headers, so the browser refuses to hand it the response.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startApiDeployment, type ApiEnv } from './support.js';

let env: ApiEnv;

beforeAll(async () => {
  env = await startApiDeployment();
  ALLOWED = new URL(env.gateway).origin;
});

afterAll(async () => {
  await env?.close();
});

// the local target allows its public URL and the gateway's own URL
let ALLOWED: string;

const preflight = (origin: string, path = '/api/v1/assets') =>
  call(env, 'OPTIONS', path, {
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });

describe('CORS', () => {
  it('answers a preflight from an allowed origin without credentials', async () => {
    for (const path of ['/api/v1/assets', '/v1/events', '/graphql']) {
      const r = await preflight(ALLOWED, path);
      expect(r.status, path).toBe(204);
      expect(r.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect(r.headers.get('access-control-allow-credentials')).toBe('true');
      expect(r.headers.get('access-control-allow-methods')).toContain('POST');
      expect(r.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    }
  });

  it('exposes the request id and rate-limit headers to an allowed origin', async () => {
    const r = await call(env, 'GET', '/api/v1/assets', { key: env.adminKey, headers: { origin: ALLOWED } });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(r.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
  });

  it('gives another origin no CORS headers', async () => {
    const pre = await preflight('https://evil.example');
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const r = await call(env, 'GET', '/api/v1/assets', {
      key: env.adminKey,
      headers: { origin: 'https://evil.example' },
    });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });
});
