// Member operations of the simulated kernel: set-faulty (ioctl and on-its-own failures),
// hot remove, hot add, re-add, write-mostly and replace.
// Owns: md's acceptance rules for these requests and the state they leave behind; the
// follow-up (slot changes, spare activation, starting recovery) is md_check_recovery's job
// and runs after every operation (recovery.ts).
// Invariants (Linux 6.1):
// - State-changing md ioctls on a read-only array fail with EROFS; on an auto-read-only array
//   they first switch it to read-write. SET_DISK_FAULTY is the exception: md_ioctl handles it
//   before that gate (sim-driver.ts setFaulty).
// - md never fails the last device that keeps the array running: it sets MD_BROKEN
//   (array_state "broken") and the request fails with EBUSY.
// - Every md_error interrupts a running sync (it restarts from its checkpoint afterwards).
// - A member still holding a slot cannot be removed (EBUSY); a stale member without a
//   bitmap cannot be re-added (EINVAL); a device whose superblock is not this array's or
//   gives it no slot (a former spare) is refused before any ioctl (E_INVALID_STATE), as the
//   kernel driver does.
import { OpError } from '../../common/errors.js';
import type { KernelCtx } from './context.js';
import type { SimDiskRecord } from './disk-store.js';
import { kernelError, noSuchDevice } from './errors.js';
import { memberLayout } from './geometry.js';
import { newUuid } from './ids.js';
import type { SimArray, SimMember } from './model.js';
import { enoughWithout, findMemberByDisk, freeDescNumber, memberInSlot } from './model.js';
import { makeReplacement } from './recovery.js';
import { updateSuperblocks } from './sb-writer.js';
import { ownRole, isSlotRole } from './superblock.js';
import { interruptSync } from './sync.js';

/** Resolves a component path on this node to its disk record. */
export function resolveDisk(ctx: KernelCtx, path: string): SimDiskRecord {
  const id = ctx.store.resolve(path);
  const rec = id === null ? null : ctx.store.read(id);
  if (rec === null) throw noSuchDevice(path);
  return rec;
}

/** The md ioctl gate: EROFS on read-only, read-auto switches to read-write. */
export function ioctlWritable(a: SimArray, syscall: string, member?: string): void {
  if (a.ro === 'readonly') throw kernelError('EROFS', syscall, a.device, member);
  if (a.ro === 'read-auto') a.ro = 'rw';
}

/** The member of `a` on the disk `path` names; ENODEV/ENXIO-style kernel error if none. */
export function memberByPath(ctx: KernelCtx, a: SimArray, path: string, syscall: string, errno: 'ENODEV' | 'ENXIO' | 'ENOENT'): SimMember {
  const rec = resolveDisk(ctx, path);
  const m = findMemberByDisk(a, rec.diskId);
  if (m === undefined) throw kernelError(errno, syscall, a.device, path);
  return m;
}

/**
 * md_error. Returns false when md refused to fail the device (last working one).
 * `fromIoctl` makes the refusal an EBUSY error, as SET_DISK_FAULTY reports it.
 */
export function failMember(ctx: KernelCtx, a: SimArray, m: SimMember, fromIoctl: boolean): boolean {
  if (m.faulty) return true;
  if (m.slot !== null && m.inSync && !m.replacement && !enoughWithout(a, m)) {
    a.broken = true;
    if (fromIoctl) throw kernelError('EBUSY', 'ioctl(SET_DISK_FAULTY)', a.device, m.devPath);
    return false;
  }
  if (a.sync !== null) interruptSync(ctx, a, false);
  m.faulty = true;
  m.inSync = false;
  m.wantReplacement = false;
  ctx.emit({ type: 'member-faulty', device: a.device, member: m.devPath });
  updateSuperblocks(ctx, a, false);
  return true;
}

/** HOT_REMOVE_DISK. */
export function hotRemove(ctx: KernelCtx, a: SimArray, path: string): void {
  const syscall = 'ioctl(HOT_REMOVE_DISK)';
  const m = memberByPath(ctx, a, path, syscall, 'ENXIO');
  ioctlWritable(a, syscall, path);
  if (m.slot !== null) throw kernelError('EBUSY', syscall, a.device, path);
  a.members = a.members.filter((x) => x !== m);
  updateSuperblocks(ctx, a, false);
  ctx.emit({ type: 'member-removed', device: a.device, member: m.devPath });
}

/** Checks that `rec` can join `a` on this node (not bound anywhere, big enough). */
function checkJoinable(a: SimArray, rec: SimDiskRecord, path: string, syscall: string, inUse: (diskId: string) => boolean): void {
  if (inUse(rec.diskId)) throw kernelError('EBUSY', syscall, a.device, path);
  const layout = memberLayout(a.minorVersion, rec.sizeSectors, a.chunkSectors, a.bitmapChunkKiB !== null);
  if (layout.availSectors < a.componentSectors) throw kernelError('ENOSPC', syscall, a.device, path);
}

function newMember(ctx: KernelCtx, a: SimArray, rec: SimDiskRecord, path: string, desc: number, deviceUuid: string): SimMember {
  const layout = memberLayout(a.minorVersion, rec.sizeSectors, a.chunkSectors, a.bitmapChunkKiB !== null);
  return {
    diskId: rec.diskId, devPath: path, name: rec.kernelName, major: rec.major, minor: rec.minor,
    descNumber: desc, deviceUuid, slot: null, inSync: false, faulty: false, writeMostly: false,
    replacement: false, wantReplacement: false, recoveryOffsetSectors: 0, savedSlot: null, bitmapRecovery: false,
    errors: 0, dataOffsetSectors: layout.dataOffsetSectors, superOffsetSectors: layout.superOffsetSectors,
    availSectors: layout.availSectors,
  };
}

