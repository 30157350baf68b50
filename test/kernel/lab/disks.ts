// Kernel lab: raw disk image files. Owns: creating sparse images and resolving disk paths.
// Invariants: an existing file is never truncated or resized (shared disks are created once
// and reused by every guest); a new file is sparse (truncate), so 1 TiB costs nothing.
import { open, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { DiskSpec } from './types.js';
import type { ResolvedDisk } from './qemu-args.js';

const MIB = 1024 * 1024;

/** Creates `path` as a sparse file of sizeMiB unless it already exists. */
export async function ensureDiskFile(path: string, sizeMiB: number): Promise<void> {
  if (!Number.isInteger(sizeMiB) || sizeMiB <= 0) throw new Error(`kernel lab: bad disk size ${sizeMiB} MiB for ${path}`);
  try {
    await stat(path);
    return;
  } catch {
    // missing: create below
  }
  const fh = await open(path, 'wx');
  try {
    await fh.truncate(sizeMiB * MIB);
  } finally {
    await fh.close();
  }
}

export async function resolveDisks(disks: readonly DiskSpec[], runDir: string): Promise<ResolvedDisk[]> {
  const out: ResolvedDisk[] = [];
  for (const [i, d] of disks.entries()) {
    const path = d.path === undefined ? join(runDir, `disk${i}.img`) : isAbsolute(d.path) ? d.path : join(runDir, d.path);
    await ensureDiskFile(path, d.sizeMiB);
    out.push({ path, shared: d.shared === true });
  }
  return out;
}
