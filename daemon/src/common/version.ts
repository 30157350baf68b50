// The product version, read from package.json: the one place it is written down. Both
// programs (mdclusterd, mdctl) and the package build print this.
// Owns: finding package.json from this file, in the source tree (daemon/src/common/) or the
// build (dist/daemon/src/common/) or an installed package (/usr/lib/mdclusterd/dist/...).
// Invariant: returns the "version" of the nearest package.json named "mdclusterd" above this
// file, or "unknown" (never throws: --version must always answer). The only file in common/
// that reads the disk, and only when called (a few KiB, once per --version).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directories walked up from this file before giving up (dist/daemon/src/common is 4 deep). */
const VERSION_MAX_PARENT_DIRS = 6;

let cached: string | null = null;

export function productVersion(): string {
  if (cached !== null) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i <= VERSION_MAX_PARENT_DIRS; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'mdclusterd' && typeof pkg.version === 'string') return (cached = pkg.version);
    } catch { /* not here */ }
    dir = dirname(dir);
  }
  return (cached = 'unknown');
}
