// Asset card validation details without a database.
import { describe, expect, it } from 'vitest';
import { assetCardInput, fromUpstreamLayout, mergePatch } from './schema.js';

const card = {
  name: 'x',
  owner: { name: 'o', email: 'o@example.com' },
  technical: { type: 'model' },
  classification: { riskLevel: 'minimal' },
};

describe('asset card schema', () => {
  it('fills defaults and normalises jurisdictions', () => {
    const r = assetCardInput.parse({ ...card, jurisdictions: ['de', ' us-ca '] });
    expect(r.jurisdictions).toEqual(['DE', 'US-CA']);
    expect(r.governance).toEqual({ status: 'draft', approvals: [] });
  });

  it('maps the upstream layout and drops server-managed fields', () => {
    const up = fromUpstreamLayout({
      ...card,
      owner: undefined,
      ownership: { owner: { name: 'o', email: 'o@example.com' }, team: 't' },
      intent: { linked: false, ticketSystem: null, ticketId: null },
      status: 'registered',
      compliance: { score: 1 },
    }) as Record<string, unknown>;
    expect(up.owner).toEqual({ name: 'o', email: 'o@example.com', team: 't' });
    expect(up.goldenThread).toBeNull();
    expect(up.status).toBeUndefined();
    expect(assetCardInput.safeParse(up).success).toBe(true);
  });

  it('merge patch: objects merge, null deletes, arrays and scalars replace', () => {
    expect(
      mergePatch({ a: { b: 1, c: 2 }, d: [1, 2], e: 'x' }, { a: { b: null, z: 3 }, d: [3], e: 'y' }),
    ).toEqual({ a: { c: 2, z: 3 }, d: [3], e: 'y' });
  });
});
