// The check vocabulary and the policy packs without a database: built-in and example
// packs are valid, invalid packs report every problem with its path, and the evaluation
// gives pass/fail/gap with reasons and the score rules.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PACKAGE_ROOT } from '../../common/paths.js';
import { validateCard } from '../assets/validation.js';
import { checkSchema, evaluateCheck, type Check, type Subject } from './checks.js';
import { evaluateAsset, parsePackText, type PolicyPack } from './pack.js';

const FIXTURES = join(PACKAGE_ROOT, 'fixtures');
const builtIn = (id: string): PolicyPack => {
  const r = parsePackText(readFileSync(join(FIXTURES, 'policy-packs', 'built-in', `${id}.yaml`), 'utf8'));
  expect(r.problems).toEqual([]);
  return r.packs[0]!;
};
const PACKS = ['eu-ai-act', 'nist-ai-rmf', 'iso-42001'].map(builtIn);
const fixtureCard = (name: string) => {
  const r = validateCard(parse(readFileSync(join(FIXTURES, 'asset-cards', name), 'utf8')));
  expect(r.problems).toEqual([]);
  return r.card! as unknown as Record<string, unknown>;
};
const subject = (
  card: Record<string, unknown>,
  status = 'draft',
  evidence: Subject['evidence'] = [],
): Subject => ({ card: { ...card, status }, evidence });
const check = (raw: unknown): Check => checkSchema.parse(raw);
const ctx = { packId: 'p', controlId: 'c' };

describe('check vocabulary', () => {
  const s = subject(
    { owner: { email: 'a@b.c', team: '' }, classification: { riskLevel: 'high' }, jurisdictions: ['EU'] },
    'draft',
    [
      { kind: 'test-report', packId: null, controlId: null },
      { kind: 'risk-assessment', packId: 'p', controlId: 'c' },
    ],
  );
  const outcome = (raw: unknown) => evaluateCheck(check(raw), s, ctx).outcome;

  it('leaves: present, empty, equals, in, notIn, minLength, includesAny, evidence', () => {
    expect(outcome({ field: 'owner.email', present: true })).toBe('pass');
    expect(outcome({ field: 'owner.team', present: true })).toBe('gap');
    expect(outcome({ field: 'owner.team', empty: true })).toBe('pass');
    expect(outcome({ field: 'jurisdictions', empty: true })).toBe('fail');
    expect(outcome({ field: 'classification.riskLevel', equals: 'high' })).toBe('pass');
    expect(outcome({ field: 'classification.riskLevel', equals: 'minimal' })).toBe('fail');
    expect(outcome({ field: 'classification.rationale', equals: 'x' })).toBe('gap');
    expect(outcome({ field: 'classification.riskLevel', in: ['limited', 'high'] })).toBe('pass');
    expect(outcome({ field: 'classification.riskLevel', notIn: ['high'] })).toBe('fail');
    expect(outcome({ field: 'jurisdictions', minLength: 2 })).toBe('gap');
    expect(outcome({ field: 'jurisdictions', includesAny: ['DE', 'EU'] })).toBe('pass');
    expect(outcome({ field: 'jurisdictions', includesAny: ['US'] })).toBe('fail');
    expect(outcome({ evidence: { kinds: ['test-report'] } })).toBe('pass');
    expect(outcome({ evidence: { kinds: ['test-report'], minCount: 2 } })).toBe('gap');
    expect(outcome({ evidence: { kinds: ['test-report'], forControl: true } })).toBe('gap');
    expect(outcome({ evidence: { kinds: ['risk-assessment'], forControl: true } })).toBe('pass');
    expect(outcome({ field: 'status', equals: 'draft' })).toBe('pass');
    expect(outcome({ field: 'owner.team', present: true, outcome: 'fail', message: 'team!' })).toBe('fail');
  });

  it('combinators: all takes the worst, any the best, not flips pass and fail but keeps gaps', () => {
    const pass = { field: 'owner.email', present: true };
    const gap = { field: 'owner.team', present: true };
    const fail = { field: 'classification.riskLevel', equals: 'minimal' };
    expect(outcome({ all: [pass, gap] })).toBe('gap');
    expect(outcome({ all: [gap, fail] })).toBe('fail');
    expect(outcome({ any: [fail, gap] })).toBe('gap');
    expect(outcome({ any: [fail, pass] })).toBe('pass');
    expect(outcome({ not: pass })).toBe('fail');
    expect(outcome({ not: fail })).toBe('pass');
    expect(outcome({ not: gap })).toBe('gap');
    const r = evaluateCheck(
      check({ all: [gap, { field: 'owner.name', present: true, message: 'no name' }] }),
      s,
      ctx,
    );
    expect(r.reason).toBe('owner.team is not set; no name');
  });

  it('rejects unknown operators, fields, several comparators and bad kinds', () => {
    expect(checkSchema.safeParse({ frobnicate: 1 }).success).toBe(false);
    expect(checkSchema.safeParse({ field: 'owner.phone', present: true }).success).toBe(false);
    expect(checkSchema.safeParse({ field: 'owner.team', present: true, empty: true }).success).toBe(false);
    expect(checkSchema.safeParse({ evidence: { kinds: ['Bad Kind'] } }).success).toBe(false);
    expect(checkSchema.safeParse({ all: [] }).success).toBe(false);
    expect(checkSchema.safeParse('present').success).toBe(false);
  });
});

