// Policy packs, compliance evaluation, evidence and reports on a real deployment:
// built-in packs imported with the operator CLI, custom packs validated with every
// problem's path, per-control pass/fail/gap with reasons, scores recomputed when an
// asset, its evidence or a pack changes (with history), the seed's gauges, evidence in
// object storage (limits, allowlist, SHA-256, streamed download), and stored reports.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  call,
  card,
  client,
  createKey,
  createOrg,
  startApiDeployment,
  withDb,
  type ApiEnv,
} from './support.js';
import { getAssetCertificationFacts } from '../../reference/src/common/assets-read.js';

let env: ApiEnv;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  env = await startApiDeployment();
  api = client(env, env.adminKey);
  const r = await env.admin(
    'policy',
    'import',
    '--source',
    'built-in',
    '--policies',
    'eu-ai-act,nist-ai-rmf,iso-42001',
  );
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  await env?.close();
});

type Result = {
  packId: string;
  controlId: string;
  ref: string;
  status: string;
  applicable: boolean;
  reason: string;
};
const results = async (
  id: string,
): Promise<{ score: number | null; results: Result[]; passed: number; failed: number; gaps: number }> =>
  (await api('GET', `/api/v1/compliance/assets/${id}`)).body;
const control = (rs: Result[], packId: string, controlId: string) =>
  rs.find((r) => r.packId === packId && r.controlId === controlId)!;

function upload(
  assetId: string,
  fields: Record<string, string>,
  file: { data: Buffer | string; type: string; name?: string },
  key = env.adminKey,
) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([file.data], { type: file.type }), file.name ?? 'evidence.txt');
  return call(env, 'POST', `/api/v1/assets/${assetId}/evidence`, { key, body: form });
}

