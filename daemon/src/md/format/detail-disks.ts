// The device rows of `mdadm --detail` and what --detail --scan derives from them. Owns:
// rebuilding the kernel's GET_DISK_INFO answers from MemberState, mdadm 4.2's placement of
// disks into slot / replacement / extra rows, the "degraded"/"FAILED" test (enough()), and
// the kernfs directory order in which mdadm reads md/dev-* from sysfs.
// Invariants: pure; rows come out in mdadm's print order; a slot with no device yields a
// "removed" row and an empty replacement position yields none.
import type { ArrayState, MemberState, Superblock090Disk } from '../types.js';
import { raid10Geometry } from './levels.js';

export const MD_DISK_FAULTY = 1 << 0;
export const MD_DISK_ACTIVE = 1 << 1;
export const MD_DISK_SYNC = 1 << 2;
export const MD_DISK_REMOVED = 1 << 3;
export const MD_DISK_WRITEMOSTLY = 1 << 9;
export const MD_DISK_FAILFAST = 1 << 10;
export const MD_DISK_JOURNAL = 1 << 18;

/**
 * One mdu_disk_info_t as mdadm holds it, plus the device path map_dev() would find: the same
 * fields as a 0.90 superblock's mdp_disk_t (md/types.ts), one definition for both. number is
 * desc_nr, or -1 where mdadm has none (empty slot, inactive array); raidDisk -1 for none.
 */
export type DiskRow = Superblock090Disk;

/** The kernel's GET_DISK_INFO answer for a member (md.c get_disk_info). */
export function diskInfoOf(m: MemberState): DiskRow {
  const f = new Set(m.flags);
  let state = 0;
  if (f.has('faulty')) state |= MD_DISK_FAULTY;
  else if (f.has('in_sync')) state |= MD_DISK_ACTIVE | MD_DISK_SYNC;
  if (f.has('journal')) state |= MD_DISK_JOURNAL;
  if (f.has('write_mostly')) state |= MD_DISK_WRITEMOSTLY;
  if (f.has('failfast')) state |= MD_DISK_FAILFAST;
  return { number: m.descNumber, major: m.major, minor: m.minor, raidDisk: m.slot ?? -1, state, devPath: m.devPath };
}

export function isArrayRunning(a: ArrayState): boolean {
  return a.arrayState !== 'inactive' && a.arrayState !== 'clear';
}

/** Bit-exact kernfs_name_hash() for a name in a directory without namespace tags. */
export function kernfsNameHash(name: string): number {
  const mask64 = (1n << 64n) - 1n;
  let h = 0n;
  for (const byte of new TextEncoder().encode(name)) {
    const c = BigInt(byte);
    h = ((h + (c << 4n) + (c >> 4n)) * 11n) & mask64;
  }
  let r = Number((((h * 0x61c8864680b583ebn) & mask64) >> 32n) & 0x7fffffffn);
  if (r < 2) r += 2;
  if (r >= 0x7fffffff) r = 0x7ffffffe;
  return r;
}

/** Members in the order mdadm's sysfs_read() lists md/dev-* (kernfs hash order). */
export function membersInSysfsOrder(members: readonly MemberState[]): MemberState[] {
  const keyed = members.map((m) => ({ m, h: kernfsNameHash(`dev-${m.name}`) }));
  keyed.sort((x, y) => x.h - y.h || (x.m.name < y.m.name ? -1 : x.m.name > y.m.name ? 1 : 0));
  return keyed.map((k) => k.m);
}

export interface DiskLayout {
  /** raidDisks*2 slot positions (primary, replacement) then the extra rows; null = skipped. */
  rows: DiskRow[];
  /** Index in rows of the first extra row (mdadm prints a blank line before it). */
  extraStart: number;
  /** Slots whose primary or replacement disk is in sync. */
  avail: boolean[];
}

function emptySlot(raidDisk: number): DiskRow {
  return { number: -1, major: 0, minor: 0, raidDisk, state: MD_DISK_REMOVED, devPath: null };
}

/** mdadm 4.2's disks[] array: slot d at 2d, its replacement at 2d+1, then the rest. */
export function layoutDisks(a: ArrayState): DiskLayout {
  const raidDisks = isArrayRunning(a) ? a.raidDisks : 0;
  const slots: DiskRow[] = [];
  for (let d = 0; d < raidDisks * 2; d++) slots.push(emptySlot(Math.floor(d / 2)));
  const extra: DiskRow[] = [];
  if (raidDisks === 0 && !isArrayRunning(a)) {
    for (const m of membersInSysfsOrder(a.members)) extra.push({ ...diskInfoOf(m), number: -1, raidDisk: m.slot ?? -1 });
  } else {
    const byNumber = [...a.members].sort((x, y) => x.descNumber - y.descNumber);
    for (const m of byNumber) placeDisk(diskInfoOf(m), raidDisks, slots, extra);
  }
  const avail: boolean[] = [];
  for (let d = 0; d < raidDisks; d++) {
    avail.push((slots[2 * d].state & MD_DISK_SYNC) !== 0 || (slots[2 * d + 1].state & MD_DISK_SYNC) !== 0);
  }
  return { rows: [...slots, ...extra], extraStart: slots.length, avail };
}

function placeDisk(disk: DiskRow, raidDisks: number, slots: DiskRow[], extra: DiskRow[]): void {
  const inRange = disk.raidDisk >= 0 && disk.raidDisk < raidDisks && (disk.state & MD_DISK_JOURNAL) === 0;
  if (inRange && slots[disk.raidDisk * 2].state === MD_DISK_REMOVED) slots[disk.raidDisk * 2] = disk;
  else if (inRange && slots[disk.raidDisk * 2 + 1].state === MD_DISK_REMOVED) slots[disk.raidDisk * 2 + 1] = disk;
  else extra.push(disk);
}

/** Whether a row is printed at all (empty replacement positions and empty extras are not). */
export function rowPrinted(layout: DiskLayout, index: number): boolean {
  const r = layout.rows[index];
  const empty = r.major === 0 && r.minor === 0;
  if (index >= layout.extraStart && empty) return false;
  return !(index % 2 === 1 && index < layout.extraStart && empty);
}

/** mdadm enough(): can the array run with the slots in `avail`? */
export function enoughDisks(a: ArrayState, avail: readonly boolean[]): boolean {
  const n = avail.length;
  const up = avail.filter(Boolean).length;
  switch (a.level) {
    case 'linear': case 'raid0': case 'faulty': return up === n;
    case 'raid1': case 'multipath': return up >= 1;
    case 'container': return false;
    case 'raid4': case 'raid5': return up >= n - 1;
    case 'raid6': return up >= n - 2;
    case 'raid10': return raid10Enough(a.layout, avail);
  }
}

function raid10Enough(layout: number, avail: readonly boolean[]): boolean {
  const n = avail.length;
  const g = raid10Geometry(layout, n);
  const copies = g.nearCopies * g.farCopies;
  if (n === 0 || copies === 0) return false;
  let first = 0;
  for (let guard = 0; guard < n; guard++) {
    let count = 0;
    for (let k = 0, at = first; k < copies; k++, at = (at + 1) % n) if (avail[at]) count++;
    if (count === 0) return false;
    first = (first + g.nearCopies) % n;
    if (first === 0) return true;
  }
  return true;
}
