// The md v1.x superblock on-disk format (struct mdp_superblock_1, include/uapi/linux/raid/md_p.h)
// and its checksum. Pure: bytes in, facts out. Owns: the field offsets and calc_sb_1_csum.
// Invariants:
// - All fields are little-endian. The fixed part is 256 bytes; dev_roles[] (u16 each) follows
//   with max_dev entries, and the checksum covers 256 + 2*max_dev bytes with sb_csum taken as 0.
// - A superblock is accepted only with the magic, major_version 1, max_dev small enough to fit
//   the 4 KiB read, and super_offset equal to where it was found; the checksum is reported, not
//   required, so a torn superblock can still be examined.
import type { SuperblockInfo } from '../../daemon/src/md/types.js';
import { sectors } from '../../daemon/src/common/types.js';

export const MD_SB_MAGIC = 0xa92b4efc;
/** Bytes read for one superblock; the kernel's own superblock buffer is one 4 KiB page. */
export const SB_READ_BYTES = 4096;
export const SB_FIXED_BYTES = 256;
/** Largest max_dev whose dev_roles[] fits in SB_READ_BYTES. */
export const SB_MAX_DEVS = (SB_READ_BYTES - SB_FIXED_BYTES) / 2;
/** resync_offset value meaning "fully in sync" (MaxSector). */
const MAX_SECTOR = 0xffffffffffffffffn;
const TIME_SECONDS_MASK = 0xffffffffffn;

/** Byte offsets of mdp_superblock_1 fields. */
export const SB = {
  magic: 0, majorVersion: 4, featureMap: 8, pad0: 12, setUuid: 16, setName: 32, ctime: 64, level: 72,
  layout: 76, size: 80, chunksize: 88, raidDisks: 92, bitmapOffset: 96, newLevel: 100, reshapePosition: 104,
  deltaDisks: 112, newLayout: 116, newChunk: 120, newOffset: 124, dataOffset: 128, dataSize: 136,
  superOffset: 144, recoveryOffset: 152, devNumber: 160, cntCorrectedRead: 164, deviceUuid: 168,
  devflags: 184, bblogShift: 185, bblogSize: 186, bblogOffset: 188, utime: 192, events: 200,
  resyncOffset: 208, sbCsum: 216, maxDev: 220, devRoles: 256,
} as const;

/** dev_roles[] special values. */
export const ROLE_SPARE = 0xffff;
export const ROLE_FAULTY = 0xfffe;
export const ROLE_JOURNAL = 0xfffd;
/** devflags bits. */
export const DEVFLAG_WRITEMOSTLY = 1;
export const DEVFLAG_FAILFAST = 2;

/** SuperblockInfo plus per-device facts the driver needs for re-add. */
export interface SuperblockV1 extends SuperblockInfo {
  /** devflags: DEVFLAG_WRITEMOSTLY | DEVFLAG_FAILFAST. */
  devFlags: number;
  /** This device's dev_roles[dev_number] (a slot, or ROLE_SPARE/ROLE_FAULTY/ROLE_JOURNAL). */
  role: number;
}

export type SbParseResult = { ok: true; sb: SuperblockV1 } | { ok: false; reason: string };

/** calc_sb_1_csum: 32-bit LE word sum over 256 + 2*max_dev bytes (sb_csum as 0), folded once. */
export function computeSbCsum(buf: Buffer, maxDev: number): number {
  let size = SB_FIXED_BYTES + maxDev * 2;
  let sum = 0n;
  let off = 0;
  for (; size >= 4; size -= 4, off += 4) {
    if (off !== SB.sbCsum) sum += BigInt(buf.readUInt32LE(off));
  }
  if (size === 2) sum += BigInt(buf.readUInt16LE(off));
  const folded = (sum & 0xffffffffn) + (sum >> 32n);
  return Number(folded & 0xffffffffn);
}

/** mdadm's colon form of a 16-byte uuid: four 8-hex-digit groups of the bytes in order. */
export function uuidColonForm(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return [0, 8, 16, 24].map((i) => hex.slice(i, i + 8)).join(':');
}

function u64(buf: Buffer, off: number): bigint {
  return buf.readBigUInt64LE(off);
}
function safe(n: bigint): number | null {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : null;
}
function cString(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.subarray(0, end < 0 ? buf.length : end).toString('utf8');
}

interface Sizes {
  dataOffset: number; dataSize: number; superOffset: number; size: number;
  recoveryOffset: number; events: number; resync: number | 'max';
}

function readSizes(buf: Buffer): Sizes | string {
  const fields = {
    dataOffset: safe(u64(buf, SB.dataOffset)), dataSize: safe(u64(buf, SB.dataSize)),
    superOffset: safe(u64(buf, SB.superOffset)), size: safe(u64(buf, SB.size)),
    recoveryOffset: safe(u64(buf, SB.recoveryOffset)), events: safe(u64(buf, SB.events)),
  };
  for (const [name, v] of Object.entries(fields)) if (v === null) return `${name} out of range`;
  const rawResync = u64(buf, SB.resyncOffset);
  const resync = rawResync === MAX_SECTOR ? 'max' : safe(rawResync);
  if (resync === null) return 'resync_offset out of range';
  return { ...(fields as Omit<Sizes, 'resync'>), resync };
}

