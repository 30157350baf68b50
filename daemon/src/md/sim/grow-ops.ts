// mdadm --grow on the simulated kernel: adding and removing the internal write-intent bitmap,
// the component size (md/component_size) and the number of devices (md/raid_disks, reshape).
// Owns: md's (and, for the bitmap superblock mdadm writes first, mdadm's) acceptance rules for a
// bitmap or size change on a running array and the state it leaves.
// Invariants (Linux 6.1 update_array_info / bitmap/location, mdadm 4.2 Grow_addbitmap):
// - A bitmap change is refused while a sync runs (EBUSY), on a read-only array (EROFS) and on a
//   level without redundancy (EINVAL); adding one where one exists is EEXIST; removing a
//   bitmap that is not there changes nothing.
// - The bitmap fits where mdadm puts it: v1.1/v1.2 between the superblock and the data (the
//   data offset leaves room), v1.0 before the superblock (the sim's sizes leave >= 8 KiB there;
//   mdadm's "no room" refusal is not modelled).
// - A change writes every superblock (feature bit 0x1 set or cleared, the new size): Events + 1.
// - Size (update_size): EINVAL without redundancy, EROFS read-only, EBUSY while a sync runs,
//   ENOSPC when a member lacks the room; striped levels round down to whole chunks. Growing
//   makes md resync the new region (recovery_cp = the old size) unless mdadm --assume-clean
//   then writes resync_start "none" (mdadm froze the array first, so no resync started).
// - raid_disks: raid1 (raid1_reshape) takes idle spares into new slots (recovery follows) and
//   shrinks only when the devices in slots fit (EBUSY), moving them to the low slots; raid4/5/6
//   grow by a reshape (spares take the new slots, in sync at once, as raid5_start_reshape
//   does; the array keeps its old size until the reshape ends) and do not shrink here (EINVAL:
//   mdadm needs --array-size first, not modelled). EBUSY while a sync runs, EROFS read-only.
// - chunk (mdadm 4.2 --grow --chunk with md's raid5 check_reshape): raid4/5/6 only, a power of
//   two of at least 4 KiB dividing the component size (EINVAL otherwise), EBUSY/EROFS as above.
//   Without a backup file mdadm moves every member's data offset by at least the restripe unit
//   (compute_backup_blocks / data disks) into the larger room, before the data (the reshape runs
//   forwards, offsets move down) or after it (backwards, offsets move up); the sim moves them by
//   half that room in whole MiB when that is enough (mdadm's choose_offset aims at the middle,
//   1 MiB aligned), else by the minimum. No member with the room: mdadm's "Cannot grow - need
//   backup-file" (E_MDADM_FAILED). With a backup file the reshape runs forwards in place.
//   md/chunk_size stays the old chunk ("new (old)") until the reshape ends.
import { OpError } from '../../common/errors.js';
import { dataDisks } from '../format/levels.js';
import type { KernelCtx } from './context.js';
import { kernelError } from './errors.js';
import { DEFAULT_BITMAP_CHUNK_KIB, arraySectors, hasRedundancy, isStriped } from './geometry.js';
import { idleSpares, memberInSlot } from './model.js';
import type { SimArray } from './model.js';
import { updateSuperblocks } from './sb-writer.js';

export function setBitmap(ctx: KernelCtx, a: SimArray, bitmap: 'internal' | 'none'): void {
  const syscall = 'ioctl(SET_ARRAY_INFO)';
  if (!hasRedundancy(a.level)) throw kernelError('EINVAL', syscall, a.device);
  if (a.ro === 'readonly') throw kernelError('EROFS', syscall, a.device);
  if (bitmap === 'none' && a.bitmapChunkKiB === null) return;
  if (bitmap === 'internal' && a.bitmapChunkKiB !== null) throw kernelError('EEXIST', syscall, a.device);
  if (a.sync !== null) throw kernelError('EBUSY', syscall, a.device);
  if (a.ro === 'read-auto') a.ro = 'rw';
  if (bitmap === 'none') {
    a.bitmapChunkKiB = null;
    a.bitmapDirtySectors = 0;
    for (const m of a.members) m.bitmapRecovery = false;
  } else {
    a.bitmapChunkKiB = DEFAULT_BITMAP_CHUNK_KIB;
  }
  updateSuperblocks(ctx, a, false);
}

export function setComponentSize(ctx: KernelCtx, a: SimArray, sizeKiB: number, assumeClean: boolean): void {
  const syscall = 'write(md/component_size)';
  if (!hasRedundancy(a.level)) throw kernelError('EINVAL', syscall, a.device);
  if (a.ro === 'readonly') throw kernelError('EROFS', syscall, a.device);
  if (a.sync !== null) throw kernelError('EBUSY', syscall, a.device);
  let sectors = sizeKiB * 2;
  if (isStriped(a.level) && a.chunkSectors > 0) sectors -= sectors % a.chunkSectors;
  if (sectors <= 0 || a.members.some((m) => !m.faulty && m.slot !== null && m.availSectors < sectors)) throw kernelError('ENOSPC', syscall, a.device);
  if (a.ro === 'read-auto') a.ro = 'rw';
  const old = a.componentSectors;
  a.componentSectors = sectors;
  a.arraySizeSectors = arraySectors(a.level, a.raidDisks, a.layout, sectors, []);
  if (sectors > old && (a.recoveryCpSectors === null || a.recoveryCpSectors > old)) a.recoveryCpSectors = old;
  if (a.recoveryCpSectors !== null && a.recoveryCpSectors > sectors) a.recoveryCpSectors = sectors;
  if (assumeClean) a.recoveryCpSectors = null;
  updateSuperblocks(ctx, a, false);
}

