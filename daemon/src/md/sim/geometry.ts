// RAID geometry of the simulated md driver: level numbers, layouts, chunk defaults, mdadm's
// data offsets, component/array sizes, sync sizes and md's "enough devices" rules.
// Owns: the arithmetic, as facts read from the Linux 6.1 captures and md/mdadm documentation
// (e.g. a 64 MiB v1.2 raid1 member has data offset 2048 and 64512 KiB used size).
// Invariants: pure functions, no I/O; sizes in 512-byte sectors unless the name says KiB.
import { OpError } from '../../common/errors.js';
import type { MdLevel } from '../types.js';

/** Sync requests advance in 64 KiB blocks (raid1/raid10 RESYNC_BLOCK_SIZE). */
export const SYNC_BLOCK_SECTORS = 128;
/** mdadm's default chunk for striped levels, in KiB. */
export const DEFAULT_CHUNK_KIB = 512;
/** mdadm enables an internal bitmap by default from this component size on (100 GiB). */
export const AUTO_BITMAP_MIN_KIB = 100 * 1024 * 1024;
/** Default internal bitmap chunk mdadm picked in every capture, in KiB. */
export const DEFAULT_BITMAP_CHUNK_KIB = 65536;
/** v1.2 superblock position (4 KiB from the start). */
export const SUPER_OFFSET_V12_SECTORS = 8;

const ONE_MIB_SECTORS = 2048;
const MAX_HEADROOM_SECTORS = 128 * 1024 * 2;

export { levelNumber } from '../format/levels.js';

export function levelFromNumber(n: number): MdLevel | null {
  switch (n) {
    case -1: return 'linear';
    case 0: return 'raid0';
    case 1: return 'raid1';
    case 4: return 'raid4';
    case 5: return 'raid5';
    case 6: return 'raid6';
    case 10: return 'raid10';
    default: return null;
  }
}

export function hasRedundancy(level: MdLevel): boolean {
  return level !== 'raid0' && level !== 'linear';
}

export function isStriped(level: MdLevel): boolean {
  return level !== 'raid1' && level !== 'linear' && level !== 'multipath' && level !== 'faulty' && level !== 'container';
}

/** Smallest raid-devices count mdadm creates without --force. */
export function minRaidDisks(level: MdLevel): number {
  switch (level) {
    case 'linear': case 'faulty': case 'multipath': case 'container': return 1;
    case 'raid0': return 1;
    case 'raid1': return 2;
    case 'raid4': case 'raid5': return 2;
    case 'raid6': return 4;
    case 'raid10': return 2;
  }
}

const RAID5_LAYOUTS: Readonly<Record<string, number>> = {
  'left-asymmetric': 0, la: 0, 'right-asymmetric': 1, ra: 1, 'left-symmetric': 2, ls: 2,
  'right-symmetric': 3, rs: 3, 'parity-first': 4, 'parity-last': 5, default: 2,
};

/** md/layout for a level and mdadm --layout text (raid10 n2/f2/o2, raid5/6 algorithm names). */
export function parseLayout(level: MdLevel, text: string | undefined): number {
  if (level === 'raid10') {
    const m = /^([nfo])([1-9])$/.exec(text ?? 'n2');
    if (m === null) throw new OpError('E_INVALID_ARGUMENT', `invalid raid10 layout ${JSON.stringify(text)}`);
    const copies = Number(m[2]);
    if (m[1] === 'n') return 0x100 | copies;
    if (m[1] === 'f') return (copies << 8) | 1;
    return 0x10000 | (copies << 8) | 1;
  }
  if (level === 'raid4' || level === 'raid5' || level === 'raid6') {
    const code = RAID5_LAYOUTS[text ?? 'default'];
    if (code === undefined || (level === 'raid4' && text !== undefined && code !== 5)) {
      throw new OpError('E_INVALID_ARGUMENT', `invalid ${level} layout ${JSON.stringify(text)}`);
    }
    return level === 'raid4' ? 5 : code;
  }
  if (text !== undefined) throw new OpError('E_INVALID_ARGUMENT', `${level} takes no layout`);
  return level === 'raid0' ? -1 : 0;
}

/** raid10 copies: near * far. */
export function raid10Copies(layout: number): { near: number; far: number; copies: number } {
  const near = layout & 0xff;
  const far = (layout >> 8) & 0xff;
  return { near, far, copies: near * far };
}

