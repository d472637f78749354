// The dashboard's sources type-check (Vite's build does not), and its build keeps the
// strict CSP: no inline script or style in index.html, every referenced file present.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, run } from '../support/harness.js';
import { WEB_BUILD } from './support.js';

describe('dashboard build', () => {
  it('type-checks (strict, its own tsconfig with the DOM libs)', async () => {
    const r = await run(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'reference/src/web/app/tsconfig.json'],
      { timeoutMs: 120_000 },
    );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 120_000);

  it('index.html loads only external, hashed bundles', () => {
    expect(existsSync(WEB_BUILD), 'build the dashboard first: npm run build').toBe(true);
    const html = readFileSync(WEB_BUILD, 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);
    const refs = [...html.matchAll(/(?:src|href)="(\/static\/[^"]+)"/g)].map((m) => m[1]!);
    expect(refs.some((r) => r.endsWith('.js'))).toBe(true);
    expect(refs.some((r) => r.endsWith('.css'))).toBe(true);
    for (const ref of refs) expect(existsSync(join(ROOT, 'dist', 'web', ref)), ref).toBe(true);
  });
});
