// koffi layouts of the md_u.h ioctl structs and their decoders/encoders. Owns: the byte layout
// of mdu_version_t, mdu_array_info_t, mdu_disk_info_t, mdu_param_t and mdu_bitmap_file_t.
// Invariants:
// - Every struct is a sequence of C ints (or one char array), so its size is fixed by the
//   kernel ABI; the sizes are asserted against ioctl.ts at load, since the request numbers
//   encode them.
// - Structs are anonymous koffi types (no global name), so loading this module twice in one
//   process (test runners do) never collides in koffi's type registry.
// - Decoders return plain objects with exactly the C field names; no interpretation here.
import koffi, { type TypeObject } from 'koffi';
import { assert } from '../../daemon/src/common/assert.js';
import {
  MDU_ARRAY_INFO_T_BYTES, MDU_BITMAP_FILE_T_BYTES, MDU_DISK_INFO_T_BYTES, MDU_PARAM_T_BYTES, MDU_VERSION_T_BYTES,
} from './ioctl.js';

export interface MduVersion {
  major: number;
  minor: number;
  patchlevel: number;
}

/** mdu_array_info_t, field order as in md_u.h. */
export interface MduArrayInfo {
  major_version: number;
  minor_version: number;
  patch_version: number;
  ctime: number;
  level: number;
  size: number;
  nr_disks: number;
  raid_disks: number;
  md_minor: number;
  not_persistent: number;
  utime: number;
  state: number;
  active_disks: number;
  working_disks: number;
  failed_disks: number;
  spare_disks: number;
  layout: number;
  chunk_size: number;
}

export interface MduDiskInfo {
  number: number;
  major: number;
  minor: number;
  raid_disk: number;
  state: number;
}

export interface MduParam {
  personality: number;
  chunk_size: number;
  max_fault: number;
}

/** Field names in struct order (shared by the koffi layout and the tests). */
export const ARRAY_INFO_FIELDS = [
  'major_version', 'minor_version', 'patch_version', 'ctime', 'level', 'size', 'nr_disks', 'raid_disks',
  'md_minor', 'not_persistent', 'utime', 'state', 'active_disks', 'working_disks', 'failed_disks',
  'spare_disks', 'layout', 'chunk_size',
] as const satisfies readonly (keyof MduArrayInfo)[];
export const DISK_INFO_FIELDS = ['number', 'major', 'minor', 'raid_disk', 'state'] as const satisfies readonly (keyof MduDiskInfo)[];
export const VERSION_FIELDS = ['major', 'minor', 'patchlevel'] as const satisfies readonly (keyof MduVersion)[];
export const PARAM_FIELDS = ['personality', 'chunk_size', 'max_fault'] as const satisfies readonly (keyof MduParam)[];

function intStruct(fields: readonly string[]): TypeObject {
  return koffi.struct(Object.fromEntries(fields.map((f) => [f, 'int'])));
}

export const mduVersionT = intStruct(VERSION_FIELDS);
export const mduArrayInfoT = intStruct(ARRAY_INFO_FIELDS);
export const mduDiskInfoT = intStruct(DISK_INFO_FIELDS);
export const mduParamT = intStruct(PARAM_FIELDS);
const BITMAP_PATH_BYTES = 4096;
export const mduBitmapFileT = koffi.struct({ pathname: koffi.array('char', BITMAP_PATH_BYTES, 'Buffer') });

assert(koffi.sizeof(mduVersionT) === MDU_VERSION_T_BYTES, 'mdu_version_t size');
assert(koffi.sizeof(mduArrayInfoT) === MDU_ARRAY_INFO_T_BYTES, 'mdu_array_info_t size');
assert(koffi.sizeof(mduDiskInfoT) === MDU_DISK_INFO_T_BYTES, 'mdu_disk_info_t size');
assert(koffi.sizeof(mduParamT) === MDU_PARAM_T_BYTES, 'mdu_param_t size');
assert(koffi.sizeof(mduBitmapFileT) === MDU_BITMAP_FILE_T_BYTES, 'mdu_bitmap_file_t size');

function checkLength(buf: Buffer, bytes: number, what: string): void {
  assert(buf.length >= bytes, `${what}: buffer of ${buf.length} bytes, need ${bytes}`);
}

export function decodeVersion(buf: Buffer): MduVersion {
  checkLength(buf, MDU_VERSION_T_BYTES, 'mdu_version_t');
  return koffi.decode(buf, mduVersionT) as MduVersion;
}
export function decodeArrayInfo(buf: Buffer): MduArrayInfo {
  checkLength(buf, MDU_ARRAY_INFO_T_BYTES, 'mdu_array_info_t');
  return koffi.decode(buf, mduArrayInfoT) as MduArrayInfo;
}
export function decodeDiskInfo(buf: Buffer): MduDiskInfo {
  checkLength(buf, MDU_DISK_INFO_T_BYTES, 'mdu_disk_info_t');
  return koffi.decode(buf, mduDiskInfoT) as MduDiskInfo;
}
/** mdu_bitmap_file_t.pathname up to its first NUL ("" when there is no bitmap file). */
export function decodeBitmapFile(buf: Buffer): string {
  checkLength(buf, MDU_BITMAP_FILE_T_BYTES, 'mdu_bitmap_file_t');
  const end = buf.indexOf(0);
  return buf.subarray(0, end < 0 ? MDU_BITMAP_FILE_T_BYTES : end).toString('utf8');
}

/** A zeroed buffer of the struct's size, for the kernel to fill. */
export function allocStruct(bytes: number): Buffer {
  return Buffer.alloc(bytes);
}

export function encodeDiskInfo(info: MduDiskInfo): Buffer {
  const buf = Buffer.alloc(MDU_DISK_INFO_T_BYTES);
  koffi.encode(buf, mduDiskInfoT, info);
  return buf;
}
export function encodeParam(param: MduParam): Buffer {
  const buf = Buffer.alloc(MDU_PARAM_T_BYTES);
  koffi.encode(buf, mduParamT, param);
  return buf;
}
export function encodeArrayInfo(info: MduArrayInfo): Buffer {
  const buf = Buffer.alloc(MDU_ARRAY_INFO_T_BYTES);
  koffi.encode(buf, mduArrayInfoT, info);
  return buf;
}
