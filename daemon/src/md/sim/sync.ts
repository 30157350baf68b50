// The simulated sync thread (md_do_sync): resync, recovery, check and repair progress,
// checkpoints, parking at sync_max, completion and interruption.
// Owns: the position of a running sync as a lazy function of the injected clock, and the
// state changes md makes when a sync checkpoints, parks, completes or is interrupted.
// Invariants (Linux 6.1, checked against the captures):
// - Progress moves in 64 KiB blocks from where the sync started, at the system speed limit.
// - A checkpoint (sysfs sync_completed, resync_start, dev-X/recovery_start, a superblock
//   write) happens when progress passes the last checkpoint by more than 1/16 of the range,
//   or gets at least half-way to a finite sync_max; at sync_max the sync parks (still
//   running) with its checkpoint exactly at sync_max.
// - Completion clears sync_max (and sync_min for check/repair); interruption records the
//   current position as the resync / recovery restart point and writes the superblocks.
// - A reshape (raid4/5/6 --grow --raid-devices or --chunk) walks the component size; its position is
//   persisted (superblock reshape_position) at checkpoints only, so an interruption or a crash
//   resumes from the last checkpoint, never past it; at the end the array takes its new size.
import { assert } from '../../common/assert.js';
import { SIM_MD_MAX_SETTLE_STEPS } from '../../common/limits.js';
import { sectors } from '../../common/types.js';
import type { KernelCtx } from './context.js';
import { syncRateSectorsPerMs } from './context.js';
import { SYNC_BLOCK_SECTORS, arraySectors, resyncTotalSectors } from './geometry.js';
import type { SimArray, SyncKind, SyncRun } from './model.js';
import { memberInSlot, recoveringMembers } from './model.js';
import { updateSuperblocks } from './sb-writer.js';

type TargetKind = 'checkpoint' | 'park' | 'finish';

/** The sectors a sync of `kind` walks on this array. */
export function syncTotal(a: SimArray, kind: SyncKind): number {
  return kind === 'recover' || kind === 'reshape' ? a.componentSectors : resyncTotalSectors(a.level, a.arraySizeSectors, a.componentSectors);
}

/** Starts the sync thread. The caller has decided that `kind` is what md would run now. */
export function startSync(ctx: KernelCtx, a: SimArray, kind: SyncKind): void {
  assert(a.sync === null, 'startSync with a sync running');
  const total = syncTotal(a, kind);
  let start: number;
  let workFraction = 1;
  if (kind === 'recover') {
    const rec = recoveringMembers(a);
    start = Math.min(...rec.map((m) => m.recoveryOffsetSectors));
    if (rec.every((m) => m.bitmapRecovery)) workFraction = total === 0 ? 0 : Math.min(1, a.bitmapDirtySectors / total);
  } else if (kind === 'resync') {
    start = a.recoveryCpSectors ?? total;
  } else if (kind === 'reshape') {
    start = a.reshape?.deviceProgressSectors ?? total;
  } else {
    start = a.syncMinSectors;
  }
  start = Math.min(Math.max(0, start), total);
  a.sync = {
    kind, totalSectors: total, checkpointSectors: start, anchorPosSectors: start,
    anchorMs: ctx.deps.clock.nowMs(), rateSectorsPerMs: syncRateSectorsPerMs(ctx), parked: false, workFraction,
  };
  a.lastSyncAction = kind;
  if (kind === 'resync' || kind === 'repair') updateSuperblocks(ctx, a, true);
  ctx.emit({ type: 'sync-started', device: a.device, action: kind });
}

/** Where the sync stops for good (total) or parks (a finite sync_max below total). */
function limitOf(a: SimArray, run: SyncRun): number {
  return a.syncMaxSectors === null ? run.totalSectors : Math.min(a.syncMaxSectors, run.totalSectors);
}

/** Smallest block boundary (counted from the anchor) at or after `pos`, capped at `limit`. */
function blockAtOrAfter(run: SyncRun, pos: number, limit: number): number {
  const steps = Math.ceil((pos - run.anchorPosSectors) / SYNC_BLOCK_SECTORS);
  return Math.min(limit, run.anchorPosSectors + Math.max(0, steps) * SYNC_BLOCK_SECTORS);
}

