// Superblock updates of a running simulated array: md_update_sb's Events arithmetic and what
// super_1_sync writes to each member.
// Owns: when Events goes up or down, and the content of every superblock the simulated
// kernel writes.
// Invariants (Linux 6.1 md, confirmed by the captures):
// - Nothing is written while the array is read-only or auto-read-only; the update is kept
//   pending and done when the array goes read-write.
// - Events +1 per update, except that a "clean/dirty only" update (nospares) of a clean,
//   in-sync, non-degraded array right after another nospares update LOWERS it by one.
// - Faulty members are never written: a failed disk keeps its last superblock (that is how
//   a stale standby or a later assembly recognises it as non-fresh).
// - A dirty array writes resync_offset 0; a clean one writes recovery_cp ('max' if in sync).
import type { KernelCtx } from './context.js';
import { nowSec } from './context.js';
import { hasRedundancy, roundComponentSectors } from './geometry.js';
import type { SimArray, SimMember } from './model.js';
import { degradedCount, reshapePosition } from './model.js';
import type { SimSuperblock } from './superblock.js';
import {
  DEVFLAG_WRITE_MOSTLY, FEATURE_BITMAP_OFFSET, FEATURE_RECOVERY_BITMAP, FEATURE_RECOVERY_OFFSET, FEATURE_REPLACEMENT, FEATURE_RESHAPE_ACTIVE,
  ROLE_FAULTY, ROLE_SPARE, SUPERBLOCK_MAGIC,
} from './superblock.js';
import { levelNumber } from '../format/levels.js';

/**
 * md_update_sb. `nospares` is true for a pure clean/dirty (or checkpoint) change and false
 * when device state changed (MD_SB_CHANGE_DEVS).
 */
export function updateSuperblocks(ctx: KernelCtx, a: SimArray, nospares: boolean): void {
  if (a.ro !== 'rw') {
    a.sbPending = true;
    return;
  }
  const nosp = nospares && degradedCount(a) === 0;
  if (nosp && a.inSync && a.recoveryCpSectors === null && a.canDecreaseEvents && a.events !== 1) {
    a.events--;
    a.canDecreaseEvents = false;
  } else {
    a.events++;
    a.canDecreaseEvents = nosp;
  }
  a.sbPending = false;
  a.utimeSec = nowSec(ctx);
  writeAllSuperblocks(ctx, a);
}

/** Writes every non-faulty member's superblock as the array is now (no Events change). */
export function writeAllSuperblocks(ctx: KernelCtx, a: SimArray): void {
  const roles = devRoles(a);
  for (const m of a.members) {
    if (m.faulty) continue;
    try {
      ctx.store.writeSuperblock(m.diskId, buildSuperblock(a, m, roles));
    } catch (e) {
      // A vanished disk behaves like a failed superblock write: md would fail the device.
      ctx.deps.logger.warn('simulated superblock write failed', { device: a.device, member: m.devPath, err: String(e) });
    }
  }
}

/** dev_roles[] as super_1_sync fills it: spare by default, then each bound device's role. */
export function devRoles(a: SimArray): number[] {
  let maxDev = a.raidDisks;
  for (const m of a.members) maxDev = Math.max(maxDev, m.descNumber + 1);
  const roles = new Array<number>(maxDev).fill(ROLE_SPARE);
  for (const m of a.members) {
    if (m.faulty) roles[m.descNumber] = ROLE_FAULTY;
    else if (m.slot !== null) roles[m.descNumber] = m.slot;
  }
  return roles;
}

export function buildSuperblock(a: SimArray, m: SimMember, roles: number[]): SimSuperblock {
  let featureMap = 0;
  if (a.bitmapChunkKiB !== null) featureMap |= FEATURE_BITMAP_OFFSET;
  const recovering = m.slot !== null && !m.inSync;
  if (recovering) featureMap |= FEATURE_RECOVERY_OFFSET;
  if (recovering && m.bitmapRecovery) featureMap |= FEATURE_RECOVERY_BITMAP;
  if (m.replacement) featureMap |= FEATURE_REPLACEMENT;
  if (a.reshape !== null) featureMap |= FEATURE_RESHAPE_ACTIVE;
  return {
    magic: SUPERBLOCK_MAGIC,
    majorVersion: 1,
    minorVersion: a.minorVersion,
    setUuid: a.uuid,
    setName: a.name,
    deviceUuid: m.deviceUuid,
    level: levelNumber(a.level),
    layout: a.layout,
    raidDisks: a.raidDisks,
    chunkSectors: a.chunkSectors,
    ctimeSec: a.ctimeSec,
    utimeSec: a.utimeSec,
    events: a.events,
    resyncOffsetSectors: !a.inSync ? 0 : a.recoveryCpSectors ?? 'max',
    recoveryOffsetSectors: recovering ? m.recoveryOffsetSectors : 0,
    devNumber: m.descNumber,
    devRoles: [...roles],
    featureMap,
    devFlags: m.writeMostly ? DEVFLAG_WRITE_MOSTLY : 0,
    dataOffsetSectors: m.dataOffsetSectors,
    dataSizeSectors: m.availSectors,
    superOffsetSectors: m.superOffsetSectors,
    sizeSectors: hasRedundancy(a.level) ? a.componentSectors : roundComponentSectors(a.level, a.chunkSectors, m.availSectors),
    bitmapChunkKiB: a.bitmapChunkKiB ?? 0,
    ...(a.reshape === null ? {} : {
      reshapePositionSectors: reshapePosition(a, a.reshape.deviceProgressSectors), deltaDisks: a.raidDisks - a.reshape.oldDisks,
      ...(a.reshape.newChunkSectors === undefined ? {} : { newChunkSectors: a.reshape.newChunkSectors }),
      ...(a.reshape.backwards === true ? { reshapeBackwards: true } : {}),
      ...(a.reshape.offsetDeltaSectors === undefined ? {} : { newOffsetDeltaSectors: a.reshape.offsetDeltaSectors }),
    }),
  };
}
