// Suite discovery: every folder of scenarios/ with an index exporting `suite`. The
// order of the acceptance run: cp-02 first (the others depend on its readiness).
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Suite } from './scenario.js';

export const SUITE_ORDER = ['cp-02', 'api-contract', 'security', 'sso', 'ca'];

/** scenarios/ next to this module's tree: dist/scenarios when built, scenarios/ from source. */
export function scenariosDir(): string {
  return fileURLToPath(new URL('../../../scenarios/', import.meta.url));
}

export async function discoverSuites(dir = scenariosDir()): Promise<Suite[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const suites: Suite[] = [];
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('_') || e.name === 'common') continue;
    const index = ['index.js', 'index.ts'].map((f) => join(dir, e.name, f)).find((f) => existsSync(f));
    if (!index) continue;
    const mod = (await import(pathToFileURL(index).href)) as { suite?: Suite };
    if (!mod.suite) throw new Error(`${index} does not export a suite`);
    if (mod.suite.id !== e.name)
      throw new Error(`${index} exports suite ${mod.suite.id}; expected ${e.name}`);
    suites.push(mod.suite);
  }
  const rank = (id: string) => {
    const i = SUITE_ORDER.indexOf(id);
    return i < 0 ? SUITE_ORDER.length : i;
  };
  return suites.sort((a, b) => rank(a.id) - rank(b.id) || a.id.localeCompare(b.id));
}

/** The suites named (all when none), or an error naming the unknown ones. */
export async function selectSuites(names: string[] | undefined, dir?: string): Promise<Suite[]> {
  const all = await discoverSuites(dir);
  if (!names?.length) return all;
  const unknown = names.filter((n) => !all.some((s) => s.id === n));
  if (unknown.length)
    throw new Error(
      `unknown suite${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; available: ${all.map((s) => s.id).join(', ')}`,
    );
  return all.filter((s) => names.includes(s.id));
}