describe('packs', () => {
  it('built-in packs carry the real identifiers and distinct control ids', () => {
    const refs = (id: string) => PACKS.find((p) => p.id === id)!.controls.map((c) => c.ref);
    expect(refs('eu-ai-act')).toEqual(
      expect.arrayContaining([
        'Art. 5',
        'Art. 6',
        'Art. 9',
        'Art. 10',
        'Art. 11',
        'Art. 12',
        'Art. 13',
        'Art. 14',
        'Art. 15',
      ]),
    );
    expect(refs('nist-ai-rmf')).toEqual(
      expect.arrayContaining([
        'GOVERN 1.1',
        'GOVERN 2.1',
        'MAP 1.1',
        'MAP 5.1',
        'MEASURE 2.5',
        'MEASURE 2.7',
        'MANAGE 1.1',
        'MANAGE 4.1',
      ]),
    );
    expect(refs('iso-42001')).toEqual(
      expect.arrayContaining([
        'Clause 6.1.2',
        'Clause 6.1.4',
        'Clause 9.1',
        'A.5.4',
        'A.6.2.2',
        'A.6.2.4',
        'A.6.2.7',
        'A.6.2.8',
        'A.7.4',
      ]),
    );
    for (const p of PACKS) expect(new Set(p.controls.map((c) => c.id)).size).toBe(p.controls.length);
  });

  it('the example custom pack is valid', () => {
    const r = parsePackText(
      readFileSync(join(FIXTURES, 'policy-packs', 'examples', 'custom-policies.yaml'), 'utf8'),
    );
    expect(r.problems).toEqual([]);
    expect(r.packs[0]!.id).toBe('acme-responsible-ai');
  });

  it('reports every problem of every document with its path', () => {
    const text = `apiVersion: aigos.dev/v1
kind: PolicyPack
id: one
version: 1.0.0
name: One
framework: { name: F, reference: R }
controls:
  - { id: a, ref: A, title: T, requirement: long enough text, check: { field: owner.team, present: true } }
  - { id: a, ref: B, title: T, requirement: long enough text, check: { field: owner.team, bogus: true } }
---
apiVersion: aigos.dev/v2
kind: PolicyPack
id: two
version: x
name: Two
framework: { name: F, reference: R }
controls: []
`;
    const r = parsePackText(text);
    expect(r.packs).toEqual([]);
    expect(r.problems.map((p) => p.path).sort()).toEqual(
      [
        'documents[0].controls[1].id',
        'documents[0].controls[1].check',
        'documents[1].apiVersion',
        'documents[1].version',
        'documents[1].controls',
      ].sort(),
    );
    const syntax = parsePackText('id: [oops');
    expect(syntax.problems[0]).toMatchObject({ code: 'syntax', message: expect.stringMatching(/line 1/) });
  });
});

describe('evaluation of the fixture cards', () => {
  it('a prohibited practice fails Art. 5 and scores 0', () => {
    const e = evaluateAsset(subject(fixtureCard('social-scoring.yaml')), PACKS);
    const art5 = e.results.find((r) => r.controlId === 'art-5')!;
    expect(art5).toMatchObject({ status: 'fail', applicable: true });
    expect(e.score).toBe(0);
  });

  it('a documented high-risk system passes more controls as evidence arrives', () => {
    const card = fixtureCard('credit-scoring.yaml');
    const bare = evaluateAsset(subject(card, 'registered'), PACKS);
    const kinds = [
      'risk-assessment',
      'data-governance',
      'technical-documentation',
      'instructions-for-use',
      'test-report',
      'security-assessment',
      'quality-management',
      'impact-assessment',
      'eu-registration',
      'monitoring-plan',
      'bias-assessment',
      'privacy-assessment',
    ];
    const full = evaluateAsset(
      subject(
        card,
        'registered',
        kinds.map((kind) => ({ kind, packId: null, controlId: null })),
      ),
      PACKS,
    );
    expect(bare.gaps).toBeGreaterThan(0);
    expect(full.score!).toBeGreaterThan(bare.score!);
    expect(full.failed).toBe(0);
    expect(full.score).toBe(100);
    expect(full.results.every((r) => r.reason.length > 0)).toBe(true);
  });

  it('outside the EU the EU AI Act does not apply; with no active pack there is no score', () => {
    const card = { ...fixtureCard('support-chatbot.yaml'), jurisdictions: ['US'] };
    const e = evaluateAsset(subject(card), PACKS);
    expect(e.results.filter((r) => r.packId === 'eu-ai-act').every((r) => !r.applicable)).toBe(true);
    expect(evaluateAsset(subject(card), []).score).toBeNull();
  });
});

describe('fixture cards', () => {
  it('all validate', () => {
    for (const f of readdirSync(join(FIXTURES, 'asset-cards'))) fixtureCard(f);
  });
});
