// The in-memory "kernel" state of one simulated md array (struct mddev / md_rdev in spirit)
// and the small derived facts every operation needs.
// Owns: SimArray and SimMember, the running array's own view. It is built from superblocks
// at create/assemble and afterwards changes only through this driver instance's operations:
// it never re-reads superblocks (a read-only standby keeps its stale view until stop +
// assemble, exactly like the real kernel).
// Invariants:
// - members is in kernel list order (newest bound first, as /proc/mdstat prints them).
// - descNumber is unique within an array; a slot holds at most one non-replacement member
//   and at most one replacement.
// - faulty members hold no slot and are not in sync.
// - recoveryCpSectors is null exactly when md's recovery_cp is MaxSector (no resync needed).
import type { MdLevel, SyncAction } from '../types.js';
import { dataDisks } from '../format/levels.js';
import { enoughSlots, hasRedundancy } from './geometry.js';
import type { SimTimerHandle } from './deps.js';

export type RoMode = 'rw' | 'readonly' | 'read-auto';

export interface SimMember {
  diskId: string;
  /** The path this node used for the component, e.g. "/dev/vdb". */
  devPath: string;
  /** Kernel block device name, e.g. "vdb". */
  name: string;
  major: number;
  minor: number;
  descNumber: number;
  deviceUuid: string;
  /** raid_disk, or null for spares, faulty and removed-from-slot members. */
  slot: number | null;
  inSync: boolean;
  faulty: boolean;
  writeMostly: boolean;
  /** This member rebuilds the slot of a want_replacement member. Invariant: slot !== null. */
  replacement: boolean;
  wantReplacement: boolean;
  /** rdev->recovery_offset; meaningful while not in sync (checkpointed recovery progress). */
  recoveryOffsetSectors: number;
  /** md's saved_raid_disk: the slot a re-added member held before, or a faulty member held until md took it out; null otherwise. */
  savedSlot: number | null;
  /** Recovery of this member only needs the bitmap's dirty regions (re-add with a bitmap). */
  bitmapRecovery: boolean;
  errors: number;
  dataOffsetSectors: number;
  superOffsetSectors: number;
  /** rdev->sectors: usable data sectors on this member. */
  availSectors: number;
}

export type SyncKind = 'resync' | 'recover' | 'check' | 'repair' | 'reshape';

/** A running sync thread. Progress is linear in time from (anchorPos, anchorMs) at rate. */
export interface SyncRun {
  kind: SyncKind;
  totalSectors: number;
  /** curr_resync_completed: the last checkpoint (sysfs sync_completed). */
  checkpointSectors: number;
  anchorPosSectors: number;
  anchorMs: number;
  /** Progress rate in sectors per ms at the anchor; 0 means stalled. */
  rateSectorsPerMs: number;
  /** Parked at sync_max (thread alive, waiting for sync_max to move). */
  parked: boolean;
  /** Fraction of the range that really needs copying (bitmap-based recovery), in (0, 1]. */
  workFraction: number;
}

