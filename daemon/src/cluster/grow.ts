// mdadm --grow as replicated commands: what may be grown when, what a grow changes in the
// record, and what the master's md must do to carry it out.
// Commands: grow-bitmap (--bitmap=internal|none), grow-size (--size=N; "max" is resolved by
// mdctl from the members' sizes), grow-raid-devices (--raid-devices=N: raid1 mirrors, raid4/5/6
// reshape; the reshape's progress is the replicated 'reshape' sync checkpoint), grow-chunk
// (--chunk=N: a raid4/5/6 restripe, a reshape like the raid4/5/6 device count).
// Owns: the rules of the grow-* commands (validation with mdadm's words), their apply, and the
// grow actions of the master's plan and the standby's staleness test for grown arrays.
// Invariants:
// - Pure and deterministic (validate/apply time and plan time only).
// - A grow command sets the record's shape and `growIndex`; until an observation based at or
//   after `growIndex` (or while a client's grow is pending) the master carries the record's
//   shape out in md, so no observation of the kernel as it was before can revert a grow.
// - A standby re-reads the superblocks for a changed shape only when no grow is pending (the
//   master has carried it out, or md refused it and the record went back).
import type { ErrorCode } from '../common/errors.js';
import { dataDisks } from '../md/format/levels.js';
import type { ArrayState } from '../md/types.js';
import type { CommandOf } from './commands.js';
import type { ArrayRecord, GrowField } from './types.js';

export type GrowCommand = CommandOf<'grow-bitmap' | 'grow-size' | 'grow-raid-devices' | 'grow-chunk'>;
export type GrowVerdict = { ok: true } | { ok: false; code: ErrorCode; message: string };
/** The md actions a grow needs on the master. */
export type GrowAction = { kind: 'grow-bitmap'; bitmap: 'internal' | 'none' } | { kind: 'grow-size'; sizeKiB: number; assumeClean: boolean }
  | { kind: 'grow-raid-devices'; raidDevices: number; backupFile: string | null } | { kind: 'grow-chunk'; chunkKiB: number; backupFile: string | null };

const OK: GrowVerdict = { ok: true };
const no = (code: ErrorCode, message: string): GrowVerdict => ({ ok: false, code, message });

export function isGrowCommand(cmd: { op: string }): cmd is GrowCommand {
  return cmd.op === 'grow-bitmap' || cmd.op === 'grow-size' || cmd.op === 'grow-raid-devices' || cmd.op === 'grow-chunk';
}

/** The array fields a grow command changes (its undo record keeps these as they were). */
export function growUndo(a: ArrayRecord): Partial<Pick<ArrayRecord, GrowField>> {
  return { bitmap: a.bitmap, bitmapChunkKiB: a.bitmapChunkKiB ?? null, componentSizeKiB: a.componentSizeKiB, growAssumeClean: a.growAssumeClean ?? false, raidDisks: a.raidDisks, chunkKiB: a.chunkKiB, growBackupFile: a.growBackupFile };
}

/** What the kernel runs the array with: an internal (or file) bitmap, or none. */
export function kernelBitmap(actual: ArrayState): 'internal' | 'none' {
  return actual.bitmap !== null && actual.bitmap.location !== 'none' ? 'internal' : 'none';
}

/** The sync the record says runs, in mdadm's words for why a bitmap cannot change now. */
function busySync(a: ArrayRecord): string | null {
  return a.sync.action === 'idle' ? null : a.sync.action;
}

/**
 * mdadm 4.2 Grow_addbitmap's checks, in its order: a bitmap that is already there, no bitmap to
 * remove, a level without redundancy; md itself refuses while a sync runs (EBUSY: mdadm "Cannot
 * add bitmap while array is resyncing or reshaping etc."), and member changes on a read-only or
 * stopped array.
 */
export function validateGrow(a: ArrayRecord, cmd: GrowCommand): GrowVerdict {
  const md = `/dev/${a.device}`;
  if (a.run === 'stopped') return no('E_INVALID_STATE', `cannot grow ${md}: it is stopped (mdctl --assemble ${md} starts it)`);
  switch (cmd.op) {
    case 'grow-bitmap': return validateBitmap(a, cmd, md);
    case 'grow-size': return validateSize(a, cmd, md);
    case 'grow-raid-devices': return validateRaidDevices(a, cmd, md);
    case 'grow-chunk': return validateChunk(a, cmd, md);
  }
}

