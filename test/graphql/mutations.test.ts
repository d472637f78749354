// GraphQL parity with REST on a real deployment (through the gateway, with the built-in
// packs): the asset, policy pack, evidence, report and compliance mutations run the REST
// services (the state and the audit entries are read back through REST and compared with
// the same action done through REST), refuse viewers with FORBIDDEN, answer invalid input
// with BAD_USER_INPUT naming the argument path and store nothing; the compliance, pack,
// evidence and report views return what REST returns.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { card } from '../api/support.js';
import { call, createApiKey, orgBySlug, type Org } from '../events/support.js';
import { TestDeployment } from '../support/harness.js';

let dep: TestDeployment;
let gw: string;
let org: Org;
const keys = {} as Record<'admin' | 'editor' | 'viewer', string>;

type Gql = {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- GraphQL answers are read loosely
  data: any;
  errors?: { message: string; path?: string[]; extensions: Record<string, unknown> & { code: string } }[];
  text: string;
};

async function gql(
  query: string,
  variables: Record<string, unknown> = {},
  token = keys.admin,
  headers: Record<string, string> = {},
): Promise<Gql> {
  const r = await call(gw, 'POST', '/graphql', { token, body: { query, variables }, headers });
  expect(r.text).not.toMatch(/stacktrace|\n\s+at /);
  expect(r.text).not.toContain('INTERNAL_SERVER_ERROR');
  return { status: r.status, data: r.body?.data, errors: r.body?.errors, text: r.text };
}

/** The data of a call that must succeed. */
async function ok(query: string, variables: Record<string, unknown> = {}, token = keys.admin) {
  const r = await gql(query, variables, token);
  expect(r.errors, r.text).toBeUndefined();
  return r.data;
}

const rest = (method: string, path: string, body?: unknown, token = keys.admin) =>
  call(gw, method, path, { token, body });

/** The newest audit entry of an action on a target, read through REST. */
async function auditOf(action: string, targetId: string) {
  const r = await rest('GET', `/api/v1/audit?action=${action}&targetId=${encodeURIComponent(targetId)}`);
  expect(r.status).toBe(200);
  return r.body.items[0] as
    | {
        action: string;
        actor: { type: string; id: string; label: string };
        target: { type: string; id: string };
        requestId: string;
        sourceAddress: string | null;
        beforeDigest: string | null;
        afterDigest: string | null;
      }
    | undefined;
}

const requestId = (what: string) => `gql-${what}-${randomBytes(4).toString('hex')}`;

const ASSET_FIELDS = `id name status revision riskLevel compliance { score passed failed gaps } card`;

function pack(id: string, version: string) {
  return {
    apiVersion: 'aigos.dev/v1',
    kind: 'PolicyPack',
    id,
    version,
    name: `GraphQL pack ${id}`,
    framework: { name: 'ACME AI policy', reference: 'ACME-POL-9' },
    controls: [
      {
        id: 'team',
        ref: 'POL-9.1',
        title: 'Owning team',
        requirement: 'Every AI system names its owning team.',
        check: { field: 'owner.team', present: true },
      },
    ],
  };
}

beforeAll(async () => {
  dep = await TestDeployment.start();
  gw = dep.endpoints.gateway;
  org = await orgBySlug(dep, 'default');
  for (const role of ['admin', 'editor', 'viewer'] as const)
    keys[role] = await createApiKey(dep, org, { role, scopes: ['*'] });
});

afterAll(async () => {
  await dep?.destroy();
});

