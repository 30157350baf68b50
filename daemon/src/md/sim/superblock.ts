// The simulated v1.x md superblock as stored in a simulated disk file, its validation and its
// conversion to the driver-facing SuperblockInfo.
// Owns: the on-disk record format of the simulated disks (fields named after struct
// mdp_superblock_1 in md_p.h) and the constants of dev_roles and feature_map.
// Invariants:
// - A SimSuperblock read from disk has passed superblockSchema (files come from outside and
//   may be corrupt: a bad one reads as "no superblock", it never crashes the driver).
// - resyncOffsetSectors is 'max' exactly when the array was clean and in sync when written.
// - devRoles[devNumber] is this device's own role as the writer saw it.
import { z } from 'zod';
import { sectors } from '../../common/types.js';
import type { SuperblockInfo } from '../types.js';

/** dev_roles values (md_p.h MD_DISK_ROLE_*); anything below ROLE_MAX is a slot number. */
export const ROLE_SPARE = 0xffff;
export const ROLE_FAULTY = 0xfffe;
export const ROLE_JOURNAL = 0xfffd;
export const ROLE_MAX = 0xff00;

/** feature_map bits (md_p.h MD_FEATURE_*). */
export const FEATURE_BITMAP_OFFSET = 0x1;
export const FEATURE_RECOVERY_OFFSET = 0x2;
export const FEATURE_RESHAPE_ACTIVE = 0x4;
export const FEATURE_REPLACEMENT = 0x10;
export const FEATURE_RECOVERY_BITMAP = 0x80;

/** devflags bit for a write-mostly member (WriteMostly1). */
export const DEVFLAG_WRITE_MOSTLY = 0x1;

const UUID_RE = /^[0-9a-f]{8}:[0-9a-f]{8}:[0-9a-f]{8}:[0-9a-f]{8}$/;
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const superblockSchema = z.object({
  magic: z.literal(0xa92b4efc),
  majorVersion: z.literal(1),
  minorVersion: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  setUuid: z.string().regex(UUID_RE),
  setName: z.string().max(32),
  deviceUuid: z.string().regex(UUID_RE),
  /** md level number: -1 linear, 0, 1, 4, 5, 6, 10. */
  level: z.number().int().min(-1).max(10),
  layout: z.number().int().min(-1).max(0x7fffffff),
  raidDisks: z.number().int().min(1).max(1920),
  chunkSectors: count,
  ctimeSec: count,
  utimeSec: count,
  events: count,
  resyncOffsetSectors: z.union([count, z.literal('max')]),
  recoveryOffsetSectors: count,
  devNumber: z.number().int().min(0).max(1919),
  devRoles: z.array(z.number().int().min(0).max(0xffff)).max(1920),
  featureMap: z.number().int().min(0).max(0xffff),
  devFlags: z.number().int().min(0).max(0xff),
  dataOffsetSectors: count,
  dataSizeSectors: count,
  superOffsetSectors: count,
  /** Used size of each member (the array's component size), in sectors. */
  sizeSectors: count,
  /** Internal bitmap chunk in KiB (0 when there is no bitmap). */
  bitmapChunkKiB: count,
  /** Feature 0x4 (a reshape is active): reshape_position in array sectors and delta_disks; absent otherwise. */
  reshapePositionSectors: count.optional(),
  deltaDisks: z.number().int().min(-1920).max(1920).optional(),
  /** With feature 0x4 and a chunk change: new_chunk in sectors (chunkSectors stays the old one). */
  newChunkSectors: count.optional(),
  /** With feature 0x4: MD_FEATURE_RESHAPE_BACKWARDS (0x20), the position counts down from the end. */
  reshapeBackwards: z.boolean().optional(),
  /** With feature 0x4: MD_FEATURE_NEW_OFFSET (0x100), new_offset relative to the data offset (the member's data moves there at the end). */
  newOffsetDeltaSectors: z.number().int().min(-(1 << 30)).max(1 << 30).optional(),
});

export type SimSuperblock = z.infer<typeof superblockSchema>;

export const SUPERBLOCK_MAGIC = 0xa92b4efc;

/** The role this superblock gives its own device. */
export function ownRole(sb: SimSuperblock): number {
  return sb.devNumber < sb.devRoles.length ? sb.devRoles[sb.devNumber] : ROLE_SPARE;
}

export function isSlotRole(role: number): boolean {
  return role < ROLE_MAX;
}

/** The driver-facing view (SuperblockInfo) of a stored superblock. */
export function toSuperblockInfo(sb: SimSuperblock): SuperblockInfo {
  return {
    majorVersion: 1,
    minorVersion: sb.minorVersion,
    setUuid: sb.setUuid,
    setName: sb.setName,
    deviceUuid: sb.deviceUuid,
    level: sb.level,
    layout: sb.layout,
    raidDisks: sb.raidDisks,
    chunkSectors: sb.chunkSectors,
    ctimeSec: sb.ctimeSec,
    utimeSec: sb.utimeSec,
    events: sb.events,
    resyncOffsetSectors: sb.resyncOffsetSectors === 'max' ? 'max' : sectors(sb.resyncOffsetSectors),
    recoveryOffsetSectors: sectors(sb.recoveryOffsetSectors),
    devNumber: sb.devNumber,
    devRoles: [...sb.devRoles],
    featureMap: sb.featureMap,
    dataOffsetSectors: sectors(sb.dataOffsetSectors),
    dataSizeSectors: sectors(sb.dataSizeSectors),
    superOffsetSectors: sectors(sb.superOffsetSectors),
    sizeSectors: sectors(sb.sizeSectors),
    checksumValid: true,
  };
}
