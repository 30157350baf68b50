// The md 0.90 superblock on-disk format (struct mdp_superblock_s, include/uapi/linux/raid/md_p.h)
// and its checksum. Pure: bytes in, facts out. Owns: the word offsets, where the superblock
// sits, and the 0.90 checksum.
// Invariants:
// - The superblock is 4096 bytes of 32-bit words in the writer's byte order; md on x86 writes
//   little-endian, and a superblock whose magic reads only big-endian is refused (not guessed).
// - It sits in the last 64 KiB-aligned 64 KiB of the device (MD_NEW_SIZE_SECTORS); devices
//   smaller than 64 KiB have none.
// - Accepted with the magic and major_version 0; the checksum is reported, not required, so a
//   torn superblock can still be examined (as mdadm does).
import type { Superblock090Disk, Superblock090Info } from '../../daemon/src/md/types.js';

export const MD_SB090_MAGIC = 0xa92b4efc;
export const SB090_BYTES = 4096;
/** MD_RESERVED_SECTORS: the 64 KiB the superblock area takes at the end of the device. */
const RESERVED_SECTORS = 128;
/** Number of mdp_disk_t in disks[] (MD_SB_DISKS) and their size in 32-bit words. */
export const SB090_DISKS = 27;
const DISK_WORDS = 32;

/** Word indexes of mdp_superblock_s fields (little-endian layout: events_lo before events_hi). */
export const W = {
  magic: 0, major: 1, minor: 2, patch: 3, gvalidWords: 4, uuid0: 5, ctime: 6, level: 7, size: 8, nrDisks: 9,
  raidDisks: 10, mdMinor: 11, notPersistent: 12, uuid1: 13, uuid2: 14, uuid3: 15,
  utime: 32, state: 33, activeDisks: 34, workingDisks: 35, failedDisks: 36, spareDisks: 37, sbCsum: 38,
  eventsLo: 39, eventsHi: 40, cpEventsLo: 41, cpEventsHi: 42, recoveryCp: 43, reshapePosLo: 44, reshapePosHi: 45,
  newLevel: 46, deltaDisks: 47, newLayout: 48, newChunk: 49,
  layout: 64, chunkSize: 65, disks: 128, thisDisk: 992,
} as const;

/** mdp_disk_t word offsets inside a descriptor. */
export const DW = { number: 0, major: 1, minor: 2, raidDisk: 3, state: 4 } as const;

export type Sb090ParseResult = { ok: true; sb: Superblock090Info } | { ok: false; reason: string };

/** Byte offset of the 0.90 superblock on a device of `deviceSectors`, or null when it is too small. */
export function superblock090OffsetBytes(deviceSectors: number): number | null {
  if (deviceSectors < RESERVED_SECTORS) return null;
  const sectorsAt = deviceSectors - (deviceSectors % RESERVED_SECTORS) - RESERVED_SECTORS;
  return sectorsAt * 512;
}

/** calc_sb0_csum: the 64-bit sum of all 1024 words with sb_csum as 0, high half folded in once. */
export function computeSb090Csum(buf: Buffer): number {
  let sum = 0n;
  for (let w = 0; w < SB090_BYTES / 4; w++) if (w !== W.sbCsum) sum += BigInt(buf.readUInt32LE(w * 4));
  return Number(((sum & 0xffffffffn) + (sum >> 32n)) & 0xffffffffn);
}

function word(buf: Buffer, w: number): number {
  return buf.readUInt32LE(w * 4);
}

function disk(buf: Buffer, firstWord: number): Superblock090Disk {
  const at = (k: number) => word(buf, firstWord + k);
  return {
    number: at(DW.number), major: at(DW.major), minor: at(DW.minor),
    raidDisk: buf.readInt32LE((firstWord + DW.raidDisk) * 4), state: at(DW.state), devPath: null,
  };
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/** Parses a 0.90 superblock; `buf` must hold at least SB090_BYTES bytes. */
export function parseSuperblock090(buf: Buffer): Sb090ParseResult {
  if (buf.length < SB090_BYTES) return { ok: false, reason: `short read (${buf.length} bytes)` };
  if (word(buf, W.magic) !== MD_SB090_MAGIC) {
    return { ok: false, reason: buf.readUInt32BE(0) === MD_SB090_MAGIC ? 'big-endian 0.90 superblock' : 'no md magic' };
  }
  const major = word(buf, W.major);
  if (major !== 0) return { ok: false, reason: `major_version ${major}` };
  const reshapeLo = word(buf, W.reshapePosLo);
  const reshapeHi = word(buf, W.reshapePosHi);
  const noReshape = reshapeLo === 0xffffffff && reshapeHi === 0xffffffff;
  const sb: Superblock090Info = {
    majorVersion: 0,
    minorVersion: word(buf, W.minor),
    patchVersion: word(buf, W.patch),
    setUuid: [W.uuid0, W.uuid1, W.uuid2, W.uuid3].map((w) => hex8(word(buf, w))).join(':'),
    ctimeSec: word(buf, W.ctime),
    utimeSec: word(buf, W.utime),
    level: buf.readInt32LE(W.level * 4),
    sizeKiB: word(buf, W.size),
    nrDisks: word(buf, W.nrDisks),
    raidDisks: word(buf, W.raidDisks),
    mdMinor: word(buf, W.mdMinor),
    notPersistent: word(buf, W.notPersistent),
    state: word(buf, W.state),
    activeDisks: word(buf, W.activeDisks),
    workingDisks: word(buf, W.workingDisks),
    failedDisks: word(buf, W.failedDisks),
    spareDisks: word(buf, W.spareDisks),
    storedCsum: word(buf, W.sbCsum),
    computedCsum: computeSb090Csum(buf),
    events: word(buf, W.eventsHi) * 2 ** 32 + word(buf, W.eventsLo),
    reshapePositionSectors: noReshape ? null : reshapeHi * 2 ** 32 + reshapeLo,
    newLevel: buf.readInt32LE(W.newLevel * 4),
    deltaDisks: buf.readInt32LE(W.deltaDisks * 4),
    newLayout: word(buf, W.newLayout),
    newChunkBytes: word(buf, W.newChunk),
    layout: word(buf, W.layout),
    chunkSizeBytes: word(buf, W.chunkSize),
    disks: Array.from({ length: SB090_DISKS }, (_, i) => disk(buf, W.disks + i * DISK_WORDS)),
    thisDisk: disk(buf, W.thisDisk),
  };
  return { ok: true, sb };
}
