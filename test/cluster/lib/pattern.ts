// Known data on an md array: a deterministic byte pattern written by one node (the master)
// and read back by another (after a failover), compared by SHA-256. Owns: the pattern file in
// the bus dir, and the dd command lines (O_DIRECT both ways, so neither side's page cache can
// hide what is on the shared disks).
// Invariants: the pattern is a pure function of its seed (SHA-256 counter blocks); writes end
// with fsync; reads bypass the page cache.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busLayout } from '../guest/protocol.js';
import type { LaneCluster } from './cluster.js';
import { mustSh } from './node-ops.js';

export const PATTERN_MIB = 4;
const MIB = 1024 * 1024;

export function patternBytes(seed: string, sizeMiB = PATTERN_MIB): Buffer {
  const out = Buffer.alloc(sizeMiB * MIB);
  for (let off = 0, n = 0; off < out.length; off += 32, n++) {
    createHash('sha256').update(`${seed}:${n}`).digest().copy(out, off);
  }
  return out;
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Writes the pattern into the bus dir; returns its SHA-256. */
export function publishPattern(c: LaneCluster, seed: string): string {
  const bytes = patternBytes(seed);
  writeFileSync(join(c.busDir, busLayout.patternFile), bytes);
  return sha256(bytes);
}

/** node i writes the published pattern to /dev/<md> at offsetMiB (O_DIRECT, fsync). */
export async function writePattern(c: LaneCluster, i: number, md: string, offsetMiB: number): Promise<void> {
  await mustSh(c, i, `dd if=/lab/bus/${busLayout.patternFile} of=/dev/${md} bs=1M seek=${offsetMiB} count=${PATTERN_MIB} oflag=direct conv=notrunc,fsync status=none`, 120_000);
}

/** SHA-256 of PATTERN_MIB MiB of /dev/<md> at offsetMiB as node i reads it (O_DIRECT). */
export async function readPatternSha(c: LaneCluster, i: number, md: string, offsetMiB: number): Promise<string> {
  const out = await mustSh(c, i, `dd if=/dev/${md} bs=1M skip=${offsetMiB} count=${PATTERN_MIB} iflag=direct status=none | sha256sum`, 120_000);
  return out.trim().split(/\s+/)[0]!;
}