function nextTarget(a: SimArray, run: SyncRun): { pos: number; kind: TargetKind } {
  const limit = limitOf(a, run);
  if (run.anchorPosSectors >= limit) return { pos: limit, kind: limit >= run.totalSectors ? 'finish' : 'park' };
  const c = run.checkpointSectors;
  let pos = blockAtOrAfter(run, c + (run.totalSectors >> 4) + 1, limit);
  if (a.syncMaxSectors !== null && a.syncMaxSectors < run.totalSectors) {
    pos = Math.min(pos, blockAtOrAfter(run, c + Math.ceil((a.syncMaxSectors - c) / 2), limit));
  }
  if (pos >= limit) return { pos: limit, kind: limit >= run.totalSectors ? 'finish' : 'park' };
  return { pos, kind: 'checkpoint' };
}

/** Effective walk rate: bitmap-based recovery skips clean regions. */
function walkRate(run: SyncRun): number {
  if (run.workFraction <= 0) return Number.POSITIVE_INFINITY;
  return run.rateSectorsPerMs / run.workFraction;
}

/** When the sync reaches `pos` (ms), or +Infinity when it is stalled. */
function timeToReach(run: SyncRun, pos: number): number {
  const rate = walkRate(run);
  if (pos <= run.anchorPosSectors) return run.anchorMs;
  if (rate <= 0) return Number.POSITIVE_INFINITY;
  return run.anchorMs + (pos - run.anchorPosSectors) / rate;
}

/** curr_resync: the live position (what /proc/mdstat shows), in sectors. */
export function livePosition(ctx: KernelCtx, a: SimArray): number {
  const run = a.sync;
  if (run === null) return 0;
  if (run.parked) return run.anchorPosSectors;
  const target = nextTarget(a, run).pos;
  const rate = walkRate(run);
  const elapsed = Math.max(0, ctx.deps.clock.nowMs() - run.anchorMs);
  if (!Number.isFinite(rate)) return target;
  const blocks = Math.floor((elapsed * rate) / SYNC_BLOCK_SECTORS);
  return Math.min(target, run.anchorPosSectors + blocks * SYNC_BLOCK_SECTORS);
}

/** The time of the next step of the running sync (for the driver's wake-up), or null. */
export function nextStepMs(a: SimArray): number | null {
  const run = a.sync;
  if (run === null || run.parked) return null;
  const t = timeToReach(run, nextTarget(a, run).pos);
  return Number.isFinite(t) ? t : null;
}

/** Re-anchors the sync at the current position (after a speed or sync_max change). */
export function reanchor(ctx: KernelCtx, a: SimArray): void {
  const run = a.sync;
  if (run === null) return;
  const pos = livePosition(ctx, a);
  run.anchorPosSectors = pos;
  run.anchorMs = ctx.deps.clock.nowMs();
  run.rateSectorsPerMs = syncRateSectorsPerMs(ctx);
  if (run.parked && pos < limitOf(a, run)) run.parked = false;
}

/** Advances the sync to now. Returns true when it completed (a.sync is then null). */
export function settleSync(ctx: KernelCtx, a: SimArray): boolean {
  const now = ctx.deps.clock.nowMs();
  for (let step = 0; step < SIM_MD_MAX_SETTLE_STEPS; step++) {
    const run = a.sync;
    if (run === null || run.parked) return false;
    const target = nextTarget(a, run);
    const at = timeToReach(run, target.pos);
    if (at > now) return false;
    run.anchorPosSectors = target.pos;
    run.anchorMs = Number.isFinite(at) ? at : now;
    if (target.kind === 'finish') {
      finishSync(ctx, a);
      return true;
    }
    checkpoint(ctx, a, run, target.pos);
    if (target.kind === 'park') run.parked = true;
  }
  assert(false, `settleSync: more than ${SIM_MD_MAX_SETTLE_STEPS} steps for ${a.device}`);
}

