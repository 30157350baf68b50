// The kernel driver's access to things outside sysfs: md ioctls on /dev/mdX, component
// superblocks, /proc/mdstat and the system's mdadm. Owns: the port interfaces and their real
// implementations over native/. Tests substitute ports built from real captures.
// Invariants:
// - ioctlFacts() opens /dev/mdX on the thread pool, makes only md's lockless GET_* ioctls, and
//   always closes; an inactive array (GET_ARRAY_INFO -> ENODEV) gives arrayInfo null.
// - GET_DISK_INFO is scanned from number 0 upward only until every wanted member is found, and
//   never past MD_KERNEL_MAX_DEVICES_PER_ARRAY.
import { OpError } from '../../common/errors.js';
import { MD_FORMAT_MAX_TEXT_BYTES, MD_KERNEL_MAX_DEVICES_PER_ARRAY } from '../../common/limits.js';
import { withMdDevice, type MdDevice } from '../../../../native/src/md-device.js';
import { readDdfFacts, readSuperblock090, readSuperblockV1 } from '../../../../native/src/superblock.js';
import type { SuperblockV1 } from '../../../../native/src/superblock-format.js';
import type { MduArrayInfo } from '../../../../native/src/structs.js';
import type { DevNumber } from '../../../../native/src/blockdev.js';
import type { DdfFacts, Superblock090Info } from '../types.js';
import { readText } from './sysfs-io.js';
import { devPath, mdstatPath, type KernelPaths } from './paths.js';

export interface IoctlFacts {
  /** GET_ARRAY_INFO, or null for an inactive array. */
  arrayInfo: MduArrayInfo | null;
  /** GET_DISK_INFO number by "major:minor". */
  descNumbers: Map<string, number>;
  /** GET_BITMAP_FILE pathname, or null when there is no bitmap file. */
  bitmapFile: string | null;
}

export interface ReadPorts {
  ioctlFacts(device: string, members: readonly DevNumber[]): Promise<IoctlFacts>;
  superblock(devPath: string, minor: 0 | 1 | 2 | undefined): Promise<SuperblockV1>;
  /** The member's 0.90 superblock (E_NO_SUPERBLOCK when it has none). */
  superblock090(devPath: string): Promise<Superblock090Info>;
  /** The DDF metadata on a member disk of an external container (E_NO_SUPERBLOCK without it). */
  ddf(devPath: string): Promise<DdfFacts>;
  /** /proc/mdstat text, or undefined when md is not loaded. */
  mdstatText(): string | undefined;
}

export const devKey = (d: DevNumber): string => `${d.major}:${d.minor}`;

function scanDiskInfo(md: MdDevice, members: readonly DevNumber[]): Map<string, number> {
  const wanted = new Set(members.map(devKey));
  const found = new Map<string, number>();
  for (let n = 0; n < MD_KERNEL_MAX_DEVICES_PER_ARRAY && found.size < wanted.size; n++) {
    const d = md.getDiskInfo(n);
    const key = devKey(d);
    if (wanted.has(key)) found.set(key, d.number);
  }
  return found;
}

async function realIoctlFacts(paths: KernelPaths, device: string, members: readonly DevNumber[]): Promise<IoctlFacts> {
  try {
    return await withMdDevice(devPath(paths, device), device, (md) => {
      const arrayInfo = md.tryGetArrayInfo();
      if (arrayInfo === null) return { arrayInfo, descNumbers: new Map(), bitmapFile: null };
      const bitmapFile = md.getBitmapFile();
      return { arrayInfo, descNumbers: scanDiskInfo(md, members), bitmapFile: bitmapFile === '' ? null : bitmapFile };
    });
  } catch (err) {
    if (err instanceof OpError && err.code === 'E_KERNEL' && ['ENOENT', 'ENODEV', 'ENXIO'].includes(String(err.details.errno))) {
      throw new OpError('E_NO_SUCH_ARRAY', `no such array: ${device}`, { device });
    }
    throw err;
  }
}

export function realReadPorts(paths: KernelPaths): ReadPorts {
  return {
    ioctlFacts: (device, members) => realIoctlFacts(paths, device, members),
    superblock: (path, minor) => readSuperblockV1(path, { minor }),
    superblock090: (path) => readSuperblock090(path),
    ddf: (path) => readDdfFacts(path),
    mdstatText: () => readText(mdstatPath(paths), MD_FORMAT_MAX_TEXT_BYTES, { syscall: 'mdstat', device: 'mdstat' }),
  };
}