function validateBitmap(a: ArrayRecord, cmd: CommandOf<'grow-bitmap'>, md: string): GrowVerdict {
  if (cmd.bitmap === 'internal' && a.bitmap === 'internal') return no('E_INVALID_STATE', `bitmap already present on ${md}`);
  if (cmd.bitmap === 'none' && a.bitmap === 'none') return no('E_INVALID_STATE', `no bitmap found on ${md}`);
  if (a.level === 'raid0' || a.level === 'linear') return no('E_INVALID_STATE', `Bitmaps not meaningful with level ${a.level}`);
  if (a.adminReadOnly) return no('E_INVALID_STATE', `cannot change the bitmap of ${md}: it is read-only (mdctl --readwrite first)`);
  const busy = busySync(a);
  if (busy !== null) {
    return no('E_ARRAY_BUSY', cmd.bitmap === 'internal'
      ? `Cannot add bitmap while array is resyncing or reshaping etc. (${md}: ${busy})`
      : `failed to remove internal bitmap: ${md} is running ${busy}; retry when it finishes`);
  }
  return OK;
}

/**
 * mdadm 4.2 Grow_reshape's size checks: md resizes only levels with redundancy (raid0/linear:
 * EINVAL), never while a resync/recovery runs (mdadm freezes first and gives up), and a
 * striped level only in whole chunks (md would round down, and the record must say what md
 * does). Whether the members have the room is md's answer (ENOSPC after commit).
 */
function validateSize(a: ArrayRecord, cmd: CommandOf<'grow-size'>, md: string): GrowVerdict {
  if (a.level === 'raid0' || a.level === 'linear') return no('E_INVALID_STATE', `Cannot set device size for ${md}: Invalid argument`);
  if (a.adminReadOnly) return no('E_INVALID_STATE', `cannot change the size of ${md}: it is read-only (mdctl --readwrite first)`);
  if (busySync(a) !== null) return no('E_ARRAY_BUSY', `${md} is performing resync/recovery and cannot be reshaped`);
  if (a.chunkKiB !== null && a.chunkKiB > 0 && a.level !== 'raid1' && cmd.sizeKiB % a.chunkKiB !== 0) {
    return no('E_INVALID_ARGUMENT', `size ${cmd.sizeKiB}K of ${md} is not a multiple of its chunk (${a.chunkKiB}K)`);
  }
  return OK;
}

/** Spares md can take into new slots: no add, replacement or removal pending. */
function usableSpares(a: ArrayRecord): number {
  return a.members.filter((m) => m.role === 'spare' && m.pendingAdd === null && m.replacementFor === null).length;
}

/**
 * mdadm 4.2 Grow_reshape's --raid-devices checks: a change at all; the levels md reshapes
 * here (raid1: raid_disks; raid4/5/6: grow by a reshape); no resync/recovery running; enough
 * spares for the new slots unless --force ("Need N spares to avoid degraded array"); raid1
 * shrinks only to hold the devices it has in slots (md: EBUSY); raid4/5/6 shrinking needs
 * --array-size first, which mdctl does not offer.
 */
