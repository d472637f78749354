// Where things are inside the installed kit. The harness starts the reference by
// command (architecture.md: it never imports reference code).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

export const KIT_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** The reference entry points, as built by `npm run build`. */
export const REFERENCE_BIN = {
  aigos: join(KIT_ROOT, 'dist', 'reference', 'src', 'cli', 'aigos.js'),
  'aigos-admin': join(KIT_ROOT, 'dist', 'reference', 'src', 'cli', 'admin.js'),
} as const;

export const S3_SERVER_ENTRY = join(KIT_ROOT, 'dist', 'harness', 'src', 'targets', 'local', 's3-server.js');
export const SUPERVISOR_ENTRY = join(
  KIT_ROOT,
  'dist',
  'harness',
  'src',
  'targets',
  'local',
  'supervisor-main.js',
);

/** The test identity providers (harness infrastructure) and their definitions. */
export const IDP_ENTRY = join(KIT_ROOT, 'dist', 'harness', 'src', 'drivers', 'idp', 'main.js');
export const IDP_FIXTURES_DIR = join(KIT_ROOT, 'fixtures', 'idp');

export function defaultStateDir(target: string): string {
  return join(process.cwd(), '.aigos', target);
}