describe('policy packs', () => {
  it('lists the three built-in packs, active, with their controls and real identifiers', async () => {
    const r = await api('GET', '/api/v1/policy-packs?active=true');
    expect(r.body.items.map((p: { id: string }) => p.id).sort()).toEqual([
      'eu-ai-act',
      'iso-42001',
      'nist-ai-rmf',
    ]);
    const eu = await api('GET', '/api/v1/policy-packs/eu-ai-act');
    const refs = eu.body.definition.controls.map((c: { ref: string }) => c.ref);
    for (const ref of [
      'Art. 5',
      'Art. 6',
      'Art. 9',
      'Art. 10',
      'Art. 11',
      'Art. 12',
      'Art. 13',
      'Art. 14',
      'Art. 15',
    ])
      expect(refs).toContain(ref);
    const nist = await api('GET', '/api/v1/policy-packs/nist-ai-rmf');
    expect(nist.body.definition.controls.map((c: { ref: string }) => c.ref)).toEqual(
      expect.arrayContaining(['GOVERN 1.1', 'MAP 1.1', 'MEASURE 2.5', 'MANAGE 1.1']),
    );
    const iso = await api('GET', '/api/v1/policy-packs/iso-42001?format=yaml');
    expect(iso.text).toContain('A.6.2.8');
    expect(iso.text).toContain('Clause 6.1.2');
    // re-importing the same versions changes nothing
    const again = await env.admin(
      'policy',
      'import',
      '--source',
      'built-in',
      '--policies',
      'eu-ai-act,nist-ai-rmf,iso-42001',
      '--json',
    );
    expect(JSON.parse(again.stdout).packs.map((p: { result: string }) => p.result)).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
  });

  it('validates a custom pack and reports every problem with its path', async () => {
    const pack = {
      apiVersion: 'aigos.dev/v1',
      kind: 'PolicyPack',
      id: 'acme-internal',
      version: '1.0',
      name: 'ACME',
      framework: { name: 'ACME AI policy', reference: 'ACME-POL-7' },
      controls: [
        {
          id: 'team',
          ref: 'POL-7.1',
          title: 'Owning team',
          requirement: 'short',
          check: { field: 'owner.team', present: true },
        },
        {
          id: 'team',
          ref: 'POL-7.2',
          title: 'Dup',
          requirement: 'A requirement stated in enough words.',
          check: { field: 'owner.phone', present: true },
        },
        {
          id: 'x',
          ref: 'POL-7.3',
          title: 'Bad check',
          requirement: 'A requirement stated in enough words.',
          check: { all: [{ evidence: { kinds: ['Bad Kind'] } }, { frobnicate: 1 }] },
        },
      ],
    };
    const r = await api('POST', '/api/v1/policy-packs/import', {
      body: stringify(pack),
      headers: { 'content-type': 'application/yaml' },
    });
    expect(r.status).toBe(400);
    const paths = r.body.error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(
      [
        'version',
        'controls[0].requirement',
        'controls[1].id',
        'controls[1].check.field',
        'controls[2].check.all[0].evidence.kinds[0]',
        'controls[2].check.all[1]',
      ].sort(),
    );
    const reserved = await api('POST', '/api/v1/policy-packs/import', {
      body: {
        ...pack,
        id: 'eu-ai-act',
        version: '9.0.0',
        controls: [{ ...pack.controls[0], requirement: 'A requirement stated in enough words.' }],
      },
    });
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.details[0].code).toBe('reserved');
  });

  it('imports, activates and deactivates a custom pack; every asset is re-evaluated', async () => {
    const { body: a } = await api('POST', '/api/v1/assets', {
      body: card({ name: 'Custom pack subject', owner: { name: 'A', email: 'a@example.com' } }),
    });
    const before = await results(a.id);
    const pack = {
      apiVersion: 'aigos.dev/v1',
      kind: 'PolicyPack',
      id: 'acme-internal',
      version: '1.0.0',
      name: 'ACME internal AI policy',
      framework: { name: 'ACME AI policy', reference: 'ACME-POL-7' },
      controls: [
        {
          id: 'team',
          ref: 'POL-7.1',
          title: 'Owning team',
          requirement: 'Every AI system names its owning team.',
          check: { field: 'owner.team', present: true },
        },
        {
          id: 'no-high',
          ref: 'POL-7.2',
          title: 'No high risk without sign-off',
          requirement: 'High-risk systems need a recorded sign-off.',
          appliesWhen: { field: 'classification.riskLevel', equals: 'high' },
          check: { field: 'governance.approvals', minLength: 1, outcome: 'fail' },
        },
      ],
    };
    const imported = await api('POST', '/api/v1/policy-packs/import', { body: pack });
    expect(imported.status, imported.text).toBe(201);
    expect(imported.body.packs[0].result).toBe('imported');
    expect(imported.body.recompute.assets).toBeGreaterThan(0);
    const after = await results(a.id);
    expect(control(after.results, 'acme-internal', 'team')).toMatchObject({
      status: 'gap',
      reason: 'owner.team is not set',
    });
    expect(control(after.results, 'acme-internal', 'no-high')).toMatchObject({
      status: 'fail',
      applicable: true,
    });
    expect(after.results.length).toBe(before.results.length + 2);
    const conflict = await api('POST', '/api/v1/policy-packs/import', {
      body: { ...pack, name: 'changed without a new version' },
    });
    expect(conflict.status).toBe(409);
    const v2 = await api('POST', '/api/v1/policy-packs/import', {
      body: { ...pack, version: '1.1.0', controls: [pack.controls[0]] },
    });
    expect(v2.status).toBe(201);
    const list = await api('GET', '/api/v1/policy-packs');
    const acme = list.body.items.filter((p: { id: string }) => p.id === 'acme-internal');
    expect(acme.map((p: { version: string; active: boolean }) => [p.version, p.active])).toEqual([
      ['1.1.0', true],
      ['1.0.0', false],
    ]);
    const off = await api('POST', '/api/v1/policy-packs/acme-internal/deactivate');
    expect(off.status).toBe(200);
    expect((await results(a.id)).results.some((r) => r.packId === 'acme-internal')).toBe(false);
    const on = await api('POST', '/api/v1/policy-packs/acme-internal/activate', {
      body: { version: '1.0.0' },
    });
    expect(on.body).toMatchObject({ version: '1.0.0', active: true });
    await api('POST', '/api/v1/policy-packs/acme-internal/deactivate');
    expect((await api('POST', '/api/v1/policy-packs/acme-internal/deactivate')).status).toBe(409);
    expect((await api('POST', '/api/v1/policy-packs/nope/activate', { body: {} })).status).toBe(404);
  });
});

