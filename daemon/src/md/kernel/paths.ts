// Where the kernel driver finds md on this node, and which names it accepts. Owns: the mapping
// from an array name or member path to sysfs/proc/dev paths, and the validation of those names.
// Invariants:
// - Every path the driver builds from outside input goes through a validated name: an array name
//   matches ARRAY_NAME_RE, so no input can point a sysfs read or write outside /sys/block/mdX/md.
//   A bad name is OpError('E_INVALID_ARGUMENT'), never a crash.
// - Roots are injectable so tests can run the driver over a sysfs/proc/dev tree built from real
//   captures; production uses /sys, /proc and /dev.
import { promises as fsp, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { OpError } from '../../common/errors.js';

export interface KernelPaths {
  sysRoot: string;
  procRoot: string;
  devRoot: string;
}

export const DEFAULT_KERNEL_PATHS: KernelPaths = { sysRoot: '/sys', procRoot: '/proc', devRoot: '/dev' };

/** md device names: md0 .. md9999, and md_NAME (md's named arrays). */
export const ARRAY_NAME_RE = /^md(?:[0-9]{1,4}|_[A-Za-z0-9_.-]{1,32})$/;
/** Member kernel names as they appear in dev-X: vda, sdb1, nvme0n1p2, dm-3, loop0 ... */
export const MEMBER_NAME_RE = /^[A-Za-z0-9_.:+-]{1,64}$/;

export function isArrayName(name: string): boolean {
  return ARRAY_NAME_RE.test(name);
}

/**
 * Accepts "md0", "/dev/md0" or "/dev/md/NAME" (a link mdadm makes) and returns the kernel name.
 */
export async function resolveArrayName(device: unknown, paths: KernelPaths): Promise<string> {
  if (typeof device !== 'string' || device.length === 0 || device.length > 256) {
    throw new OpError('E_INVALID_ARGUMENT', 'array name must be a non-empty string', { device });
  }
  if (isArrayName(device)) return device;
  const devPrefix = `${paths.devRoot}/`;
  if (device.startsWith(devPrefix)) {
    const direct = device.slice(devPrefix.length);
    if (isArrayName(direct)) return direct;
    if (device.startsWith(`${paths.devRoot}/md/`)) {
      const real = await fsp.realpath(device).catch(() => null);
      if (real === null) throw new OpError('E_NO_SUCH_ARRAY', `no such array: ${device}`, { device });
      const name = basename(real);
      if (isArrayName(name)) return name;
    }
  }
  throw new OpError('E_INVALID_ARGUMENT', `not an md array name: ${JSON.stringify(device)}`, { device });
}

export function mdDir(paths: KernelPaths, array: string): string {
  return `${paths.sysRoot}/block/${array}/md`;
}
export function blockDir(paths: KernelPaths, array: string): string {
  return `${paths.sysRoot}/block/${array}`;
}
export function devPath(paths: KernelPaths, kernelName: string): string {
  return `${paths.devRoot}/${kernelName}`;
}
export function mdstatPath(paths: KernelPaths): string {
  return `${paths.procRoot}/mdstat`;
}
export function speedLimitPath(paths: KernelPaths, which: 'min' | 'max'): string {
  return `${paths.procRoot}/sys/dev/raid/speed_limit_${which}`;
}

/**
 * The block device with number major:minor on this node ("/dev/vda", from the /sys/dev/block
 * link, as mdadm's map_dev names it), or null when there is none (0:0, a vanished disk).
 */
export function devPathOfNumber(paths: KernelPaths, major: number, minor: number): string | null {
  if (!Number.isSafeInteger(major) || !Number.isSafeInteger(minor) || major < 0 || minor < 0 || (major === 0 && minor === 0)) return null;
  try {
    const name = basename(readlinkSync(`${paths.sysRoot}/dev/block/${major}:${minor}`));
    return MEMBER_NAME_RE.test(name) ? devPath(paths, name) : null;
  } catch {
    return null;
  }
}