export function setRaidDisks(ctx: KernelCtx, a: SimArray, raidDisks: number): void {
  const syscall = 'write(md/raid_disks)';
  const supported = a.level === 'raid1' || a.level === 'raid4' || a.level === 'raid5' || a.level === 'raid6';
  if (!supported || raidDisks < 1) throw kernelError('EINVAL', syscall, a.device);
  if (a.ro === 'readonly') throw kernelError('EROFS', syscall, a.device);
  if (a.sync !== null || a.reshape !== null) throw kernelError('EBUSY', syscall, a.device);
  if (raidDisks === a.raidDisks) return;
  if (a.ro === 'read-auto') a.ro = 'rw';
  if (a.level === 'raid1') {
    const slotted = a.members.filter((m) => m.slot !== null && !m.faulty);
    if (slotted.length > raidDisks) throw kernelError('EBUSY', syscall, a.device);
    // raid1_reshape keeps the devices in slots, packed into the lowest ones.
    let next = 0;
    for (const m of [...slotted].sort((x, y) => x.slot! - y.slot!)) m.slot = next++;
    a.raidDisks = raidDisks;
  } else {
    if (raidDisks < a.raidDisks) throw kernelError('EINVAL', syscall, a.device);
    const spares = idleSpares(a);
    for (let s = a.raidDisks; s < raidDisks; s++) {
      const m = spares.shift();
      if (m === undefined || memberInSlot(a, s) !== undefined) continue;
      m.slot = s;
      m.inSync = true;
    }
    a.reshape = { oldDisks: a.raidDisks, deviceProgressSectors: 0 };
    a.raidDisks = raidDisks;
  }
  updateSuperblocks(ctx, a, false);
}

function gcd(x: number, y: number): number {
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** Sectors that are whole stripes of both chunk sizes: mdadm's restripe unit (the LCM of the stripes). */
function restripeUnitSectors(oldChunkSectors: number, newChunkSectors: number, data: number): number {
  return (oldChunkSectors * newChunkSectors * data * data) / gcd(oldChunkSectors * data, newChunkSectors * data);
}

/** The room before a member's data (after its superblock and bitmap) and after it, in sectors. */
function room(a: SimArray, m: SimArray['members'][number]): { before: number; after: number } {
  const metaEnd = a.minorVersion === 0 ? 0 : m.superOffsetSectors + 8 + (a.bitmapChunkKiB !== null ? 8 : 0);
  return { before: Math.max(0, m.dataOffsetSectors - metaEnd), after: Math.max(0, m.availSectors - a.componentSectors) };
}

export function setChunkSize(ctx: KernelCtx, a: SimArray, chunkKiB: number, backupFile: string | undefined): void {
  const syscall = 'write(md/chunk_size)';
  const striped = a.level === 'raid4' || a.level === 'raid5' || a.level === 'raid6';
  const newChunk = chunkKiB * 2;
  if (!striped || chunkKiB < 4 || (chunkKiB & (chunkKiB - 1)) !== 0 || a.componentSectors % newChunk !== 0) throw kernelError('EINVAL', syscall, a.device);
  if (a.ro === 'readonly') throw kernelError('EROFS', syscall, a.device);
  if (a.sync !== null || a.reshape !== null) throw kernelError('EBUSY', syscall, a.device);
  if (newChunk === a.chunkSectors) return;
  let backwards = false;
  let delta = 0;
  if (backupFile === undefined) {
    const data = dataDisks(a.level, a.raidDisks);
    const min = restripeUnitSectors(a.chunkSectors, newChunk, data) / data;
    const rooms = a.members.filter((m) => !m.faulty).map((m) => room(a, m));
    const before = Math.min(...rooms.map((r) => r.before));
    const after = Math.min(...rooms.map((r) => r.after));
    backwards = after >= before;
    const space = backwards ? after : before;
    if (space < min) {
      throw new OpError('E_MDADM_FAILED', `mdadm: /dev/${a.device}: Cannot grow - need backup-file`, { device: a.device, spaceSectors: space, neededSectors: min });
    }
    const half = Math.floor(space / 2 / 2048) * 2048;
    delta = (half >= min ? half : min) * (backwards ? 1 : -1);
  }
  if (a.ro === 'read-auto') a.ro = 'rw';
  a.reshape = {
    oldDisks: a.raidDisks, deviceProgressSectors: 0, newChunkSectors: newChunk,
    ...(backwards ? { backwards: true } : {}), ...(delta !== 0 ? { offsetDeltaSectors: delta } : {}),
  };
  updateSuperblocks(ctx, a, false);
}