describe('evaluation', () => {
  it('unacceptable risk fails EU AI Act Art. 5 and scores 0', async () => {
    const { body: a } = await api('POST', '/api/v1/assets', {
      body: card({
        name: 'Social scoring',
        classification: {
          riskLevel: 'unacceptable',
          rationale: 'Scores citizens by social behaviour (Art. 5(1)(c))',
        },
      }),
    });
    const r = await results(a.id);
    expect(control(r.results, 'eu-ai-act', 'art-5')).toMatchObject({ status: 'fail', applicable: true });
    expect(control(r.results, 'eu-ai-act', 'art-5').reason).toMatch(/prohibited/);
    expect(control(r.results, 'nist-ai-rmf', 'manage-1.1').status).toBe('fail');
    expect(r.score).toBe(0);
    const facts = await withDb(env.appDbUrl, async (c) => {
      await c.query('BEGIN');
      const org = (await c.query<{ id: string }>(`SELECT id FROM organizations WHERE slug = 'default'`))
        .rows[0]!.id;
      await c.query(`SELECT set_config('app.org_id', $1, true)`, [org]);
      const f = await getAssetCertificationFacts(c, org, a.id);
      await c.query('COMMIT');
      return f;
    });
    expect(facts).toMatchObject({ id: a.id, name: 'Social scoring', status: 'draft', complianceScore: 0 });
    expect(facts!.failingControls).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ packId: 'eu-ai-act', controlId: 'art-5', status: 'fail' }),
      ]),
    );
  });

  it('the EU AI Act does not apply outside its scope; gaps name what is missing', async () => {
    const { body: us } = await api('POST', '/api/v1/assets', { body: card({ jurisdictions: ['US'] }) });
    const r = await results(us.id);
    const eu = r.results.filter((x) => x.packId === 'eu-ai-act');
    expect(eu.every((x) => !x.applicable && x.status === 'pass')).toBe(true);
    expect(eu[0]!.reason).toMatch(/^not applicable/);
    expect(control(r.results, 'nist-ai-rmf', 'measure-2.5')).toMatchObject({
      status: 'gap',
      reason: expect.stringMatching(/test-report/),
    });
  });

  it('evidence, card changes and registration raise the score; history keeps the trend', async () => {
    const { body: a } = await api('POST', '/api/v1/assets', { body: card({ name: 'Improving model' }) });
    const s0 = (await results(a.id)).score!;
    expect(control((await results(a.id)).results, 'eu-ai-act', 'art-9').status).toBe('gap');
    const up = await upload(
      a.id,
      { kind: 'risk-assessment' },
      { data: 'risk register v1', type: 'text/plain' },
    );
    expect(up.status, up.text).toBe(201);
    const s1 = await results(a.id);
    expect(control(s1.results, 'eu-ai-act', 'art-9').status).toBe('pass');
    expect(s1.score!).toBeGreaterThan(s0);
    await api('PATCH', `/api/v1/assets/${a.id}`, {
      body: { goldenThread: { system: 'jira', ref: 'AI-9' }, version: '1.0.0' },
    });
    const s2 = (await results(a.id)).score!;
    expect(s2).toBeGreaterThan(s1.score!);
    await api('POST', `/api/v1/assets/${a.id}/lifecycle`, { body: { status: 'registered' } });
    const s3 = await results(a.id);
    expect(control(s3.results, 'nist-ai-rmf', 'govern-1.6').status).toBe('pass');
    expect(s3.score!).toBeGreaterThan(s2);
    const history = await api('GET', `/api/v1/compliance/history?assetId=${a.id}`);
    const scores = history.body.items.map((h: { score: number }) => h.score);
    expect(scores.slice(0, 4)).toEqual([s3.score, s2, s1.score, s0]);
    expect(history.body.items.map((h: { trigger: string }) => h.trigger).slice(0, 4)).toEqual([
      'asset.registered',
      'asset.updated',
      'evidence.added',
      'asset.created',
    ]);
    const org = await api('GET', '/api/v1/compliance/history?bucket=day');
    expect(org.body.items.length).toBeGreaterThan(0);
    expect(org.body.items[0].assets).toBeGreaterThan(0);
    expect((await api('GET', '/api/v1/compliance/history?bucket=year')).status).toBe(400);
  });

  it('the summary and the seed gauges report the organization score', async () => {
    const summary = await api('GET', '/api/v1/compliance/summary');
    expect(summary.body.packs).toHaveLength(3);
    expect(typeof summary.body.score).toBe('number');
    const evaluated = await api('POST', '/api/v1/compliance/evaluate');
    expect(evaluated.body.orgScore.score).toBe(summary.body.score);
    const metrics = await (await fetch(`${env.dep.endpoints.api}/metrics`)).text();
    const score = Number(/^aigos_compliance_score\{org="default"[^}]*\} (\S+)$/m.exec(metrics)?.[1]);
    expect(score).toBeCloseTo(summary.body.score, 2);
    expect(metrics).toMatch(/^aigos_asset_cards_total\{org="default",status="draft"[^}]*\} \d+$/m);
  });
});