function checkpoint(ctx: KernelCtx, a: SimArray, run: SyncRun, pos: number): void {
  run.checkpointSectors = pos;
  if (run.kind === 'resync' || run.kind === 'repair') {
    if (a.recoveryCpSectors !== null && pos > a.recoveryCpSectors) a.recoveryCpSectors = pos;
  } else if (run.kind === 'recover') {
    for (const m of recoveringMembers(a)) if (m.recoveryOffsetSectors < pos) m.recoveryOffsetSectors = pos;
  } else if (run.kind === 'reshape' && a.reshape !== null) {
    a.reshape.deviceProgressSectors = pos;
  }
  updateSuperblocks(ctx, a, true);
  ctx.emit({
    type: 'sync-progress', device: a.device, action: run.kind,
    progress: { doneSectors: sectors(pos), totalSectors: sectors(run.totalSectors) },
  });
}

/** md_do_sync ran to the end, then md_reap_sync_thread. */
function finishSync(ctx: KernelCtx, a: SimArray): void {
  const run = a.sync!;
  a.sync = null;
  a.syncMaxSectors = null;
  if (run.kind === 'check' || run.kind === 'repair') {
    a.syncMinSectors = 0;
    a.requested = null;
  }
  if (run.kind === 'resync' || run.kind === 'repair') a.recoveryCpSectors = null;
  if (run.kind === 'reshape' && a.reshape !== null) {
    // The reshape ended: the array takes its new size and chunk, the members' data sits at the
    // new offsets, and nothing of it is left to reshape.
    if (a.reshape.newChunkSectors !== undefined) a.chunkSectors = a.reshape.newChunkSectors;
    const delta = a.reshape.offsetDeltaSectors ?? 0;
    for (const m of a.members) {
      if (delta === 0 || m.faulty) continue;
      m.dataOffsetSectors += delta;
      m.availSectors -= delta;
    }
    a.reshape = null;
    a.arraySizeSectors = arraySectors(a.level, a.raidDisks, a.layout, a.componentSectors, []);
  }
  let replaced = false;
  if (run.kind === 'recover') replaced = activateRecovered(ctx, a);
  updateSuperblocks(ctx, a, false);
  if (replaced) updateSuperblocks(ctx, a, false);
  ctx.emit({ type: 'sync-finished', device: a.device, action: run.kind });
}

/** spare_active: recovered members go in sync; a finished replacement takes over its slot. */
function activateRecovered(ctx: KernelCtx, a: SimArray): boolean {
  let replaced = false;
  for (const m of recoveringMembers(a)) {
    m.inSync = true;
    m.bitmapRecovery = false;
    m.recoveryOffsetSectors = 0;
    if (!m.replacement) continue;
    const old = memberInSlot(a, m.slot!);
    if (old !== undefined) {
      old.faulty = true;
      old.inSync = false;
      old.slot = null;
      old.wantReplacement = false;
      ctx.emit({ type: 'member-faulty', device: a.device, member: old.devPath });
    }
    m.replacement = false;
    replaced = true;
  }
  if (recoveringMembers(a).length === 0) a.bitmapDirtySectors = 0;
  return replaced;
}

/**
 * MD_RECOVERY_INTR: the thread stops; its position becomes the restart point. `writeSb` is
 * false when the caller writes the superblocks itself (md_error coalesces both updates).
 */
export function interruptSync(ctx: KernelCtx, a: SimArray, writeSb: boolean): void {
  const run = a.sync;
  if (run === null) return;
  const pos = livePosition(ctx, a);
  a.sync = null;
  if (run.kind === 'resync' || run.kind === 'repair') {
    if (a.recoveryCpSectors !== null && pos >= a.recoveryCpSectors) a.recoveryCpSectors = pos;
  } else if (run.kind === 'recover') {
    for (const m of recoveringMembers(a)) if (m.recoveryOffsetSectors < pos) m.recoveryOffsetSectors = pos;
  }
  if (run.kind === 'check' || run.kind === 'repair') {
    a.syncMinSectors = run.checkpointSectors;
    a.requested = null;
  }
  if (writeSb) updateSuperblocks(ctx, a, false);
  ctx.emit({
    type: 'sync-progress', device: a.device, action: run.kind,
    progress: { doneSectors: sectors(pos), totalSectors: sectors(run.totalSectors) },
  });
}
