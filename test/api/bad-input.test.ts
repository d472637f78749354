// Input PostgreSQL cannot store, and documents built to exhaust the server, on a real
// deployment: U+0000 and unpaired surrogates in JSON and YAML, ISO year 0000, YAML alias
// bombs, and JSON bodies that are not objects. Each is a 400 that names the field where
// it can, never a 500, and nothing is stored. In a batch of events the bad event is
// rejected on its own (partial acceptance). Also: a GraphQL filter outside its values,
// and an operator command pointed at a missing secret file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent, rehash } from '../events/support.js';
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

const assetCount = async () => (await api('GET', '/api/v1/assets?limit=200')).body.items.length as number;

describe('text PostgreSQL cannot store', () => {
  it('refuses U+0000 in an asset card with 400 INVALID_TEXT naming the field, and stores nothing', async () => {
    const before = await assetCount();
    const r = await api('POST', '/api/v1/assets', { body: card({ name: 'a\u0000b' }) });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('INVALID_TEXT');
    expect(r.body.error.details).toEqual([expect.objectContaining({ path: 'name', code: 'invalid_text' })]);
    expect(await assetCount()).toBe(before);
  });

  it('refuses an unpaired surrogate in a nested field the same way', async () => {
    const r = await api('POST', '/api/v1/assets', {
      body: card({ owner: { name: 'Ada \ud800', email: 'ada@example.com', team: 'Risk' } }),
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].path).toBe('owner.name');
  });

  it('refuses U+0000 in an organization update and in an API key name', async () => {
    const org = await api('PATCH', '/api/v1/organization', { body: { name: 'a\u0000b' } });
    expect(org.status).toBe(400);
    expect(org.body.error.code).toBe('INVALID_TEXT');
    const key = await api('POST', '/api/v1/api-keys', {
      body: { name: 'a\u0000b', scopes: ['events:read'] },
    });
    expect(key.status).toBe(400);
  });

  it('refuses YAML whose "\\0" escape yields U+0000, with the path in the document', async () => {
    const yaml = `name: "a\\0b"\ndescription: Scores consumer credit applications.\n`;
    const r = await api('POST', '/api/v1/assets/import', {
      body: yaml,
      headers: { 'content-type': 'application/yaml' },
    });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.error.details)).toContain('invalid_text');
  });

  it('answers a sign-in with U+0000 in the e-mail with a 4xx, not a 500', async () => {
    const r = await call(env, 'POST', '/auth/login', {
      body: { email: 'a\u0000@example.com', password: 'not-the-password-1' },
    });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
  });

  it('maps U+0000 in a GraphQL mutation to BAD_USER_INPUT', async () => {
    const r = await call(env, 'POST', '/graphql', {
      key: env.adminKey,
      body: {
        query: 'mutation($card: JSON!) { createAsset(card: $card) { id } }',
        variables: { card: card({ name: 'a\u0000b' }) },
      },
    });
    expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.text).not.toContain('INTERNAL_SERVER_ERROR');
  });
});

describe('dates PostgreSQL cannot store', () => {
  it('rejects only the event with producedAt in year 0000 from a batch; the others are stored', async () => {
    const good1 = makeEvent('default');
    const bad = rehash({ ...makeEvent('default'), producedAt: '0000-01-01T00:00:00Z' });
    const good2 = makeEvent('default');
    const r = await api('POST', '/v1/events/batch', { body: [good1, bad, good2] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ accepted: 2, rejected: 1 });
    expect(r.body.results[1]).toMatchObject({ status: 'rejected' });
    expect(JSON.stringify(r.body.results[1].error)).toContain('producedAt');
    for (const e of [good1, good2]) expect((await api('GET', `/v1/events/${e.id}`)).status).toBe(200);
  });

  it('rejects an event whose data holds an unpaired surrogate, on its own', async () => {
    const bad = rehash({ ...makeEvent('default'), data: { note: 'x\ud800' } });
    const good = makeEvent('default');
    const r = await api('POST', '/v1/events/batch', { body: [bad, good] });
    expect(r.body).toMatchObject({ accepted: 1, rejected: 1 });
    expect(r.body.results[0].error.code).toBe('EVT_SCHEMA_INVALID');
  });

  it('names the query parameter when since is in year 0000', async () => {
    const events = await api('GET', '/v1/events?since=0000-01-01T00:00:00Z');
    expect(events.status).toBe(400);
    expect(JSON.stringify(events.body.error.details)).toContain('since');
    const history = await api('GET', '/api/v1/compliance/history?since=0000-01-01T00:00:00Z');
    expect(history.status).toBe(400);
    expect(JSON.stringify(history.body.error.details)).toContain('since');
  });
});

describe('documents built to exhaust the server', () => {
  // each level holds nine aliases of the one before: 9^5 strings once expanded
  const bomb = [
    'a: &a ["lol", "lol"]',
    'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
    'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
    'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
    'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
    'f: [*e, *e, *e, *e, *e, *e, *e, *e, *e]',
  ].join('\n');

  it.each(['/api/v1/assets/import', '/api/v1/policy-packs/import'])(
    'refuses a YAML alias bomb at %s with 400 too_many_aliases',
    async (path) => {
      const r = await api('POST', path, { body: bomb, headers: { 'content-type': 'application/yaml' } });
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body.error.details)).toContain('too_many_aliases');
    },
  );
});

describe('JSON nested too deeply', () => {
  it('refuses an asset card nested 10,000 levels deep with 400, even with a \\u escape inside, and stores nothing', async () => {
    const before = await assetCount();
    const deep = `${'{"x":'.repeat(10_000)}"\\u00e9"${'}'.repeat(10_000)}`;
    const body = JSON.stringify(card({ name: 'Deep' })).replace(/}$/, `,"extra":${deep}}`);
    const r = await api('POST', '/api/v1/assets', { body, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_FAILED');
    expect(r.body.error.message).toMatch(/more than 64 levels deep/);
    expect(await assetCount()).toBe(before);
  });
});

describe('JSON that is not an object', () => {
  it.each(['null', '123', '"text"'])(
    'answers %s as a body with a message that says what is expected',
    async (body) => {
      const r = await api('POST', '/api/v1/assets', {
        body,
        headers: { 'content-type': 'application/json' },
      });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({
        code: 'INVALID_JSON',
        message: 'request body must be a JSON object or array',
      });
    },
  );
});

describe('other bad input', () => {
  it('refuses a GraphQL assets status outside draft, registered, retired with BAD_USER_INPUT', async () => {
    const r = await call(env, 'POST', '/graphql', {
      key: env.adminKey,
      body: { query: '{ assets(status: "bogus") { items { id } } }' },
    });
    expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.body.errors[0].message).toMatch(/status must be one of draft, registered, retired/);
  });

  it('names a missing --password-file in one line, exit 1', async () => {
    const r = await env.admin(
      'user',
      'create',
      '--email',
      'nobody@example.com',
      '--name',
      'Nobody',
      '--role',
      'viewer',
      '--password-file',
      '/nonexistent/password',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/password file \/nonexistent\/password does not exist/);
    expect(r.stderr).not.toMatch(/ENOENT|\n\s+at /);
  });
});