function validateRaidDevices(a: ArrayRecord, cmd: CommandOf<'grow-raid-devices'>, md: string): GrowVerdict {
  if (cmd.raidDevices === a.raidDisks) return no('E_INVALID_ARGUMENT', `${md}: no change requested`);
  const striped = a.level === 'raid4' || a.level === 'raid5' || a.level === 'raid6';
  if (a.level !== 'raid1' && !striped) return no('E_NOT_SUPPORTED', `changing the number of devices of a ${a.level} array is not supported by mdctl`);
  if (a.adminReadOnly) return no('E_INVALID_STATE', `cannot reshape ${md}: it is read-only (mdctl --readwrite first)`);
  if (busySync(a) !== null) return no('E_ARRAY_BUSY', `${md} is performing resync/recovery and cannot be reshaped`);
  const need = cmd.raidDevices - a.raidDisks;
  const have = usableSpares(a);
  if (need > 0 && have < need && cmd.force !== true) {
    return no('E_INVALID_STATE', `Need ${need} spare${need === 1 ? '' : 's'} to avoid degraded array, and only have ${have}.\n       Use --force to over-ride this check.`);
  }
  if (need < 0 && striped) return no('E_NOT_SUPPORTED', `reducing the number of devices of ${md} (${a.level}) needs --array-size first, which mdctl does not support`);
  const slotted = a.members.filter((m) => m.role === 'active').length;
  if (need < 0 && slotted > cmd.raidDevices) {
    return no('E_DEVICE_BUSY', `cannot reduce ${md} to ${cmd.raidDevices} devices: ${slotted} are active (fail and remove ${slotted - cmd.raidDevices} first)`);
  }
  if (striped && cmd.raidDevices < (a.level === 'raid6' ? 4 : 3)) return no('E_INVALID_ARGUMENT', `${a.level} needs at least ${a.level === 'raid6' ? 4 : 3} devices`);
  return OK;
}

/** The chunk size md runs (or restripes to) for a kernel view, in KiB; null when md shows none (under 4 KiB). */
export function kernelChunkKiB(actual: ArrayState): number | null {
  const bytes = actual.reshape?.newChunkSizeBytes ?? actual.chunkSizeBytes;
  return bytes >= 4096 ? bytes / 1024 : null;
}

/**
 * mdadm 4.2 Grow_reshape / analyse_change for --chunk, in their order: no resync/recovery
 * running (mdadm's freeze comes first); a level with a chunk
 * ("chunk size not meaningful for this level" for raid1/linear); the new chunk divides the
 * component size (mdadm's three lines, suggesting the size to shrink to); raid10 and raid0
 * (mdadm restripes raid0 through raid4, which mdctl does not do); md's own rule (raid5 check_reshape: a power of two, EINVAL -> mdadm "Cannot set device shape").
 * The same chunk is no change (mdctl answers that without a command).
 */
function validateChunk(a: ArrayRecord, cmd: CommandOf<'grow-chunk'>, md: string): GrowVerdict {
  const striped = a.level === 'raid4' || a.level === 'raid5' || a.level === 'raid6';
  if (busySync(a) !== null) return no('E_ARRAY_BUSY', `${md} is performing resync/recovery and cannot be reshaped`);
  if (!striped && a.level !== 'raid0' && a.level !== 'raid10') return no('E_INVALID_ARGUMENT', 'chunk size not meaningful for this level');
  if (a.chunkKiB === cmd.chunkKiB) return no('E_INVALID_ARGUMENT', `${md}: no change requested`);
  if (a.componentSizeKiB !== null && a.componentSizeKiB % cmd.chunkKiB !== 0) {
    // mdadm's suggestion masks the size with the chunk's low bits (a true round-down only for
    // powers of two; for others it is what mdadm prints all the same).
    const shrinkKiB = Number((BigInt(a.componentSizeKiB * 2) & ~BigInt(cmd.chunkKiB * 2 - 1)) / 2n);
    return no('E_INVALID_ARGUMENT', `New chunk size (${cmd.chunkKiB}K) does not evenly divide device size (${a.componentSizeKiB}k)\n`
      + `After shrinking any filesystem, "mdctl --grow ${md} --size ${shrinkKiB}"\nwill shrink the array so the given chunk size would work.`);
  }
  if (a.level === 'raid10') return no('E_NOT_SUPPORTED', 'Cannot change chunk-size with RAID10 Grow');
  if (!striped) return no('E_NOT_SUPPORTED', `changing the chunk size of a ${a.level} array (mdadm restripes it as raid4) is not supported by mdctl`);
  if (a.adminReadOnly) return no('E_INVALID_STATE', `cannot reshape ${md}: it is read-only (mdctl --readwrite first)`);
  if ((cmd.chunkKiB & (cmd.chunkKiB - 1)) !== 0) return no('E_INVALID_ARGUMENT', `Cannot set device shape for ${md}`);
  return OK;
}

