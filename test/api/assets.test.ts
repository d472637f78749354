// Asset cards on a real deployment: create/read/update, every validation error at once,
// lifecycle draft -> registered -> retired, list filters and search, stable keyset
// pagination with bounds, YAML/JSON import (including the upstream AIGRC layout) and
// export round trip, and bad input (malformed JSON, wrong media type, oversized bodies).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { call, card, client, startApiDeployment, type ApiEnv } from './support.js';

let env: ApiEnv;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  env = await startApiDeployment();
  api = client(env, env.adminKey);
});

afterAll(async () => {
  await env?.close();
});

describe('create, read, update', () => {
  it('creates a card with a generated AIGRC id, normalised jurisdictions and a compliance summary', async () => {
    const r = await api('POST', '/api/v1/assets', { body: card({ jurisdictions: ['eu', 'us-ca'] }) });
    expect(r.status).toBe(201);
    expect(r.body.id).toMatch(/^aigrc-\d{4}-[0-9a-f]{8}$/);
    expect(r.headers.get('location')).toBe(`/api/v1/assets/${r.body.id}`);
    expect(r.body).toMatchObject({
      status: 'draft',
      revision: 1,
      jurisdictions: ['EU', 'US-CA'],
      governance: { status: 'draft', approvals: [] },
    });
    expect(r.body.compliance).toMatchObject({ score: null });
    const got = await api('GET', `/api/v1/assets/${r.body.id}`);
    expect(got.body).toEqual(r.body);
  });

  it('reports every field error of a card at once, with paths', async () => {
    const r = await api('POST', '/api/v1/assets', {
      body: {
        name: '',
        owner: { name: 'x', email: 'not-mail', phone: '1' },
        technical: { type: 'robot' },
        classification: { riskLevel: 'extreme' },
        jurisdictions: ['Europe', 'DE', 'DE'],
        goldenThread: { system: 'jira', ref: 'AI-1', url: 'ftp://x' },
        surprise: true,
      },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_FAILED');
    const paths = r.body.error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(
      [
        'classification.riskLevel',
        'goldenThread.url',
        'jurisdictions[0]',
        'name',
        'owner.email',
        'owner.phone',
        'surprise',
        'technical.type',
      ].sort(),
    );
    // the duplicate is reported once the rest is valid
    const dup = await api('POST', '/api/v1/assets', { body: card({ jurisdictions: ['DE', 'de'] }) });
    expect(dup.body.error.details).toEqual([expect.objectContaining({ path: 'jurisdictions[1]' })]);
    const missing = await api('POST', '/api/v1/assets', { body: {} });
    expect(missing.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'classification',
      'name',
      'owner',
      'technical',
    ]);
  });

  it('refuses a duplicate card id with 409', async () => {
    const a = await api('POST', '/api/v1/assets', { body: card({ id: 'fraud-detector' }) });
    expect(a.status).toBe(201);
    const b = await api('POST', '/api/v1/assets', { body: card({ id: 'fraud-detector' }) });
    expect(b.status).toBe(409);
    expect(b.body.error.details[0].path).toBe('id');
  });

  it('updates with merge-patch semantics, optimistic revisions, and validates the merged card', async () => {
    const { body: created } = await api('POST', '/api/v1/assets', { body: card() });
    const p = await api('PATCH', `/api/v1/assets/${created.id}`, {
      body: {
        revision: 1,
        owner: { team: 'Credit Risk' },
        goldenThread: { system: 'jira', ref: 'AI-7' },
        technical: { model: null },
      },
    });
    expect(p.status).toBe(200);
    expect(p.body.revision).toBe(2);
    expect(p.body.owner).toEqual({ name: 'Ada Owner', email: 'ada@example.com', team: 'Credit Risk' });
    expect(p.body.technical.model).toBeUndefined();
    expect(p.body.goldenThread).toEqual({ system: 'jira', ref: 'AI-7' });
    const stale = await api('PATCH', `/api/v1/assets/${created.id}`, { body: { revision: 1, name: 'x' } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('REVISION_CONFLICT');
    const invalid = await api('PATCH', `/api/v1/assets/${created.id}`, {
      body: { classification: { riskLevel: 'huge' }, owner: { email: null } },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'classification.riskLevel',
      'owner.email',
    ]);
    const idChange = await api('PATCH', `/api/v1/assets/${created.id}`, {
      body: { id: 'other', status: 'retired' },
    });
    expect(idChange.status).toBe(400);
    const same = await api('PATCH', `/api/v1/assets/${created.id}`, { body: { name: p.body.name } });
    expect(same.body.revision).toBe(2);
  });

  it('answers 404 for unknown ids and ids that cannot exist', async () => {
    for (const id of [
      'aigrc-2020-deadbeef',
      '00000000-0000-0000-0000-000000000000',
      '%20bad%20id',
      'x'.repeat(300),
    ]) {
      const r = await api('GET', `/api/v1/assets/${id}`);
      expect(r.status, id).toBe(404);
      expect(r.body.error.code).toBe('NOT_FOUND');
    }
  });
});

describe('lifecycle', () => {
  it('moves draft -> registered -> retired only, and a retired card is read-only', async () => {
    const { body: a } = await api('POST', '/api/v1/assets', { body: card() });
    const skip = await api('POST', `/api/v1/assets/${a.id}/lifecycle`, { body: { status: 'retired' } });
    expect(skip.status).toBe(409);
    expect(skip.body.error).toMatchObject({
      code: 'INVALID_TRANSITION',
      details: [{ from: 'draft', to: 'retired', allowed: ['registered'] }],
    });
    const reg = await api('POST', `/api/v1/assets/${a.id}/lifecycle`, { body: { status: 'registered' } });
    expect(reg.body).toMatchObject({ status: 'registered', revision: 2 });
    expect(reg.body.registeredAt).not.toBeNull();
    const ret = await api('POST', `/api/v1/assets/${a.id}/lifecycle`, { body: { status: 'retired' } });
    expect(ret.body.status).toBe('retired');
    expect(
      (await api('POST', `/api/v1/assets/${a.id}/lifecycle`, { body: { status: 'registered' } })).status,
    ).toBe(409);
    const edit = await api('PATCH', `/api/v1/assets/${a.id}`, { body: { name: 'again' } });
    expect(edit.status).toBe(409);
    expect(edit.body.error.code).toBe('ASSET_RETIRED');
    expect(
      (await api('POST', `/api/v1/assets/${a.id}/lifecycle`, { body: { status: 'draft' } })).status,
    ).toBe(400);
  });
});

describe('listing', () => {
  const tag = `bulk${Date.now()}`;

  beforeAll(async () => {
    const cards = Array.from({ length: 130 }, (_, i) =>
      card({
        id: `${tag}-${String(i).padStart(3, '0')}`,
        name: `${i % 2 ? 'Fraud' : 'Churn'} model ${i}`,
        classification: {
          riskLevel: ['minimal', 'limited', 'high'][i % 3],
          rationale: 'bulk import for the listing tests',
        },
        jurisdictions: i % 5 === 0 ? ['US'] : ['EU'],
        technical: { type: i % 4 === 0 ? 'agent' : 'model' },
      }),
    );
    const r = await api('POST', '/api/v1/assets/import', { body: { cards } });
    expect(r.status, r.text).toBe(201);
    expect(r.body.created).toBe(130);
  });

  it('pages through every asset exactly once with the cursor, even when assets are added meanwhile', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: {
        status: number;
        body: { items: { id: string }[]; nextCursor: string | null; limit: number };
      } = await api('GET', `/api/v1/assets?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      expect(r.body.limit).toBe(50);
      seen.push(...r.body.items.map((a) => a.id));
      cursor = r.body.nextCursor;
      if (pages++ === 0) await api('POST', '/api/v1/assets', { body: card({ name: 'added while paging' }) });
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const bulk = seen.filter((id) => id.startsWith(tag));
    expect(bulk).toHaveLength(130);
    // newest first: the bulk rows share a timestamp and are ordered by id, descending
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('sorts by name in both directions with stable cursors', async () => {
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { body: { items: { name: string }[]; nextCursor: string | null } } = await api(
        'GET',
        `/api/v1/assets?sort=name&limit=37&q=${tag}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      names.push(...r.body.items.map((a) => a.name));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(names).toHaveLength(130);
    expect([...names].sort()).toEqual(names);
    const desc = await api('GET', `/api/v1/assets?sort=-name&limit=5&q=${tag}`);
    expect(desc.body.items[0].name).toBe([...names].sort().reverse()[0]);
    const mismatch = await api('GET', `/api/v1/assets?sort=-createdAt&cursor=${desc.body.nextCursor}`);
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.details[0].path).toBe('cursor');
  });

  it('filters by risk level, type, jurisdiction, status and searches by words and prefixes', async () => {
    const high = await api('GET', `/api/v1/assets?riskLevel=high&q=${tag}&limit=200`);
    expect(high.body.items.length).toBe(43);
    expect(
      high.body.items.every(
        (a: { classification: { riskLevel: string } }) => a.classification.riskLevel === 'high',
      ),
    ).toBe(true);
    const multi = await api('GET', `/api/v1/assets?riskLevel=high,minimal&type=agent&q=${tag}&limit=200`);
    expect(
      multi.body.items.every(
        (a: { technical: { type: string }; classification: { riskLevel: string } }) =>
          a.technical.type === 'agent' && a.classification.riskLevel !== 'limited',
      ),
    ).toBe(true);
    const us = await api('GET', `/api/v1/assets?jurisdiction=us&q=${tag}&limit=200`);
    expect(us.body.items.length).toBe(26);
    const fraud = await api('GET', `/api/v1/assets?q=fra%20${tag}&limit=200`);
    expect(fraud.body.items.length).toBe(65);
    expect(fraud.body.items.every((a: { name: string }) => a.name.startsWith('Fraud'))).toBe(true);
    const none = await api('GET', '/api/v1/assets?q=%20%2B%2B%20');
    expect(none.body.items).toEqual([]);
    const drafts = await api('GET', `/api/v1/assets?status=draft&q=${tag}&limit=1`);
    expect(drafts.body.items).toHaveLength(1);
    expect(drafts.body.nextCursor).not.toBeNull();
  });

  it('validates the query: bounds 1..200, known fields, enums, cursors', async () => {
    const cases: [string, string][] = [
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1.5', 'limit'],
      ['riskLevel=huge', 'riskLevel[0]'],
      ['sort=size', 'sort'],
      ['cursor=not-a-cursor', 'cursor'],
      ['owner=nobody', 'owner'],
      ['unknown=1', 'unknown'],
    ];
    for (const [qs, path] of cases) {
      const r = await api('GET', `/api/v1/assets?${qs}`);
      expect(r.status, qs).toBe(400);
      expect(
        r.body.error.details.map((d: { path: string }) => d.path),
        qs,
      ).toContain(path);
    }
  });
});

describe('import and export', () => {
  it('imports YAML in the upstream AIGRC layout and is idempotent', async () => {
    const upstream = {
      $schema: 'https://aigrc.dev/schemas/asset-card.json',
      id: 'aigrc-2025-0a1b2c3d',
      name: 'Upstream card',
      version: '1.2.0',
      created: '2025-01-01T00:00:00Z',
      updated: '2025-01-01T00:00:00Z',
      ownership: { owner: { name: 'Dee', email: 'dee@example.com' }, team: 'ML Platform' },
      technical: { type: 'api_client', framework: 'openai-sdk', sourceFiles: ['src/a.py'] },
      classification: {
        riskLevel: 'limited',
        riskFactors: { customerFacing: true, piiProcessing: 'no' },
        requiredArtifacts: [],
      },
      intent: {
        linked: true,
        ticketSystem: 'jira',
        ticketId: 'AI-42',
        ticketUrl: 'https://jira.example.com/browse/AI-42',
      },
      governance: {
        status: 'approved',
        approvals: [{ role: 'owner', name: 'Dee', date: '2025-01-02' }],
        deployment: { environments: [] },
      },
    };
    const first = await api('POST', '/api/v1/assets/import', {
      body: stringify(upstream),
      headers: { 'content-type': 'application/yaml' },
    });
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({ created: 1, updated: 0, unchanged: 0 });
    const got = await api('GET', '/api/v1/assets/aigrc-2025-0a1b2c3d');
    expect(got.body.owner).toEqual({ name: 'Dee', email: 'dee@example.com', team: 'ML Platform' });
    expect(got.body.goldenThread).toEqual({
      system: 'jira',
      ref: 'AI-42',
      url: 'https://jira.example.com/browse/AI-42',
    });
    const again = await api('POST', '/api/v1/assets/import', {
      body: stringify(upstream),
      headers: { 'content-type': 'application/yaml' },
    });
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    const changed = await api('POST', '/api/v1/assets/import', {
      body: stringify({ ...upstream, name: 'Upstream card v2' }),
      headers: { 'content-type': 'text/yaml' },
    });
    expect(changed.body).toMatchObject({ updated: 1 });
  });

  it('reports every problem of every card in a multi-document import and imports nothing', async () => {
    const yaml = [
      stringify(card({ id: 'imp-ok-1' })),
      stringify([
        card({ id: 'imp-bad', owner: { name: 'x' } }),
        card({ id: 'imp-ok-1', classification: { riskLevel: 'nope' } }),
      ]),
    ].join('---\n');
    const r = await api('POST', '/api/v1/assets/import', {
      body: yaml,
      headers: { 'content-type': 'application/yaml' },
    });
    expect(r.status).toBe(400);
    const paths = r.body.error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(['documents[1][0].owner.email', 'documents[1][1].classification.riskLevel']);
    expect((await api('GET', '/api/v1/assets/imp-ok-1')).status).toBe(404);
    const dup = await api('POST', '/api/v1/assets/import', {
      body: [card({ id: 'dup-1' }), card({ id: 'dup-1' })],
    });
    expect(dup.body.error.details).toEqual([expect.objectContaining({ path: '[1].id', code: 'duplicate' })]);
    const syntax = await api('POST', '/api/v1/assets/import', {
      body: 'name: [unclosed',
      headers: { 'content-type': 'application/yaml' },
    });
    expect(syntax.status).toBe(400);
    expect(syntax.body.error.details[0].message).toMatch(/line \d+/);
    const dry = await api('POST', '/api/v1/assets/import?dryRun=true', { body: [card({ id: 'dry-1' })] });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, created: 1 });
    expect((await api('GET', '/api/v1/assets/dry-1')).status).toBe(404);
  });

  it('exports YAML and JSON that import back unchanged', async () => {
    const yaml = await api('GET', '/api/v1/assets/export?format=yaml&riskLevel=limited');
    expect(yaml.status).toBe(200);
    expect(yaml.headers.get('content-type')).toMatch(/application\/yaml/);
    const doc = parse(yaml.text) as { kind: string; cards: { id: string; status: string }[] };
    expect(doc.kind).toBe('AssetCardList');
    expect(doc.cards.length).toBeGreaterThan(0);
    const back = await api('POST', '/api/v1/assets/import', {
      body: yaml.text,
      headers: { 'content-type': 'application/yaml' },
    });
    expect(back.status).toBe(201);
    expect(back.body.unchanged).toBe(doc.cards.length);
    const json = await api('GET', '/api/v1/assets/aigrc-2025-0a1b2c3d/export?format=json');
    expect(JSON.parse(json.text)).toMatchObject({ id: 'aigrc-2025-0a1b2c3d', status: 'draft' });
    expect((await api('GET', '/api/v1/assets/export?format=xml')).status).toBe(400);
  });

  it('refuses to change retired cards by import', async () => {
    const { body: a } = await api('POST', '/api/v1/assets', { body: card({ id: 'to-retire' }) });
    await api('POST', `/api/v1/assets/${a.id}/lifecycle`, { body: { status: 'registered' } });
    await api('POST', `/api/v1/assets/${a.id}/lifecycle`, { body: { status: 'retired' } });
    const r = await api('POST', '/api/v1/assets/import', {
      body: [card({ id: 'to-retire', name: 'changed' })],
    });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('ASSET_RETIRED');
  });
});

describe('bad input', () => {
  it('answers malformed JSON, wrong media types and oversized bodies in the envelope', async () => {
    const bad = await call(env, 'POST', '/api/v1/assets', {
      key: env.adminKey,
      body: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_JSON');
    const form = await call(env, 'POST', '/api/v1/assets', {
      key: env.adminKey,
      body: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect(form.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const huge = await api('POST', '/api/v1/assets', { body: card({ description: 'x'.repeat(300_000) }) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const hugeImport = await call(env, 'POST', '/api/v1/assets/import', {
      key: env.adminKey,
      body: 'x'.repeat(6 * 1024 * 1024),
      headers: { 'content-type': 'application/yaml' },
    });
    expect(hugeImport.status).toBe(413);
    const array = await api('POST', '/api/v1/assets', { body: [card()] });
    expect(array.status).toBe(400);
  });
});
