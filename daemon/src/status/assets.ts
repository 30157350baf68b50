// The dashboard's static files (daemon/web/ in the repository) and the package version, found
// from this module's location whether it runs from daemon/src (tests) or dist/daemon/src (built).
// Owns: which files the status port serves at `/` and their content types.
// Invariants: only the files named in ASSETS are served (no path from a request reaches the
// file system); each is read once, at most STATUS_MAX_ASSET_BYTES; a missing file is a 404,
// never a crash.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STATUS_MAX_ASSET_BYTES } from '../common/limits.js';

/** URL path -> file under daemon/web, content type. */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
  '/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
};

/** Levels walked up from this module to find the package root: dist/daemon/src/status is 4 deep. */
const MAX_UP_LEVELS = 6;

/** The directory holding mdclusterd's package.json, or null. */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string | null {
  let dir = from;
  for (let i = 0; i < MAX_UP_LEVELS; i++) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try { if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'mdclusterd') return dir; } catch { /* keep looking */ }
    }
    dir = dirname(dir);
  }
  return null;
}

export function packageVersion(): string {
  const root = packageRoot();
  if (root === null) return 'unknown';
  try { return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown'; } catch { return 'unknown'; }
}

export interface Asset { body: Buffer; type: string }

export class Assets {
  private readonly cache = new Map<string, Asset | null>();
  constructor(private readonly dir: string | null = webDir()) {}

  /** The asset for a URL path, or null (not one of ours, or unreadable). */
  get(path: string): Asset | null {
    const a = ASSETS[path];
    if (a === undefined || this.dir === null) return null;
    if (!this.cache.has(a.file)) this.cache.set(a.file, this.load(a.file, a.type));
    return this.cache.get(a.file) ?? null;
  }

  private load(file: string, type: string): Asset | null {
    const p = join(this.dir!, file);
    try {
      if (statSync(p).size > STATUS_MAX_ASSET_BYTES) return null;
      return { body: readFileSync(p), type };
    } catch {
      return null;
    }
  }
}

function webDir(): string | null {
  const root = packageRoot();
  return root === null ? null : join(root, 'daemon', 'web');
}
