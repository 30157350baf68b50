// md level facts shared by the mdstat and mdadm renderers. Owns: personality names and the
// modules that register them, the raid10 layout decoding (near/far/offset/far-set size) and
// the raid5/6 algorithm names mdadm prints.
// Invariant: pure tables and arithmetic taken from the kernel's and mdadm's documented
// encodings; no I/O.
import type { MdLevel } from '../types.js';

/** Data disks of a level over `raidDisks` devices (what reshape_position counts in). */
export function dataDisks(level: MdLevel, raidDisks: number): number {
  switch (level) {
    case 'raid4': case 'raid5': return raidDisks - 1;
    case 'raid6': return raidDisks - 2;
    default: return 1;
  }
}

/** Levels whose personality has a sync_request method (they print a resync status). */
export function levelHasSync(level: MdLevel): boolean {
  return level === 'raid1' || level === 'raid4' || level === 'raid5' || level === 'raid6' || level === 'raid10';
}

/** The kernel personality name printed in /proc/mdstat for an array of this level. */
export function personalityName(level: MdLevel): string {
  return level;
}

/** The numeric level (md/level as GET_ARRAY_INFO reports it). */
export function levelNumber(level: MdLevel): number {
  switch (level) {
    case 'linear': return -1;
    case 'raid0': return 0;
    case 'raid1': return 1;
    case 'raid4': return 4;
    case 'raid5': return 5;
    case 'raid6': return 6;
    case 'raid10': return 10;
    case 'multipath': return -4;
    case 'faulty': return -5;
    case 'container': return -100; // LEVEL_CONTAINER
  }
}

/** Personalities a kernel module registers, in registration order (raid456 -> 6, 5, 4). */
export function personalitiesOfModule(module: string): string[] {
  switch (module) {
    case 'raid456': return ['raid6', 'raid5', 'raid4'];
    case 'raid0': case 'raid1': case 'raid10': case 'linear': case 'multipath': case 'faulty': return [module];
    default: return [];
  }
}

/** The module that provides a level's personality. */
export function moduleOfLevel(level: MdLevel): string {
  return level === 'raid4' || level === 'raid5' || level === 'raid6' ? 'raid456' : level;
}

/** "Personalities :" list for modules loaded in this order (duplicates ignored). */
export function personalitiesForModules(modules: readonly string[]): string[] {
  const out: string[] = [];
  for (const m of modules) {
    for (const p of personalitiesOfModule(m)) if (!out.includes(p)) out.push(p);
  }
  return out;
}

export interface Raid10Geometry {
  nearCopies: number;
  farCopies: number;
  /** Offset layout (bit 16): far copies are offset by one chunk, not half a device. */
  farOffset: boolean;
  /** Devices per far set (layout bits 17-18 select the rule); equals raid disks normally. */
  farSetSize: number;
}

/** Decodes md/layout of a raid10 array with `raidDisks` devices (kernel setup_geo rules). */
export function raid10Geometry(layout: number, raidDisks: number): Raid10Geometry {
  const nearCopies = layout & 0xff;
  const farCopies = (layout >> 8) & 0xff;
  const farOffset = (layout & 0x10000) !== 0;
  const variant = layout >>> 17;
  let farSetSize = raidDisks;
  if (variant === 1 && farCopies > 0) farSetSize = Math.floor(raidDisks / farCopies);
  if (variant === 2) farSetSize = farCopies * nearCopies;
  return { nearCopies, farCopies, farOffset, farSetSize };
}

const RAID5_ALGORITHMS: ReadonlyMap<number, string> = new Map([
  [0, 'left-asymmetric'], [1, 'right-asymmetric'], [2, 'left-symmetric'], [3, 'right-symmetric'],
  [4, 'parity-first'], [5, 'parity-last'], [8, 'ddf-zero-restart'], [9, 'ddf-N-restart'],
  [10, 'ddf-N-continue'], [16, 'left-asymmetric-6'], [17, 'right-asymmetric-6'],
  [18, 'left-symmetric-6'], [19, 'right-symmetric-6'], [20, 'parity-first-6'],
]);

/** mdadm's name for a raid5/raid6 layout number, or null when it has none. */
export function raid5AlgorithmName(layout: number): string | null {
  return RAID5_ALGORITHMS.get(layout) ?? null;
}

/** mdadm's name for a raid10 layout: "near=2", "far=2", "offset=2", or combined. */
export function raid10LayoutName(layout: number): string {
  const g = raid10Geometry(layout, 0);
  const parts: string[] = [];
  if (g.nearCopies > 1) parts.push(`near=${g.nearCopies}`);
  if (g.farCopies > 1) parts.push(`${g.farOffset ? 'offset' : 'far'}=${g.farCopies}`);
  return parts.join(', ');
}
