// Block device identity: major:minor from stat, the dev_t encodings md ioctls take, the kernel
// name of a device, and a device's size. Owns: every dev_t bit layout in the project.
// Invariants:
// - decodeRdev() is glibc's gnu_dev_major/minor over the full 64-bit dev_t (read as a bigint).
// - encodeDevForIoctl() is the kernel's new_encode_dev(): md decodes the ioctl argument with
//   new_decode_dev(u32), so majors must be < 4096 and minors < 2^20 (asserted by the caller's
//   range check, never silently truncated).
import { promises as fsp } from 'node:fs';
import { basename } from 'node:path';
import { OpError } from '../../daemon/src/common/errors.js';
import { fromNodeError, nodeErrnoName } from './errno.js';
import { ioctlSync } from './libc.js';
import { BLKGETSIZE64 } from './ioctl.js';

export interface DevNumber {
  major: number;
  minor: number;
}

const MAX_IOCTL_MAJOR = 0xfff;
const MAX_IOCTL_MINOR = 0xfffff;

export function decodeRdev(rdev: bigint): DevNumber {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

/** new_encode_dev(): the u32 form md's SET_DISK_FAULTY/HOT_REMOVE_DISK/HOT_ADD_DISK decode. */
export function encodeDevForIoctl(dev: DevNumber): number {
  if (dev.major < 0 || dev.major > MAX_IOCTL_MAJOR || dev.minor < 0 || dev.minor > MAX_IOCTL_MINOR) {
    throw new OpError('E_INVALID_ARGUMENT', `device ${dev.major}:${dev.minor} cannot be passed to an md ioctl`, { ...dev });
  }
  const lowMinor = dev.minor & 0xff;
  const highMinor = dev.minor - lowMinor;
  return lowMinor + dev.major * 0x100 + highMinor * 0x1000;
}

export interface BlockDeviceInfo extends DevNumber {
  path: string;
  /** The kernel's name for it ("vda", "sdb1", "dm-0"), from /sys/dev/block/M:m. */
  kernelName: string;
}

/**
 * stat()s a block device path. Missing path -> E_NO_SUCH_DEVICE; not a block device ->
 * E_INVALID_ARGUMENT. `sysRoot` lets tests point /sys elsewhere.
 */
export async function statBlockDevice(path: string, sysRoot = '/sys'): Promise<BlockDeviceInfo> {
  let st;
  try {
    st = await fsp.stat(path, { bigint: true });
  } catch (err) {
    const name = nodeErrnoName(err);
    if (name === 'ENOENT' || name === 'ENOTDIR') throw new OpError('E_NO_SUCH_DEVICE', `no such device: ${path}`, { member: path });
    throw fromNodeError(err, { syscall: 'stat', device: path });
  }
  if (!st.isBlockDevice()) throw new OpError('E_INVALID_ARGUMENT', `not a block device: ${path}`, { member: path });
  const dev = decodeRdev(st.rdev);
  return { path, ...dev, kernelName: await kernelNameOf(dev, sysRoot) };
}

/** The kernel name of a block device, from the /sys/dev/block/M:m symlink. */
export async function kernelNameOf(dev: DevNumber, sysRoot = '/sys'): Promise<string> {
  const link = `${sysRoot}/dev/block/${dev.major}:${dev.minor}`;
  try {
    return basename(await fsp.realpath(link));
  } catch (err) {
    const name = nodeErrnoName(err);
    if (name === 'ENOENT') throw new OpError('E_NO_SUCH_DEVICE', `no block device ${dev.major}:${dev.minor}`, { ...dev });
    throw fromNodeError(err, { syscall: 'realpath', device: link });
  }
}

/** Size in bytes of an open block device (BLKGETSIZE64) or regular file (fstat). */
export async function deviceSizeBytes(fd: number, path: string): Promise<number> {
  const handleStat = await fsp.stat(path, { bigint: true }).catch((err: unknown) => {
    throw fromNodeError(err, { syscall: 'stat', device: path });
  });
  if (!handleStat.isBlockDevice()) return Number(handleStat.size);
  const out = Buffer.alloc(8);
  ioctlSync(fd, BLKGETSIZE64, out, { syscall: 'ioctl(BLKGETSIZE64)', device: path });
  const size = out.readBigUInt64LE(0);
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new OpError('E_INVALID_ARGUMENT', `device too large: ${path}`, { member: path });
  return Number(size);
}