/** mdadm's data offset for a v1.1/v1.2 member: reshape headroom plus bitmap space, 1 MiB aligned. */
export function dataOffsetSectors(deviceSectors: number, chunkSectors: number, bitmapSectors: number): number {
  let headroom = MAX_HEADROOM_SECTORS;
  while (headroom * 1024 > deviceSectors && headroom / 2 >= Math.max(chunkSectors * 2, 1)) headroom /= 2;
  const raw = 24 + bitmapSectors + headroom;
  return Math.ceil(raw / ONE_MIB_SECTORS) * ONE_MIB_SECTORS;
}

export interface MemberLayout {
  superOffsetSectors: number;
  dataOffsetSectors: number;
  /** Usable data sectors on the member (data_size; sysfs dev-X/size * 2). */
  availSectors: number;
}

/** Where the superblock and the data sit on a member of `deviceSectors`. */
export function memberLayout(minor: 0 | 1 | 2, deviceSectors: number, chunkSectors: number, bitmap: boolean): MemberLayout {
  const bitmapSectors = bitmap ? 8 : 0;
  if (minor === 0) {
    const superOffset = Math.floor((deviceSectors - 16) / 8) * 8;
    return { superOffsetSectors: superOffset, dataOffsetSectors: 0, availSectors: Math.max(0, superOffset - (bitmap ? 16 : 0)) };
  }
  const dataOffset = dataOffsetSectors(deviceSectors, chunkSectors, bitmapSectors);
  return {
    superOffsetSectors: minor === 1 ? 0 : SUPER_OFFSET_V12_SECTORS,
    dataOffsetSectors: dataOffset,
    availSectors: Math.max(0, deviceSectors - dataOffset),
  };
}

/** The used size per member: chunk multiples for striped levels, 64 KiB multiples otherwise. */
export function roundComponentSectors(level: MdLevel, chunkSectors: number, sectors: number): number {
  const unit = isStriped(level) && chunkSectors > 0 ? chunkSectors : 128;
  return Math.floor(sectors / unit) * unit;
}

/** Array size in sectors for members of `componentSectors` (linear/raid0: the per-member sizes). */
export function arraySectors(level: MdLevel, raidDisks: number, layout: number, componentSectors: number, memberSectors: readonly number[]): number {
  switch (level) {
    case 'linear': case 'raid0': return memberSectors.reduce((a, b) => a + b, 0);
    case 'raid1': case 'multipath': case 'faulty': return componentSectors;
    case 'container': return 0;
    case 'raid4': case 'raid5': return componentSectors * (raidDisks - 1);
    case 'raid6': return componentSectors * (raidDisks - 2);
    case 'raid10': return Math.floor((componentSectors * raidDisks) / Math.max(1, raid10Copies(layout).copies));
  }
}

/** Sectors a resync/check walks: the array size for raid10, the component size otherwise. */
export function resyncTotalSectors(level: MdLevel, arraySizeSectors: number, componentSectors: number): number {
  return level === 'raid10' ? arraySizeSectors : componentSectors;
}

/**
 * md's "is the array still usable with these slots in sync" rule.
 * raid10: every group of `copies` consecutive slots, starting at 0 and stepping by near
 * copies, needs one working slot; raid1: one; raid4/5: all but one; raid6: all but two.
 */
export function enoughSlots(level: MdLevel, raidDisks: number, layout: number, working: (slot: number) => boolean): boolean {
  let up = 0;
  for (let s = 0; s < raidDisks; s++) if (working(s)) up++;
  switch (level) {
    case 'linear': case 'raid0': case 'faulty': return up === raidDisks;
    case 'raid1': case 'multipath': return up >= 1;
    case 'container': return false;
    case 'raid4': case 'raid5': return up >= raidDisks - 1;
    case 'raid6': return up >= raidDisks - 2;
    case 'raid10': return raid10Enough(raidDisks, layout, working);
  }
}

function raid10Enough(raidDisks: number, layout: number, working: (slot: number) => boolean): boolean {
  const { near, copies } = raid10Copies(layout);
  let first = 0;
  for (let group = 0; group < raidDisks; group++) {
    let cnt = 0;
    for (let i = 0, s = first; i < copies; i++, s = (s + 1) % raidDisks) if (working(s)) cnt++;
    if (cnt === 0) return false;
    first = (first + near) % raidDisks;
    if (first === 0) break;
  }
  return true;
}
