// Array-level operations of the simulated kernel: read-only / read-write, stop, sync_action,
// sync_min / sync_max, resync_start, dev-X/recovery_start, and array writes (dirty/clean).
// Owns: md's acceptance rules for these ioctls and sysfs writes and the state they leave.
// Invariants (Linux 6.1, as the lab saw it):
// - STOP_ARRAY_RO writes no superblock on a clean idle array; RESTART_ARRAY_RW is Events +1.
// - Writing sync_action (any value) turns auto-read-only into read-write; "idle" restarts an
//   interrupted resync/recovery from its checkpoint, "frozen" keeps it stopped.
// - sync_max cannot be lowered while a sync runs on a read-write array (EBUSY); sync_min
//   and resync_start cannot change while a sync runs (EBUSY).
// - A write to a read-only array fails with EPERM; it turns auto-read-only into read-write;
//   the first write marks the array dirty (Events +1) and safe_mode_delay later it is clean
//   again (Events -1).
import type { SyncAction } from '../types.js';
import type { KernelCtx } from './context.js';
import { kernelError } from './errors.js';
import { hasRedundancy } from './geometry.js';
import type { SimArray } from './model.js';
import { degradedCount } from './model.js';
import { updateSuperblocks } from './sb-writer.js';
import { interruptSync, reanchor } from './sync.js';
import { memberByPath } from './member-ops.js';

/** STOP_ARRAY_RO (md_set_readonly). Idempotent on a read-only array. */
export function setReadOnly(ctx: KernelCtx, a: SimArray): void {
  if (a.ro === 'readonly') return;
  if (a.openCount > 0) throw kernelError('EBUSY', 'ioctl(STOP_ARRAY_RO)', a.device);
  if (a.ro === 'rw') stopWrites(ctx, a);
  a.ro = 'readonly';
}

/** __md_stop_writes: stop the sync thread, mark clean and write the superblocks if needed. */
function stopWrites(ctx: KernelCtx, a: SimArray): void {
  if (a.sync !== null) interruptSync(ctx, a, true);
  cancelSafeMode(a);
  if (!a.inSync || a.sbPending) {
    a.inSync = true;
    updateSuperblocks(ctx, a, false);
  }
}

function cancelSafeMode(a: SimArray): void {
  a.safeModeTimer?.cancel();
  a.safeModeTimer = null;
}

/** RESTART_ARRAY_RW. Idempotent on a read-write array. */
export function setReadWrite(ctx: KernelCtx, a: SimArray): void {
  if (a.ro === 'rw') return;
  a.ro = 'rw';
  updateSuperblocks(ctx, a, false);
}

/** STOP_ARRAY: EBUSY while open; a read-write array is shut down cleanly first. */
export function stopArray(ctx: KernelCtx, a: SimArray): void {
  if (a.openCount > 0) throw kernelError('EBUSY', 'ioctl(STOP_ARRAY)', a.device);
  if (a.ro === 'rw') stopWrites(ctx, a);
  cancelSafeMode(a);
  a.timer?.cancel();
  a.timer = null;
}

/** Writes md/sync_action. */
export function setSyncAction(ctx: KernelCtx, a: SimArray, action: SyncAction): void {
  const syscall = 'write(md/sync_action)';
  if (!hasRedundancy(a.level)) throw kernelError('EINVAL', syscall, a.device);
  if (action === 'idle' || action === 'frozen') {
    a.frozen = action === 'frozen';
    if (a.sync !== null) interruptSync(ctx, a, true);
  } else if (a.sync !== null) {
    throw kernelError('EBUSY', syscall, a.device);
  } else if (action === 'resync' || action === 'recover') {
    a.frozen = false;
  } else if (action === 'check' || action === 'repair') {
    a.frozen = false;
    a.requested = action;
  } else {
    throw kernelError('EINVAL', syscall, a.device);
  }
  if (a.ro === 'read-auto') a.ro = 'rw';
}

/** Writes md/sync_min (rounded down to 4 KiB like md). */
export function setSyncMin(a: SimArray, value: number): void {
  const syscall = 'write(md/sync_min)';
  if (a.syncMaxSectors !== null && value > a.syncMaxSectors) throw kernelError('EINVAL', syscall, a.device);
  if (a.sync !== null) throw kernelError('EBUSY', syscall, a.device);
  a.syncMinSectors = value - (value % 8);
}

/** Writes md/sync_max; raising it (or "max") lets a parked sync continue. */
export function setSyncMax(ctx: KernelCtx, a: SimArray, value: number | 'max'): void {
  const syscall = 'write(md/sync_max)';
  if (value !== 'max') {
    if (value < a.syncMinSectors) throw kernelError('EINVAL', syscall, a.device);
    const lowering = a.syncMaxSectors === null || value < a.syncMaxSectors;
    if (lowering && a.ro === 'rw' && a.sync !== null) throw kernelError('EBUSY', syscall, a.device);
    if (a.chunkSectors > 0 && value % a.chunkSectors !== 0) throw kernelError('EINVAL', syscall, a.device);
  }
  a.syncMaxSectors = value === 'max' ? null : value;
  reanchor(ctx, a);
}

/** Writes md/resync_start (null = "none"). */
export function setResyncStart(ctx: KernelCtx, a: SimArray, value: number | null): void {
  if (a.sync !== null) throw kernelError('EBUSY', 'write(md/resync_start)', a.device);
  a.recoveryCpSectors = value;
  updateSuperblocks(ctx, a, true);
}

/** Writes md/dev-X/recovery_start: only for a member without a slot in a running array. */
export function setRecoveryStart(ctx: KernelCtx, a: SimArray, path: string, value: number): void {
  const syscall = 'write(dev/recovery_start)';
  const m = memberByPath(ctx, a, path, syscall, 'ENOENT');
  if (m.slot !== null) throw kernelError('EBUSY', syscall, a.device, path);
  m.recoveryOffsetSectors = value;
  m.inSync = false;
}

/** A write of `sectors` to the array (md_write_start): EPERM when read-only. */
export function writeToArray(ctx: KernelCtx, a: SimArray, sectors: number, onClean: () => void): void {
  if (a.ro === 'readonly') throw kernelError('EPERM', 'write', a.device);
  if (a.ro === 'read-auto') a.ro = 'rw';
  if (degradedCount(a) > 0 && a.bitmapChunkKiB !== null) {
    a.bitmapDirtySectors = Math.min(a.componentSectors, a.bitmapDirtySectors + sectors);
  }
  if (a.inSync) {
    a.inSync = false;
    updateSuperblocks(ctx, a, true);
  }
  cancelSafeMode(a);
  a.safeModeTimer = ctx.deps.timers.setTimeout(() => {
    a.safeModeTimer = null;
    if (a.ro !== 'rw' || a.inSync) return;
    a.inSync = true;
    updateSuperblocks(ctx, a, true);
    onClean();
  }, ctx.safeModeDelayMs);
}