describe('asset card mutations', () => {
  it('create, update, register and retire as an editor: the REST state and the REST audit entries', async () => {
    const id = `aigrc-2025-${randomBytes(4).toString('hex')}`;
    const rid = requestId('create');
    const created = await gql(
      `mutation($card: JSON!) { createAsset(card: $card) { ${ASSET_FIELDS} } }`,
      { card: card({ id, name: 'GraphQL credit model' }) },
      keys.editor,
      { 'x-request-id': rid },
    );
    expect(created.errors, created.text).toBeUndefined();
    expect(created.data.createAsset).toMatchObject({
      id,
      name: 'GraphQL credit model',
      status: 'draft',
      revision: 1,
      riskLevel: 'high',
      compliance: { passed: expect.any(Number) },
    });
    // the same card through REST: same stored card and the same evaluation
    const viaRest = await rest('POST', '/api/v1/assets', card({ name: 'GraphQL credit model' }), keys.editor);
    expect(viaRest.status).toBe(201);
    const stored = (await rest('GET', `/api/v1/assets/${id}`)).body;
    const strip = ({
      id: _i,
      createdAt: _c,
      updatedAt: _u,
      compliance,
      ...rest
    }: Record<string, unknown>) => ({
      ...rest,
      compliance: { ...(compliance as object), evaluatedAt: undefined },
    });
    expect(strip(stored)).toEqual(strip(viaRest.body));
    expect(created.data.createAsset.card).toEqual(stored);
    const entry = await auditOf('asset.created', id);
    expect(entry).toMatchObject({
      actor: { type: 'api-key' },
      target: { type: 'asset', id },
      requestId: rid,
      sourceAddress: expect.any(String),
    });
    expect(entry!.actor).toEqual((await auditOf('asset.created', viaRest.body.id))!.actor);

    const updated = await ok(
      `mutation($id: ID!, $patch: JSON!) { updateAsset(id: $id, patch: $patch, revision: 1) { revision card } }`,
      { id, patch: { description: 'Updated through GraphQL.', owner: { team: null } } },
      keys.editor,
    );
    expect(updated.updateAsset.revision).toBe(2);
    const afterPatch = (await rest('GET', `/api/v1/assets/${id}`)).body;
    expect(afterPatch).toMatchObject({ description: 'Updated through GraphQL.', revision: 2 });
    expect(afterPatch.owner.team).toBeUndefined();
    expect(await auditOf('asset.updated', id)).toMatchObject({ target: { id } });
    const stale = await gql(
      `mutation($id: ID!) { updateAsset(id: $id, patch: { description: "stale" }, revision: 1) { revision } }`,
      { id },
      keys.editor,
    );
    expect(stale.errors![0]!.extensions).toMatchObject({ code: 'REVISION_CONFLICT', status: 409 });

    // lifecycle: the same transitions through REST leave entries with the same digests
    const registered = await ok(
      `mutation($id: ID!) { registerAsset(id: $id) { status revision } }`,
      { id },
      keys.editor,
    );
    expect(registered.registerAsset).toEqual({ status: 'registered', revision: 3 });
    expect(
      (
        await rest(
          'POST',
          `/api/v1/assets/${viaRest.body.id}/lifecycle`,
          { status: 'registered' },
          keys.editor,
        )
      ).status,
    ).toBe(200);
    const [g, r] = [
      await auditOf('asset.registered', id),
      await auditOf('asset.registered', viaRest.body.id),
    ];
    expect(g).toMatchObject({ beforeDigest: r!.beforeDigest, afterDigest: r!.afterDigest, actor: r!.actor });
    expect((await rest('GET', `/api/v1/assets/${id}`)).body).toMatchObject({
      status: 'registered',
      registeredAt: expect.any(String),
    });
    const again = await gql(`mutation($id: ID!) { registerAsset(id: $id) { status } }`, { id }, keys.editor);
    expect(again.errors![0]!.extensions).toMatchObject({ code: 'INVALID_TRANSITION', status: 409 });

    expect(
      (await ok(`mutation($id: ID!) { retireAsset(id: $id) { status } }`, { id }, keys.editor)).retireAsset,
    ).toEqual({
      status: 'retired',
    });
    expect(await auditOf('asset.retired', id)).toMatchObject({ target: { id } });
    expect((await rest('GET', `/api/v1/assets/${id}`)).body.status).toBe('retired');
    const frozen = await gql(
      `mutation($id: ID!) { updateAsset(id: $id, patch: { name: "x" }) { id } }`,
      { id },
      keys.editor,
    );
    expect(frozen.errors![0]!.extensions.code).toBe('ASSET_RETIRED');
    const missing = await gql(`mutation { retireAsset(id: "aigrc-2025-00000000") { id } }`, {}, keys.editor);
    expect(missing.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it('invalid cards and patches: BAD_USER_INPUT naming the argument path, nothing stored', async () => {
    const name = `Invalid ${randomBytes(4).toString('hex')}`;
    const bad = await gql(
      `mutation($card: JSON!) { createAsset(card: $card) { id } }`,
      {
        card: card({
          name,
          owner: { name: 'A', email: 'not-an-address' },
          classification: { riskLevel: 'extreme' },
        }),
      },
      keys.editor,
    );
    expect(bad.status).toBe(200);
    expect(bad.data).toBeNull();
    const e = bad.errors![0]!;
    expect(e.extensions).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
    expect(e.message).toContain('card.owner.email');
    expect(e.message).toContain('card.classification.riskLevel');
    expect((e.extensions.details as { path: string }[]).map((d) => d.path)).toEqual(
      expect.arrayContaining(['card.owner.email', 'card.classification.riskLevel']),
    );
    const notObject = await gql(`mutation { createAsset(card: "a string") { id } }`, {}, keys.editor);
    expect(notObject.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(notObject.errors![0]!.message).toContain('card');
    const listed = await rest('GET', `/api/v1/assets?q=${encodeURIComponent(name)}`);
    expect(listed.body.items).toEqual([]);

    const { body: a } = await rest('POST', '/api/v1/assets', card({ name: 'Patch target' }), keys.editor);
    const badPatch = await gql(
      `mutation($id: ID!, $patch: JSON!) { updateAsset(id: $id, patch: $patch) { id } }`,
      { id: a.id, patch: { classification: { riskLevel: 'extreme' } } },
      keys.editor,
    );
    expect(badPatch.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(badPatch.errors![0]!.message).toContain('patch.classification.riskLevel');
    expect((await rest('GET', `/api/v1/assets/${a.id}`)).body).toMatchObject({
      revision: 1,
      classification: { riskLevel: 'high' },
    });
    expect(await auditOf('asset.updated', a.id)).toBeUndefined();
  });
});

describe('policy pack mutations', () => {
  const id = `gql-pack-${randomBytes(3).toString('hex')}`;

  it('imports (dry run, YAML document, JSON value), activates and deactivates as an admin, like REST', async () => {
    const IMPORT = `mutation($document: String, $packs: JSON, $dryRun: Boolean) {
      importPolicyPacks(document: $document, packs: $packs, dryRun: $dryRun) {
        dryRun packs { id version name controls result } recompute { assets changed orgScore { score } packs { id version } }
      }
    }`;
    const dry = await ok(IMPORT, { document: stringify(pack(id, '1.0.0')), dryRun: true });
    expect(dry.importPolicyPacks).toMatchObject({
      dryRun: true,
      packs: [{ id, version: '1.0.0', controls: 1, result: 'imported' }],
      recompute: null,
    });
    expect((await rest('GET', `/api/v1/policy-packs/${id}`)).status).toBe(404);

    const rid = requestId('import');
    const imported = await gql(IMPORT, { document: stringify(pack(id, '1.0.0')) }, keys.admin, {
      'x-request-id': rid,
    });
    expect(imported.errors, imported.text).toBeUndefined();
    expect(imported.data.importPolicyPacks.packs[0].result).toBe('imported');
    expect(imported.data.importPolicyPacks.recompute.packs).toContainEqual({ id, version: '1.0.0' });
    expect((await rest('GET', `/api/v1/policy-packs/${id}`)).body).toMatchObject({
      id,
      version: '1.0.0',
      active: true,
      source: 'custom',
    });
    expect(await auditOf('policy.imported', `${id}@1.0.0`)).toMatchObject({
      requestId: rid,
      actor: { type: 'api-key' },
      sourceAddress: expect.any(String),
    });

    const asValue = await ok(IMPORT, { packs: [pack(id, '1.1.0')] });
    expect(asValue.importPolicyPacks.packs).toEqual([
      { id, version: '1.1.0', name: `GraphQL pack ${id}`, controls: 1, result: 'imported' },
    ]);
    expect((await rest('GET', `/api/v1/policy-packs/${id}`)).body.version).toBe('1.1.0');

    const ACTIVATION = `id version active recompute { assets packs { id version } orgScore { score assets } }`;
    const activated = await ok(
      `mutation($id: ID!) { activatePolicyPack(id: $id, version: "1.0.0") { ${ACTIVATION} } }`,
      { id },
    );
    expect(activated.activatePolicyPack).toMatchObject({ id, version: '1.0.0', active: true });
    const listed = (await rest('GET', '/api/v1/policy-packs?active=true')).body.items;
    expect(listed.filter((p: { id: string }) => p.id === id)).toMatchObject([{ version: '1.0.0' }]);
    expect(await auditOf('policy.activated', `${id}@1.0.0`)).toBeDefined();

    const deactivated = await ok(`mutation($id: ID!) { deactivatePolicyPack(id: $id) { ${ACTIVATION} } }`, {
      id,
    });
    expect(deactivated.deactivatePolicyPack).toMatchObject({ id, version: '1.0.0', active: false });
    expect((await rest('GET', `/api/v1/policy-packs/${id}`)).body.active).toBe(false);
    expect(await auditOf('policy.deactivated', `${id}@1.0.0`)).toMatchObject({ actor: { type: 'api-key' } });
    const twice = await gql(`mutation($id: ID!) { deactivatePolicyPack(id: $id) { id } }`, { id });
    expect(twice.errors![0]!.extensions).toMatchObject({ code: 'NOT_ACTIVE', status: 409 });
    const unknown = await gql(`mutation { activatePolicyPack(id: "no-such-pack") { id } }`);
    expect(unknown.errors![0]!.extensions.code).toBe('NOT_FOUND');
  });

  it('installs built-in packs (unchanged when active, activated again after a deactivation)', async () => {
    const INSTALL = `mutation($p: [String!]) { installBuiltInPolicyPacks(policies: $p) { dryRun packs { id result } recompute { assets } } }`;
    const same = await ok(INSTALL, { p: ['nist-ai-rmf'] });
    expect(same.installBuiltInPolicyPacks).toMatchObject({
      dryRun: false,
      packs: [{ id: 'nist-ai-rmf', result: 'unchanged' }],
      recompute: null,
    });
    await ok(`mutation { deactivatePolicyPack(id: "nist-ai-rmf") { active } }`);
    const back = await ok(INSTALL, { p: ['nist-ai-rmf'] });
    expect(back.installBuiltInPolicyPacks.packs).toEqual([{ id: 'nist-ai-rmf', result: 'activated' }]);
    expect(back.installBuiltInPolicyPacks.recompute.assets).toBeGreaterThanOrEqual(0);
    expect((await rest('GET', '/api/v1/policy-packs/nist-ai-rmf')).body.active).toBe(true);
  });

  it('invalid packs and arguments: BAD_USER_INPUT naming the path, nothing imported', async () => {
    const bad = {
      ...pack('gql-invalid', '1.0'),
      controls: [{ ...pack('x', '1.0.0').controls[0], requirement: 'short' }],
    };
    const asValue = await gql(`mutation($p: JSON) { importPolicyPacks(packs: $p) { dryRun } }`, { p: bad });
    expect(asValue.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(asValue.errors![0]!.message).toContain('packs.version');
    expect(asValue.errors![0]!.message).toContain('packs.controls[0].requirement');
    const asYaml = await gql(`mutation($d: String) { importPolicyPacks(document: $d) { dryRun } }`, {
      d: stringify(bad),
    });
    expect((asYaml.errors![0]!.extensions.details as { path: string }[]).map((d) => d.path).sort()).toEqual([
      'document.controls[0].requirement',
      'document.version',
    ]);
    const reserved = await gql(`mutation($p: JSON) { importPolicyPacks(packs: $p) { dryRun } }`, {
      p: pack('eu-ai-act', '9.0.0'),
    });
    expect(reserved.errors![0]!).toMatchObject({
      message: expect.stringContaining('packs.id'),
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const neither = await gql(`mutation { importPolicyPacks { dryRun } }`);
    expect(neither.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(neither.errors![0]!.message).toContain('document');
    const builtIn = await gql(
      `mutation { installBuiltInPolicyPacks(policies: ["eu-ai-act", "nope"]) { dryRun } }`,
    );
    expect(builtIn.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(builtIn.errors![0]!.message).toContain('policies[1]');
    expect((await rest('GET', '/api/v1/policy-packs/gql-invalid')).status).toBe(404);
  });

  it('is admin-only, as on REST: an editor gets FORBIDDEN', async () => {
    const r = await gql(
      `mutation($p: JSON) { importPolicyPacks(packs: $p) { dryRun } }`,
      { p: pack('gql-editor', '1.0.0') },
      keys.editor,
    );
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect((await rest('GET', '/api/v1/policy-packs/gql-editor')).status).toBe(404);
  });
});

describe('evidence, reports and compliance', () => {
  it("lists an asset's evidence and deletes it as an admin (upload through REST multipart)", async () => {
    const { body: a } = await rest('POST', '/api/v1/assets', card({ name: 'Evidence subject' }), keys.editor);
    const form = new FormData();
    form.append('kind', 'risk-assessment');
    form.append('description', 'quarterly review');
    form.append('file', new Blob(['risk assessment text'], { type: 'text/plain' }), 'risk.txt');
    const up = await fetch(`${gw}/api/v1/assets/${a.id}/evidence`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.editor}` },
      body: form,
    });
    expect(up.status).toBe(201);
    const uploaded = (await up.json()) as { id: string; sha256: string };

    const listed = await ok(
      `query($a: ID!) { evidence(assetId: $a, limit: 10) { limit items { id assetId kind filename contentType size sha256 description uploadedBy createdAt downloadUrl } } }`,
      { a: a.id },
      keys.viewer,
    );
    const viaRest = (await rest('GET', `/api/v1/assets/${a.id}/evidence`)).body.items;
    expect(listed.evidence).toEqual({
      limit: 10,
      items: viaRest.map(({ packId: _p, controlId: _c, ...e }: Record<string, unknown>) => e),
    });
    expect(listed.evidence.items[0]).toMatchObject({ id: uploaded.id, sha256: uploaded.sha256 });

    const DELETE = `mutation($id: ID!) { deleteEvidence(id: $id) { id assetId sha256 } }`;
    const denied = await gql(DELETE, { id: uploaded.id }, keys.editor);
    expect(denied.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect((await rest('GET', `/api/v1/evidence/${uploaded.id}`)).status).toBe(200);

    const rid = requestId('evidence');
    const deleted = await gql(DELETE, { id: uploaded.id }, keys.admin, { 'x-request-id': rid });
    expect(deleted.data.deleteEvidence).toEqual({ id: uploaded.id, assetId: a.id, sha256: uploaded.sha256 });
    expect((await rest('GET', `/api/v1/evidence/${uploaded.id}`)).status).toBe(404);
    expect((await rest('GET', `/api/v1/evidence/${uploaded.id}/download`)).status).toBe(404);
    expect(await auditOf('evidence.deleted', uploaded.id)).toMatchObject({
      requestId: rid,
      target: { type: 'evidence' },
    });
    const gone = await gql(DELETE, { id: uploaded.id });
    expect(gone.errors![0]!.extensions.code).toBe('NOT_FOUND');
  });

  it('generates reports as an editor and lists them; a bad format is BAD_USER_INPUT and stores nothing', async () => {
    const before = (await rest('GET', '/api/v1/reports?limit=200')).body.items.length;
    const bad = await gql(`mutation { generateReport(format: "pdf") { id } }`, {}, keys.editor);
    expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
    expect(bad.errors![0]!.message).toContain('format');
    expect((await rest('GET', '/api/v1/reports?limit=200')).body.items.length).toBe(before);

    const rid = requestId('report');
    const r = await gql(
      `mutation { generateReport(format: "json") { id format contentType size sha256 score assets createdBy createdAt downloadUrl } }`,
      {},
      keys.editor,
      { 'x-request-id': rid },
    );
    expect(r.errors, r.text).toBeUndefined();
    const report = r.data.generateReport;
    expect(report).toMatchObject({ format: 'json', contentType: 'application/json' });
    expect((await rest('GET', `/api/v1/reports/${report.id}`)).body).toEqual(report);
    const download = await rest('GET', report.downloadUrl);
    expect(download.body.kind).toBe('ComplianceReport');
    expect(await auditOf('report.generated', report.id)).toMatchObject({ requestId: rid });

    const listed = await ok(`{ reports(limit: 5) { limit items { id sha256 format } } }`, {}, keys.viewer);
    expect(listed.reports.limit).toBe(5);
    expect(listed.reports.items[0]).toEqual({ id: report.id, sha256: report.sha256, format: 'json' });
    const tooMany = await gql(`{ reports(limit: 300) { items { id } } }`, {}, keys.viewer);
    expect(tooMany.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(tooMany.errors![0]!.message).toContain('limit');
  });

  it('evaluates compliance as an editor; per-control results, history, summary and packs match REST', async () => {
    const { body: a } = await rest(
      'POST',
      '/api/v1/assets',
      card({ name: 'Compliance subject', owner: { name: 'B', email: 'b@example.com' } }),
      keys.editor,
    );
    const rid = requestId('evaluate');
    const ev = await gql(
      `mutation { evaluateCompliance { assets changed durationMs packs { id version } orgScore { score assets passed failed gaps } } }`,
      {},
      keys.editor,
      { 'x-request-id': rid },
    );
    expect(ev.errors, ev.text).toBeUndefined();
    expect(ev.data.evaluateCompliance.assets).toBeGreaterThanOrEqual(1);
    expect(ev.data.evaluateCompliance.packs.map((p: { id: string }) => p.id)).toEqual(
      expect.arrayContaining(['eu-ai-act', 'iso-42001', 'nist-ai-rmf']),
    );
    expect(await auditOf('compliance.evaluated', org.id)).toMatchObject({ requestId: rid });

    const views = await ok(
      `query($a: ID!) {
        assetCompliance(assetId: $a) { assetId status score passed failed gaps notApplicable evaluatedAt
          controls { packId packVersion controlId ref title severity status applicable reason } }
        complianceHistory(limit: 5) { assetId bucket limit points { at score passed failed gaps assets trigger } }
        assetHistory: complianceHistory(assetId: $a, bucket: "day") { assetId bucket points { score trigger } }
        complianceSummary { score assets controls { passed failed gaps } byRiskLevel { riskLevel assets score } packs { id version name controls } evaluatedAt }
        policyPacks(active: true) { id version source active controlCount framework controls { id ref title severity requirement check } }
        policyPack(id: "eu-ai-act") { id controlCount description definition }
      }`,
      { a: a.id },
      keys.viewer,
    );
    const perControl = (await rest('GET', `/api/v1/compliance/assets/${a.id}`)).body;
    const { results, ...counts } = perControl;
    expect(views.assetCompliance).toEqual({ ...counts, controls: results });
    const statuses = new Set(views.assetCompliance.controls.map((c: { status: string }) => c.status));
    expect([...statuses].every((s) => ['pass', 'fail', 'gap'].includes(s as string))).toBe(true);
    expect(
      views.assetCompliance.controls.some(
        (c: { status: string; reason: string }) => c.status !== 'pass' && c.reason,
      ),
    ).toBe(true);

    const history = (await rest('GET', '/api/v1/compliance/history?limit=5')).body;
    expect(views.complianceHistory).toEqual({
      assetId: null,
      bucket: null,
      limit: 5,
      points: history.items.map((p: Record<string, unknown>) => ({ assets: null, ...p })),
    });
    expect(views.assetHistory.assetId).toBe(a.id);
    expect(views.assetHistory.points.length).toBeGreaterThanOrEqual(1);
    expect(views.complianceSummary).toEqual((await rest('GET', '/api/v1/compliance/summary')).body);

    const restPacks = (await rest('GET', '/api/v1/policy-packs?active=true')).body.items;
    expect(views.policyPacks.map((p: { id: string }) => p.id)).toEqual(
      restPacks.map((p: { id: string }) => p.id),
    );
    for (const p of views.policyPacks) {
      expect(p.controls.length).toBe(p.controlCount);
      const def = (await rest('GET', `/api/v1/policy-packs/${p.id}`)).body.definition;
      expect(p.framework).toEqual(def.framework);
      expect(p.controls[0]).toEqual({
        id: def.controls[0].id,
        ref: def.controls[0].ref,
        title: def.controls[0].title,
        severity: def.controls[0].severity,
        requirement: def.controls[0].requirement,
        check: def.controls[0].check,
      });
    }
    const eu = (await rest('GET', '/api/v1/policy-packs/eu-ai-act')).body;
    expect(views.policyPack).toEqual({
      id: 'eu-ai-act',
      controlCount: eu.controls,
      description: eu.definition.description ?? null,
      definition: eu.definition,
    });

    const badSince = await gql(`{ complianceHistory(since: "yesterday") { limit } }`, {}, keys.viewer);
    expect(badSince.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(badSince.errors![0]!.message).toContain('since');
    const unknownAsset = await gql(
      `{ assetCompliance(assetId: "aigrc-2025-00000000") { score } }`,
      {},
      keys.viewer,
    );
    expect(unknownAsset.errors![0]!.extensions.code).toBe('NOT_FOUND');
  });
});

describe('authorization and limits', () => {
  it('refuses every new mutation to a viewer with FORBIDDEN and changes nothing', async () => {
    const { body: a } = await rest('POST', '/api/v1/assets', card({ name: 'Viewer target' }), keys.editor);
    const auditBefore = (await rest('GET', '/api/v1/audit?limit=1')).body.items[0].seq;
    const ops = [
      `mutation { createAsset(card: { name: "x" }) { id } }`,
      `mutation { updateAsset(id: "${a.id}", patch: { name: "changed" }) { id } }`,
      `mutation { registerAsset(id: "${a.id}") { id } }`,
      `mutation { retireAsset(id: "${a.id}") { id } }`,
      `mutation { importPolicyPacks(document: "x") { dryRun } }`,
      `mutation { installBuiltInPolicyPacks { dryRun } }`,
      `mutation { activatePolicyPack(id: "eu-ai-act") { id } }`,
      `mutation { deactivatePolicyPack(id: "eu-ai-act") { id } }`,
      `mutation { deleteEvidence(id: "00000000-0000-4000-8000-000000000000") { id } }`,
      `mutation { generateReport { id } }`,
      `mutation { evaluateCompliance { assets } }`,
    ];
    for (const op of ops) {
      const r = await gql(op, {}, keys.viewer);
      expect(r.errors?.[0]?.extensions, op).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    }
    expect((await rest('GET', `/api/v1/assets/${a.id}`)).body).toMatchObject({
      status: 'draft',
      revision: 1,
    });
    expect((await rest('GET', '/api/v1/audit?limit=1')).body.items[0].seq).toBe(auditBefore);
    // audit entries are admin-only, as GET /api/v1/audit
    const audit = await gql(`{ auditEntries(limit: 1) { entries { seq } } }`, {}, keys.viewer);
    expect(audit.errors![0]!.extensions.code).toBe('FORBIDDEN');
  });

  it('counts the new list fields in the cost limit', async () => {
    const costly = await gql(
      `{ complianceHistory(limit: 1000) { points { at score passed failed gaps assets trigger } } }`,
      {},
      keys.viewer,
    );
    expect(costly.status).toBe(400);
    expect(costly.errors![0]!.extensions.code).toBe('QUERY_TOO_COSTLY');
    const nested = await gql(
      `{ policyPacks { id controls { id ref title severity requirement check appliesWhen } }
         evidence(assetId: "aigrc-2025-00000000", limit: 1000) { items { id kind sha256 size } } }`,
      {},
      keys.viewer,
    );
    expect(nested.errors![0]!.extensions.code).toBe('QUERY_TOO_COSTLY');
  });
});
