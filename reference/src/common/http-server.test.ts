// createAppServer: requests and responses are born with Express's prototypes (so
// Express never has to change them), and Express behaves as with app.listen.
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppServer } from './http-server.js';

const app = express();
app.use(express.json());
app.post('/echo', (req, res) => {
  res
    .status(201)
    .set('X-Seen', req.get('x-probe') ?? 'none')
    .json({ body: req.body, path: req.path });
});
const server = createAppServer(app);
const born: { req: unknown; res: unknown }[] = [];
// runs before Express's handler: what Node created, before Express touched it
server.prependListener('request', (req, res) => {
  born.push({ req: Object.getPrototypeOf(req), res: Object.getPrototypeOf(res) });
});
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('createAppServer', () => {
  it("creates requests and responses with the app's prototypes", async () => {
    born.length = 0;
    await fetch(`${base}/echo`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(born).toHaveLength(1);
    expect(born[0]!.req).toBe(app.request);
    expect(born[0]!.res).toBe(app.response);
  });

  it('serves the app unchanged: body parsing, request and response helpers, keep-alive', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${base}/echo?x=1`, {
        method: 'POST',
        body: JSON.stringify({ n: i }),
        headers: { 'content-type': 'application/json', 'x-probe': `p${i}` },
      });
      expect(r.status).toBe(201);
      expect(r.headers.get('x-seen')).toBe(`p${i}`);
      expect(await r.json()).toEqual({ body: { n: i }, path: '/echo' });
    }
    const missing = await fetch(`${base}/nothing`);
    expect(missing.status).toBe(404);
  });
});
