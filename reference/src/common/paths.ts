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
/** The dashboard built by Vite (npm run build). */
export const WEB_BUILD_DIR = join(PACKAGE_ROOT, 'dist', 'web');
/** A placeholder page, served only when the dashboard has not been built. */
export const WEB_PLACEHOLDER_DIR = join(PACKAGE_ROOT, 'reference', 'src', 'web', 'public');
/** What the web service serves when WEB_ROOT is not set: the built dashboard if there is one. */
export const WEB_PUBLIC_DIR = existsSync(join(WEB_BUILD_DIR, 'index.html'))
  ? WEB_BUILD_DIR
  : WEB_PLACEHOLDER_DIR;