describe('evidence', () => {
  let assetId: string;
  beforeAll(async () => {
    assetId = (await api('POST', '/api/v1/assets', { body: card({ name: 'Evidence subject' }) })).body.id;
  });

  it('stores the file with its SHA-256, links it to a control, and streams it back', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(200_000, 7)]);
    const r = await upload(
      assetId,
      {
        kind: 'technical-documentation',
        packId: 'eu-ai-act',
        controlId: 'art-11',
        description: 'Annex IV file',
      },
      { data: pdf, type: 'application/pdf', name: 'Technische Dokumentation ü.pdf' },
    );
    expect(r.status, r.text).toBe(201);
    const sha = createHash('sha256').update(pdf).digest('hex');
    expect(r.body).toMatchObject({
      kind: 'technical-documentation',
      packId: 'eu-ai-act',
      controlId: 'art-11',
      size: pdf.length,
      sha256: sha,
      contentType: 'application/pdf',
    });
    const dl = await fetch(`${env.gateway}${r.body.downloadUrl}`, {
      headers: { authorization: `Bearer ${env.adminKey}` },
    });
    expect(dl.status).toBe(200);
    const bytes = Buffer.from(await dl.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha);
    expect(dl.headers.get('x-checksum-sha256')).toBe(sha);
    expect(dl.headers.get('content-disposition')).toContain(
      "filename*=UTF-8''Technische%20Dokumentation%20%C3%BC.pdf",
    );
    expect(dl.headers.get('x-content-type-options')).toBe('nosniff');
    const list = await api('GET', `/api/v1/assets/${assetId}/evidence`);
    expect(list.body.items.map((e: { id: string }) => e.id)).toContain(r.body.id);
  });

  it('refuses types off the allowlist, content that does not match its type, unknown controls and missing files', async () => {
    const exe = await upload(
      assetId,
      { kind: 'test-report' },
      { data: Buffer.from([0x7f, 0x45, 0x4c, 0x46]), type: 'application/octet-stream' },
    );
    expect(exe.status).toBe(415);
    const fakePdf = await upload(
      assetId,
      { kind: 'test-report' },
      { data: 'not a pdf', type: 'application/pdf' },
    );
    expect(fakePdf.status).toBe(415);
    expect(fakePdf.body.error.details[0].code).toBe('content_mismatch');
    const unknownControl = await upload(
      assetId,
      { kind: 'test-report', packId: 'eu-ai-act', controlId: 'art-99' },
      { data: 'x', type: 'text/plain' },
    );
    expect(unknownControl.status).toBe(400);
    expect(unknownControl.body.error.details[0].path).toBe('controlId');
    const form = new FormData();
    form.append('kind', 'Bad Kind');
    form.append('packId', 'eu-ai-act');
    const noFile = await call(env, 'POST', `/api/v1/assets/${assetId}/evidence`, {
      key: env.adminKey,
      body: form,
    });
    expect(noFile.status).toBe(400);
    expect(noFile.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'controlId',
      'file',
      'kind',
    ]);
    const json = await call(env, 'POST', `/api/v1/assets/${assetId}/evidence`, {
      key: env.adminKey,
      body: { kind: 'x' },
    });
    expect(json.status).toBe(415);
  });

  it('cuts off a file over the size limit with 413 and stores nothing', async () => {
    const before = (await api('GET', `/api/v1/assets/${assetId}/evidence`)).body.items.length;
    const big = Buffer.alloc(26 * 1024 * 1024, 'a');
    const r = await upload(assetId, { kind: 'test-report' }, { data: big, type: 'text/plain' }).catch(
      (err: Error) => ({ status: 413, body: { error: { code: `connection closed: ${err.message}` } } }),
    );
    expect(r.status).toBe(413);
    expect((await api('GET', `/api/v1/assets/${assetId}/evidence`)).body.items.length).toBe(before);
  });

  it('downloads need authorization and the right organization', async () => {
    const { body: e } = await upload(
      assetId,
      { kind: 'logging' },
      { data: 'log policy', type: 'text/plain' },
    );
    expect((await call(env, 'GET', e.downloadUrl)).status).toBe(401);
    await createOrg(env, 'other-org');
    const other = await createKey(env, 'other-org', 'admin', '*');
    expect((await call(env, 'GET', e.downloadUrl, { key: other })).status).toBe(404);
    expect((await call(env, 'GET', `/api/v1/evidence/${e.id}`, { key: other })).status).toBe(404);
    const noScope = await createKey(env, 'default', 'admin', 'assets:read');
    expect((await call(env, 'GET', e.downloadUrl, { key: noScope })).status).toBe(403);
    const editor = await createKey(env, 'default', 'editor', '*');
    expect((await call(env, 'DELETE', `/api/v1/evidence/${e.id}`, { key: editor })).status).toBe(403);
    expect((await api('DELETE', `/api/v1/evidence/${e.id}`)).status).toBe(204);
    expect((await call(env, 'GET', e.downloadUrl, { key: env.adminKey })).status).toBe(404);
  });
});