export interface SimArray {
  device: string;
  uuid: string;
  name: string;
  level: MdLevel;
  layout: number;
  chunkSectors: number;
  raidDisks: number;
  /** 1, 1 or 2 for metadata 1.0 / 1.1 / 1.2. */
  minorVersion: 0 | 1 | 2;
  /** mddev->dev_sectors: used size per member (0 shown for raid0/linear). */
  componentSectors: number;
  arraySizeSectors: number;
  ro: RoMode;
  /** mddev->in_sync: clean (no writes outstanding since the last safe-mode transition). */
  inSync: boolean;
  recoveryCpSectors: number | null;
  syncMinSectors: number;
  syncMaxSectors: number | null;
  frozen: boolean;
  /** A check/repair asked for through sync_action and not yet started. */
  requested: 'check' | 'repair' | null;
  sync: SyncRun | null;
  lastSyncAction: SyncAction | null;
  events: number;
  canDecreaseEvents: boolean;
  /** A superblock update was due while read-only; written when the array goes read-write. */
  sbPending: boolean;
  ctimeSec: number;
  utimeSec: number;
  bitmapChunkKiB: number | null;
  /** Sectors written while degraded: what a bitmap-based re-add must copy. */
  bitmapDirtySectors: number;
  mismatchCount: number;
  /** MD_BROKEN: an attempt to fail the last working device was refused. */
  broken: boolean;
  /**
   * A reshape to `raidDisks` devices from `oldDisks` (mdadm --grow --raid-devices) or to the
   * chunk `newChunkSectors` (--chunk; chunkSectors stays the old chunk until the end, as md's
   * mddev->chunk_sectors), or null. deviceProgressSectors: per-device sectors already in the new
   * layout, as last written to the superblocks; a backwards reshape (mdadm moved the data
   * offsets up by `offsetDeltaSectors`) walks them from the end. offsetDeltaSectors: the data
   * offset change each member takes when the reshape ends (negative: moved down).
   */
  reshape: { oldDisks: number; deviceProgressSectors: number; newChunkSectors?: number; backwards?: boolean; offsetDeltaSectors?: number } | null;
  /** Simulated openers (mounted filesystems); stop/readonly fail with EBUSY while > 0. */
  openCount: number;
  members: SimMember[];
  /** The pending wake-up for the next sync step or safe-mode transition. */
  timer: SimTimerHandle | null;
  safeModeTimer: SimTimerHandle | null;
}

/** The non-replacement member holding `slot`, if any. */
export function memberInSlot(a: SimArray, slot: number): SimMember | undefined {
  return a.members.find((m) => m.slot === slot && !m.replacement);
}

export function replacementInSlot(a: SimArray, slot: number): SimMember | undefined {
  return a.members.find((m) => m.slot === slot && m.replacement);
}

/** A slot counts as working when its main member is in sync (a finished replacement moves in). */
export function slotWorking(a: SimArray, slot: number): boolean {
  const m = memberInSlot(a, slot);
  return m !== undefined && m.inSync && !m.faulty;
}

/** md's degraded count: slots without an in-sync device. */
export function degradedCount(a: SimArray): number {
  if (!hasRedundancy(a.level)) return 0;
  let missing = 0;
  for (let s = 0; s < a.raidDisks; s++) if (!slotWorking(a, s)) missing++;
  return missing;
}

/** Would the array still run if `except` stopped working? */
export function enoughWithout(a: SimArray, except: SimMember | null): boolean {
  return enoughSlots(a.level, a.raidDisks, a.layout, (s) => {
    const m = memberInSlot(a, s);
    return m !== undefined && m !== except && m.inSync && !m.faulty;
  });
}

/** Members that could become active: working, no slot. */
export function idleSpares(a: SimArray): SimMember[] {
  return a.members.filter((m) => !m.faulty && m.slot === null);
}

/** Members in a slot but still recovering. */
export function recoveringMembers(a: SimArray): SimMember[] {
  return a.members.filter((m) => !m.faulty && m.slot !== null && !m.inSync);
}

export function findMemberByDisk(a: SimArray, diskId: string): SimMember | undefined {
  return a.members.find((m) => m.diskId === diskId);
}

/** Lowest free desc number from `from` (md's bind_rdev_to_array choice). */
export function freeDescNumber(a: SimArray, from: number): number {
  let n = from;
  while (a.members.some((m) => m.descNumber === n)) n++;
  return n;
}

export function isRunning(a: SimArray): boolean {
  return a.sync !== null;
}

/**
 * md's reshape_position for the sim's reshape progress, in array sectors of the new layout:
 * counted up from 0, or down from the end for a backwards reshape.
 */
export function reshapePosition(a: SimArray, deviceProgressSectors: number): number {
  const dd = dataDisks(a.level, a.raidDisks);
  return a.reshape?.backwards === true ? (a.componentSectors - deviceProgressSectors) * dd : deviceProgressSectors * dd;
}