/** The fields only `mdadm --examine` prints (for mdctl --examine); the device size is the reader's. */
function rawFacts(buf: Buffer, maxDev: number): NonNullable<SuperblockInfo['raw']> {
  const reshape = safe(u64(buf, SB.reshapePosition));
  return {
    storedCsum: buf.readUInt32LE(SB.sbCsum), computedCsum: computeSbCsum(buf, maxDev), devFlags: buf.readUInt8(SB.devflags),
    bitmapOffsetSectors: buf.readInt32LE(SB.bitmapOffset), pplOffsetSectors: buf.readInt16LE(SB.bitmapOffset),
    pplSizeSectors: buf.readUInt16LE(SB.bitmapOffset + 2), bblogOffsetSectors: buf.readInt32LE(SB.bblogOffset),
    bblogSizeSectors: buf.readUInt16LE(SB.bblogSize), reshapePositionSectors: reshape ?? Number.MAX_SAFE_INTEGER,
    newLevel: buf.readInt32LE(SB.newLevel), newLayout: buf.readUInt32LE(SB.newLayout), newChunkSectors: buf.readUInt32LE(SB.newChunk),
    deltaDisks: buf.readInt32LE(SB.deltaDisks), newOffsetSectors: buf.readInt32LE(SB.newOffset), deviceSectors: null,
  };
}

/**
 * Parses a superblock read at `expectedSuperOffset` (sectors) for minor version `minor`.
 * `buf` must hold at least SB_READ_BYTES bytes.
 */
export function parseSuperblockV1(buf: Buffer, minor: 0 | 1 | 2, expectedSuperOffset: number): SbParseResult {
  if (buf.length < SB_READ_BYTES) return { ok: false, reason: `short read (${buf.length} bytes)` };
  if (buf.readUInt32LE(SB.magic) !== MD_SB_MAGIC) return { ok: false, reason: 'no md magic' };
  const major = buf.readUInt32LE(SB.majorVersion);
  if (major !== 1) return { ok: false, reason: `major_version ${major}` };
  const maxDev = buf.readUInt32LE(SB.maxDev);
  if (maxDev > SB_MAX_DEVS) return { ok: false, reason: `max_dev ${maxDev} too large` };
  const sizes = readSizes(buf);
  if (typeof sizes === 'string') return { ok: false, reason: sizes };
  if (sizes.superOffset !== expectedSuperOffset) {
    return { ok: false, reason: `super_offset ${sizes.superOffset} != ${expectedSuperOffset}` };
  }
  const devRoles = Array.from({ length: maxDev }, (_, i) => buf.readUInt16LE(SB.devRoles + 2 * i));
  const devNumber = buf.readUInt32LE(SB.devNumber);
  const sb: SuperblockV1 = {
    majorVersion: 1,
    minorVersion: minor,
    setUuid: uuidColonForm(buf.subarray(SB.setUuid, SB.setUuid + 16)),
    setName: cString(buf.subarray(SB.setName, SB.setName + 32)),
    deviceUuid: uuidColonForm(buf.subarray(SB.deviceUuid, SB.deviceUuid + 16)),
    level: buf.readInt32LE(SB.level),
    layout: buf.readUInt32LE(SB.layout),
    raidDisks: buf.readUInt32LE(SB.raidDisks),
    chunkSectors: buf.readUInt32LE(SB.chunksize),
    ctimeSec: Number(u64(buf, SB.ctime) & TIME_SECONDS_MASK),
    utimeSec: Number(u64(buf, SB.utime) & TIME_SECONDS_MASK),
    events: sizes.events,
    resyncOffsetSectors: sizes.resync === 'max' ? 'max' : sectors(sizes.resync),
    recoveryOffsetSectors: sectors(sizes.recoveryOffset),
    devNumber,
    devRoles,
    featureMap: buf.readUInt32LE(SB.featureMap),
    dataOffsetSectors: sectors(sizes.dataOffset),
    dataSizeSectors: sectors(sizes.dataSize),
    superOffsetSectors: sectors(sizes.superOffset),
    sizeSectors: sectors(sizes.size),
    checksumValid: computeSbCsum(buf, maxDev) === buf.readUInt32LE(SB.sbCsum),
    raw: rawFacts(buf, maxDev),
    devFlags: buf.readUInt8(SB.devflags),
    role: devNumber < maxDev ? devRoles[devNumber] : ROLE_SPARE,
  };
  return { ok: true, sb };
}

/** Where each minor version keeps its superblock, in 512-byte sectors, for a device of `deviceSectors`. */
export function superOffsetFor(minor: 0 | 1 | 2, deviceSectors: number): number | null {
  if (minor === 1) return 0;
  if (minor === 2) return 8;
  // 1.0: 8 KiB before the end, rounded down to a 4 KiB boundary (the kernel's sb_start).
  const start = deviceSectors - 16;
  return start < 0 ? null : start - (start % 8);
}
