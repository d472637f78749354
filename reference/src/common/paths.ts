// Locations inside the installed package, found from this file rather than the
// working directory, so the CLI works from any folder (and inside an image).
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

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
export const MIGRATIONS_DIR = join(PACKAGE_ROOT, 'reference', 'migrations');
export const WEB_PUBLIC_DIR = join(PACKAGE_ROOT, 'reference', 'src', 'web', 'public');