/** ADD_NEW_DISK as mdadm --add does it: the device joins as a spare with a fresh superblock. */
export function hotAdd(ctx: KernelCtx, a: SimArray, path: string, inUse: (diskId: string) => boolean): void {
  const syscall = 'ioctl(ADD_NEW_DISK)';
  const rec = resolveDisk(ctx, path);
  ioctlWritable(a, syscall, path);
  if (a.level === 'raid0' || a.level === 'linear') throw kernelError('EINVAL', syscall, a.device, path);
  checkJoinable(a, rec, path, syscall, inUse);
  const sb = rec.superblock;
  const ours = sb !== null && sb.setUuid === a.uuid;
  const descFree = ours && !a.members.some((m) => m.descNumber === sb.devNumber);
  const desc = descFree ? sb.devNumber : freeDescNumber(a, a.raidDisks);
  const m = newMember(ctx, a, rec, path, desc, ours ? sb.deviceUuid : newUuid(ctx.deps.ids));
  a.members.unshift(m);
  updateSuperblocks(ctx, a, false);
  ctx.emit({ type: 'member-added', device: a.device, member: path });
}

/**
 * dev-X/state "re-add" on a member still bound: nothing to do unless it is faulty; md accepts
 * it only once it has left its slot (saved_raid_disk set), clears Faulty and lets
 * md_check_recovery put it back in that slot (bitmap-based recovery when there is a bitmap),
 * else EBUSY. A sysfs write: no read-only gate.
 */
function reAddBound(ctx: KernelCtx, a: SimArray, m: SimMember): void {
  if (!m.faulty) return;
  if (m.slot !== null || m.savedSlot === null) throw kernelError('EBUSY', 'write(dev/state)', a.device, m.devPath);
  m.faulty = false;
  m.inSync = false;
  m.bitmapRecovery = a.bitmapChunkKiB !== null;
  m.recoveryOffsetSectors = 0;
  updateSuperblocks(ctx, a, false);
}

/**
 * The kernel driver's re-add: a bound member that is not faulty is left alone; a removed one
 * must carry this array's superblock with a slot as its own role (the driver reads it before
 * any ioctl), else E_INVALID_STATE; then ADD_NEW_DISK with the in-sync flag (mdadm --re-add)
 * puts it back in its old slot if md allows.
 */
export function reAdd(ctx: KernelCtx, a: SimArray, path: string, inUse: (diskId: string) => boolean): void {
  const syscall = 'ioctl(ADD_NEW_DISK)';
  const rec = resolveDisk(ctx, path);
  const bound = findMemberByDisk(a, rec.diskId);
  if (bound !== undefined) {
    reAddBound(ctx, a, bound);
    return;
  }
  const sb = rec.superblock;
  if (bound === undefined && (sb === null || sb.setUuid !== a.uuid || !isSlotRole(ownRole(sb)))) {
    throw new OpError('E_INVALID_STATE', `${path} was not an active member of ${a.device}`, { device: a.device, member: path });
  }
  ioctlWritable(a, syscall, path);
  if (a.level === 'raid0' || a.level === 'linear') throw kernelError('EINVAL', syscall, a.device, path);
  checkJoinable(a, rec, path, syscall, inUse);
  if (sb === null) throw kernelError('EINVAL', syscall, a.device, path);
  const fresh = sb.events >= a.events;
  if (!fresh && a.bitmapChunkKiB === null) throw kernelError('EINVAL', syscall, a.device, path);
  if (a.members.some((m) => m.descNumber === sb.devNumber)) throw kernelError('EBUSY', syscall, a.device, path);
  const m = newMember(ctx, a, rec, path, sb.devNumber, sb.deviceUuid);
  const role = ownRole(sb);
  m.writeMostly = (sb.devFlags & 1) !== 0;
  if (role < a.raidDisks && memberInSlot(a, role) === undefined) {
    m.savedSlot = role;
    m.bitmapRecovery = !fresh;
    if (fresh) {
      m.slot = role;
      m.inSync = true;
    }
  }
  a.members.unshift(m);
  updateSuperblocks(ctx, a, false);
  ctx.emit({ type: 'member-added', device: a.device, member: path });
}

/** dev-X/state "writemostly" / "-writemostly" (allowed in any array state). */
export function setWriteMostly(ctx: KernelCtx, a: SimArray, path: string, on: boolean): void {
  const m = memberByPath(ctx, a, path, 'write(dev/state)', 'ENOENT');
  if (m.writeMostly === on) return;
  m.writeMostly = on;
  updateSuperblocks(ctx, a, false);
}

/**
 * mdadm --replace X --with Y: X wants replacement, spare Y rebuilds X's slot. These are sysfs
 * writes (no read-only gate); the rebuild starts once the array is read-write and idle.
 */
export function replaceMember(ctx: KernelCtx, a: SimArray, path: string, withPath: string): void {
  const syscall = 'write(dev/state)';
  const target = memberByPath(ctx, a, path, syscall, 'ENOENT');
  const spare = memberByPath(ctx, a, withPath, 'write(dev/slot)', 'ENOENT');
  if (a.level === 'raid0' || a.level === 'linear') throw kernelError('EINVAL', syscall, a.device, path);
  if (target.faulty || target.slot === null || !target.inSync || target.replacement) throw kernelError('EINVAL', syscall, a.device, path);
  if (spare === target || spare.faulty || spare.slot !== null) throw kernelError('EBUSY', 'write(dev/slot)', a.device, withPath);
  const existing = a.members.find((m) => m.replacement && m.slot === target.slot);
  if (existing !== undefined) throw kernelError('EBUSY', 'write(dev/slot)', a.device, withPath);
  makeReplacement(a, target, spare);
  updateSuperblocks(ctx, a, false);
}
