// Snapshots of the simulated kernel in the driver's model (ArrayState / MemberState), i.e.
// what sysfs and the md ioctls of Linux 6.1 would report for the array right now.
// Owns: the mapping from SimArray to the values the real driver reads (array_state strings,
// dev-X/state token order, "none" values, the mdstat live position).
// Invariants:
// - syncCompleted is md/sync_completed: the last checkpoint, not the live position; only the
//   mdstat view (live = true) carries curr_resync there, as /proc/mdstat does. Both views carry
//   the live position in syncPositionSectors (as the kernel driver reads it from mdstat).
// - resyncStartSectors is md/resync_start (recovery_cp): it follows resync checkpoints and
//   reads null ("none") while the array needs no resync, e.g. during a recovery.
// - Member flags follow the kernel's state_show order: faulty, in_sync, write_mostly, spare,
//   want_replacement, replacement.
import { sectors } from '../../common/types.js';
import type { ArrayRunState, ArrayState, BitmapState, MemberFlag, MemberState, SyncAction } from '../types.js';
import type { KernelCtx } from './context.js';
import { syncSpeedKiBps } from './context.js';
import { hasRedundancy, resyncTotalSectors } from './geometry.js';
import type { SimArray, SimMember } from './model.js';
import { degradedCount, reshapePosition } from './model.js';
import { livePosition } from './sync.js';

/** Bitmap counters per 4 KiB page (16-bit counters), as md allocates them. */
const BITMAP_COUNTERS_PER_PAGE = 2048;

export function arrayRunState(a: SimArray): ArrayRunState {
  if (a.ro === 'readonly') return 'readonly';
  if (a.ro === 'read-auto') return 'read-auto';
  if (!a.inSync) return 'active';
  return a.broken ? 'broken' : 'clean';
}

function syncActionOf(a: SimArray): SyncAction {
  if (a.frozen) return 'frozen';
  return a.sync === null ? 'idle' : a.sync.kind;
}

function memberFlags(m: SimMember): MemberFlag[] {
  const flags: MemberFlag[] = [];
  if (m.faulty) flags.push('faulty');
  if (m.inSync && !m.faulty) flags.push('in_sync');
  if (m.writeMostly) flags.push('write_mostly');
  if (!m.faulty && !m.inSync) flags.push('spare');
  if (m.wantReplacement) flags.push('want_replacement');
  if (m.replacement) flags.push('replacement');
  return flags;
}

export function memberState(m: SimMember): MemberState {
  return {
    name: m.name,
    devPath: m.devPath,
    major: m.major,
    minor: m.minor,
    slot: m.slot,
    descNumber: m.descNumber,
    flags: memberFlags(m),
    errors: m.errors,
    recoveryStartSectors: m.inSync && !m.faulty ? null : sectors(m.recoveryOffsetSectors),
    deviceUuid: m.deviceUuid,
    dataOffsetSectors: sectors(m.dataOffsetSectors),
    sizeKiB: Math.floor(m.availSectors / 2),
  };
}

function bitmapState(a: SimArray): BitmapState | null {
  if (a.bitmapChunkKiB === null) return null;
  const syncSize = resyncTotalSectors(a.level, a.arraySizeSectors, a.componentSectors);
  const chunks = Math.ceil(syncSize / (a.bitmapChunkKiB * 2));
  const pages = Math.ceil(chunks / BITMAP_COUNTERS_PER_PAGE);
  return { location: 'internal', pagesUsed: pages, pagesTotal: pages, pagesKiB: pages * 4, chunkKiB: a.bitmapChunkKiB, file: null };
}

/** The array as sysfs/ioctls report it now; `live` puts curr_resync (the mdstat position) in syncCompleted. */
export function arrayState(ctx: KernelCtx, a: SimArray, live = false): ArrayState {
  const run = a.sync;
  const redundant = hasRedundancy(a.level);
  const done = run === null ? 0 : live ? livePosition(ctx, a) : run.checkpointSectors;
  return {
    device: a.device,
    uuid: a.uuid,
    name: a.name,
    level: a.level,
    raidDisks: a.raidDisks,
    layout: a.layout,
    chunkSizeBytes: a.chunkSectors * 512,
    arraySizeKiB: Math.floor(a.arraySizeSectors / 2),
    componentSizeKiB: redundant ? Math.floor(a.componentSectors / 2) : 0,
    metadataVersion: `1.${a.minorVersion}`,
    arrayState: arrayRunState(a),
    degraded: degradedCount(a),
    syncAction: redundant ? syncActionOf(a) : 'idle',
    lastSyncAction: a.lastSyncAction,
    syncCompleted: run === null ? null : { doneSectors: sectors(Math.min(done, run.totalSectors)), totalSectors: sectors(run.totalSectors) },
    syncPositionSectors: run === null ? null : sectors(Math.min(livePosition(ctx, a), run.totalSectors)),
    syncWaiting: run === null && redundant && a.recoveryCpSectors !== null ? 'PENDING' : null,
    syncSpeedKiBps: run === null || run.parked ? 0 : syncSpeedKiBps(ctx),
    resyncStartSectors: a.recoveryCpSectors === null ? null : sectors(a.recoveryCpSectors),
    syncMinSectors: sectors(a.syncMinSectors),
    syncMaxSectors: a.syncMaxSectors === null ? 'max' : sectors(a.syncMaxSectors),
    consistencyPolicy: !redundant ? 'none' : a.bitmapChunkKiB !== null ? 'bitmap' : 'resync',
    bitmap: bitmapState(a),
    events: a.events,
    ctimeSec: a.ctimeSec,
    utimeSec: a.utimeSec,
    mismatchCount: a.mismatchCount,
    members: a.members.map(memberState),
    reshape: a.reshape === null ? null : {
      positionSectors: sectors(reshapePosition(a, a.reshape.deviceProgressSectors)), deltaDisks: a.raidDisks - a.reshape.oldDisks,
      newLevel: a.level, newLayout: a.layout, newChunkSizeBytes: (a.reshape.newChunkSectors ?? a.chunkSectors) * 512,
      ...(a.reshape.backwards === true ? { backwards: true } : {}),
    },
  };
}
