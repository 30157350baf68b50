// ioctl request numbers for Linux md (include/uapi/linux/raid/md_u.h) and the one block-layer
// request the superblock reader needs. Owns: the _IOC encoding and every request number; no
// other file in the project writes an ioctl number as a literal.
// Invariants:
// - Numbers are computed from the generic _IOC layout used by x86, arm and riscv Linux:
//   dir<<30 | size<<16 | type<<8 | nr, with dir NONE=0, WRITE=1, READ=2 (READ|WRITE=3), a
//   14-bit size and MD_MAJOR (9) as the type for every md request.
// - Sizes are the C struct sizes from structs.ts (asserted there against koffi.sizeof), so a
//   layout change cannot silently change a request number.
import { assert } from '../../daemon/src/common/assert.js';

export const IOC_NONE = 0;
export const IOC_WRITE = 1;
export const IOC_READ = 2;

const IOC_NRBITS = 8;
const IOC_TYPEBITS = 8;
const IOC_SIZEBITS = 14;
const IOC_NRSHIFT = 0;
const IOC_TYPESHIFT = IOC_NRSHIFT + IOC_NRBITS;
const IOC_SIZESHIFT = IOC_TYPESHIFT + IOC_TYPEBITS;
const IOC_DIRSHIFT = IOC_SIZESHIFT + IOC_SIZEBITS;

/** The md block major; md ioctls use it as their _IOC type. */
export const MD_MAJOR = 9;

/** _IOC(dir, type, nr, size) as an unsigned 32-bit number. */
export function ioc(dir: number, type: number, nr: number, sizeBytes: number): number {
  assert(dir >= 0 && dir <= 3, `bad ioctl dir ${dir}`);
  assert(type >= 0 && type < 1 << IOC_TYPEBITS, `bad ioctl type ${type}`);
  assert(nr >= 0 && nr < 1 << IOC_NRBITS, `bad ioctl nr ${nr}`);
  assert(sizeBytes >= 0 && sizeBytes < 1 << IOC_SIZEBITS, `bad ioctl size ${sizeBytes}`);
  // >>> 0 keeps the READ bit (bit 31) positive in JS number space.
  return ((dir << IOC_DIRSHIFT) | (sizeBytes << IOC_SIZESHIFT) | (type << IOC_TYPESHIFT) | (nr << IOC_NRSHIFT)) >>> 0;
}
export const io = (type: number, nr: number): number => ioc(IOC_NONE, type, nr, 0);
export const ior = (type: number, nr: number, sizeBytes: number): number => ioc(IOC_READ, type, nr, sizeBytes);
export const iow = (type: number, nr: number, sizeBytes: number): number => ioc(IOC_WRITE, type, nr, sizeBytes);

/** C sizes of the md_u.h structs (checked against the koffi layouts in structs.ts). */
export const MDU_VERSION_T_BYTES = 12;
export const MDU_ARRAY_INFO_T_BYTES = 72;
export const MDU_DISK_INFO_T_BYTES = 20;
export const MDU_PARAM_T_BYTES = 12;
export const MDU_BITMAP_FILE_T_BYTES = 4096;
const INT_BYTES = 4;

// ---- md status / information ----
export const RAID_VERSION = ior(MD_MAJOR, 0x10, MDU_VERSION_T_BYTES);
export const GET_ARRAY_INFO = ior(MD_MAJOR, 0x11, MDU_ARRAY_INFO_T_BYTES);
export const GET_DISK_INFO = ior(MD_MAJOR, 0x12, MDU_DISK_INFO_T_BYTES);
export const GET_BITMAP_FILE = ior(MD_MAJOR, 0x15, MDU_BITMAP_FILE_T_BYTES);

// ---- md configuration ----
export const ADD_NEW_DISK = iow(MD_MAJOR, 0x21, MDU_DISK_INFO_T_BYTES);
/** Argument: dev_t BY VALUE. */
export const HOT_REMOVE_DISK = io(MD_MAJOR, 0x22);
export const SET_ARRAY_INFO = iow(MD_MAJOR, 0x23, MDU_ARRAY_INFO_T_BYTES);
/** Argument: dev_t BY VALUE. Only for 0.90 metadata (md answers EINVAL for 1.x). */
export const HOT_ADD_DISK = io(MD_MAJOR, 0x28);
/** Argument: dev_t BY VALUE. */
export const SET_DISK_FAULTY = io(MD_MAJOR, 0x29);
export const SET_BITMAP_FILE = iow(MD_MAJOR, 0x2b, INT_BYTES);

// ---- md usage ----
export const RUN_ARRAY = iow(MD_MAJOR, 0x30, MDU_PARAM_T_BYTES);
export const STOP_ARRAY = io(MD_MAJOR, 0x32);
export const STOP_ARRAY_RO = io(MD_MAJOR, 0x33);
export const RESTART_ARRAY_RW = io(MD_MAJOR, 0x34);

// ---- block layer (include/uapi/linux/fs.h): _IOR(0x12, 114, size_t) ----
const BLK_IOCTL_TYPE = 0x12;
const SIZE_T_BYTES = 8;
/** Byte size of a block device, as a u64. */
export const BLKGETSIZE64 = ior(BLK_IOCTL_TYPE, 114, SIZE_T_BYTES);

// ---- md_p.h state bits ----
/** mdu_disk_info_t.state bit numbers. */
export const MD_DISK_FAULTY = 0;
export const MD_DISK_ACTIVE = 1;
export const MD_DISK_SYNC = 2;
export const MD_DISK_REMOVED = 3;
export const MD_DISK_CLUSTER_ADD = 4;
export const MD_DISK_CANDIDATE = 5;
export const MD_DISK_FAILFAST = 10;
export const MD_DISK_WRITEMOSTLY = 9;
export const MD_DISK_REPLACEMENT = 17;
export const MD_DISK_JOURNAL = 18;

/** mdu_array_info_t.state bit numbers. */
export const MD_SB_CLEAN = 0;
export const MD_SB_ERRORS = 1;
export const MD_SB_CLUSTERED = 5;
export const MD_SB_BITMAP_PRESENT = 8;

/** mdu_array_info_t.level for "no level" (an external-metadata container). */
export const LEVEL_NONE = -1000000;