describe('reports', () => {
  it('generates JSON and HTML reports into object storage and serves them back', async () => {
    const json = await api('POST', '/api/v1/reports', { body: { format: 'json' } });
    expect(json.status, json.text).toBe(201);
    const dl = await api('GET', json.body.downloadUrl);
    const report = JSON.parse(dl.text);
    expect(report).toMatchObject({
      schemaVersion: '1',
      kind: 'ComplianceReport',
      organization: { slug: 'default' },
    });
    expect(report.packs).toHaveLength(3);
    expect(report.assets.find((a: { name: string }) => a.name === 'Social scoring').findings).toEqual(
      expect.arrayContaining([expect.objectContaining({ ref: 'Art. 5', status: 'fail' })]),
    );
    expect(createHash('sha256').update(dl.text).digest('hex')).toBe(json.body.sha256);
    const html = await api('POST', '/api/v1/reports', { body: { format: 'html' } });
    const page = await api('GET', html.body.downloadUrl);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('<h1>Compliance report</h1>');
    expect(page.text).not.toMatch(/<script/i);
    const list = await api('GET', '/api/v1/reports');
    expect(list.body.items.map((r: { id: string }) => r.id)).toEqual(
      expect.arrayContaining([json.body.id, html.body.id]),
    );
    expect((await api('POST', '/api/v1/reports', { body: { format: 'pdf' } })).status).toBe(400);
    expect((await api('GET', '/api/v1/reports/00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });
});