/**
 * md's reshape progress as the replicated checkpoint counts it: array sectors already in the new
 * layout (reshape_position, or the array size less it for a backwards reshape) against the
 * reshaped array's size; null when md runs no reshape.
 */
export function reshapeDone(actual: ArrayState): { doneSectors: number; totalSectors: number } | null {
  const r = actual.reshape ?? null;
  if (r === null) return null;
  const total = actual.componentSizeKiB * 2 * Math.max(1, dataDisks(actual.level, actual.raidDisks));
  const pos = Math.min(r.positionSectors, total);
  return { doneSectors: r.backwards === true ? total - pos : pos, totalSectors: total };
}

/** Applies a validated grow command at log index `index`. */
export function applyGrow(a: ArrayRecord, cmd: GrowCommand, index: number): void {
  if (cmd.op === 'grow-bitmap') {
    a.bitmap = cmd.bitmap;
    if (cmd.bitmap === 'none') a.bitmapChunkKiB = null;
  } else if (cmd.op === 'grow-size') {
    a.componentSizeKiB = cmd.sizeKiB;
    a.growAssumeClean = cmd.assumeClean === true;
  } else {
    if (cmd.op === 'grow-raid-devices') a.raidDisks = cmd.raidDevices;
    else a.chunkKiB = cmd.chunkKiB;
    if (cmd.backupFile !== undefined) a.growBackupFile = cmd.backupFile;
    else delete a.growBackupFile;
  }
  a.growIndex = index;
}

/** A client's grow command awaits the master's md verdict. */
export function growPending(a: ArrayRecord): boolean {
  return (a.pendingMd ?? []).some((p) => 'array' in p.target && p.target.array === 'grow');
}

/** The record's shape is the one md must have: a grow is pending or no observation came after the last grow. */
export function growOwed(a: ArrayRecord): boolean {
  return growPending(a) || (a.growIndex ?? 0) > (a.observedBase ?? 0);
}

/** The master's md actions for an owed grow on its writable array (none when the kernel already has it). */
export function growActions(a: ArrayRecord, actual: ArrayState): GrowAction[] {
  if (!growOwed(a)) return [];
  const out: GrowAction[] = [];
  if (a.componentSizeKiB !== null && actual.componentSizeKiB !== a.componentSizeKiB) out.push({ kind: 'grow-size', sizeKiB: a.componentSizeKiB, assumeClean: a.growAssumeClean === true });
  if (kernelBitmap(actual) !== a.bitmap) out.push({ kind: 'grow-bitmap', bitmap: a.bitmap });
  if (actual.raidDisks !== a.raidDisks) out.push({ kind: 'grow-raid-devices', raidDevices: a.raidDisks, backupFile: a.growBackupFile ?? null });
  else if (a.chunkKiB !== null && kernelChunkKiB(actual) !== null && kernelChunkKiB(actual) !== a.chunkKiB) {
    out.push({ kind: 'grow-chunk', chunkKiB: a.chunkKiB, backupFile: a.growBackupFile ?? null });
  }
  return out;
}

/**
 * A standby's kernel runs an older shape than the record of a grown array, and the master has
 * carried the grow out (arrays never grown are left to the member comparison of plan.ts).
 */
export function growStale(a: ArrayRecord, actual: ArrayState): boolean {
  if (a.growIndex === undefined || growPending(a)) return false;
  if (kernelBitmap(actual) !== a.bitmap || (a.componentSizeKiB !== null && actual.componentSizeKiB !== a.componentSizeKiB) || actual.raidDisks !== a.raidDisks) return true;
  const chunk = kernelChunkKiB(actual);
  if (a.chunkKiB !== null && chunk !== null && chunk !== a.chunkKiB) return true;
  // A reshape the standby saw running has ended on the master (its checkpoint went idle, the
  // array took its new size): the standby's read-only copy still says mid-reshape.
  const reshapeEnded = actual.reshape !== undefined && actual.reshape !== null && a.sync.action !== 'reshape';
  return reshapeEnded || (a.arraySizeKiB !== null && actual.arraySizeKiB !== a.arraySizeKiB);
}
