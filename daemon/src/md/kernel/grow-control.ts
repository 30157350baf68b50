// mdadm --grow on the kernel: the write-intent bitmap and the component size of a running
// array. Owns: which way each change reaches md.
// Invariants:
// - Removing the bitmap is md's own state change: SET_ARRAY_INFO with MD_SB_BITMAP_PRESENT
//   cleared (md's update_array_info; mdadm 4.2 does the same). Nothing is removed when md shows
//   no bitmap (GET_ARRAY_INFO), so a repeated removal is a success without an ioctl.
// - Adding one needs a bitmap superblock on every in-sync member before md is told where it is
//   (md reads it; it never writes a new one for an existing array): that is metadata writing,
//   so mdadm (`--grow --bitmap=internal`) does it, as it does for create and a blank hot-add.
//   An array that already has one is a success without mdadm (the goal is reached).
// - The size goes to md/component_size (md's update_size) with the array's sync frozen, as
//   mdadm 4.2 does: with --assume-clean, resync_start "none" is written before the freeze ends,
//   so md never starts the resync of the new region; without it md resyncs that region
//   (recovery_cp = the old size). The freeze is lifted ("idle") however the change ends.
// - raid_disks: raid1 through SET_ARRAY_INFO with raid_disks changed (md's raid1_reshape), as
//   mdadm 4.2 does for a level that needs no reshape; raid4/5/6 through mdadm --grow
//   --raid-devices (it writes the reshape metadata and new data offsets, or backs the critical
//   section up to `backupFile`, then starts the reshape; md continues it from the superblocks'
//   reshape_position after a restart).
// - chunk size: raid4/5/6 through mdadm --grow --chunk (the same restripe with the data and
//   parity disks unchanged: mdadm moves the data offsets, up when the members have more room
//   after the data, so md reshapes backwards; or it backs the critical section up to
//   `backupFile`, which needs mdadm's own process to follow the whole reshape).
// - A reshape's mdadm may fork a process that follows the reshape: the change is made when
//   mdadm itself exits (MdadmRunner leavesChild), not when that process ends.
// - md refuses a bitmap change while a sync runs (EBUSY; mdadm: "Cannot add bitmap while array
//   is resyncing or reshaping etc."); the error comes back as md/mdadm gave it.
import { OpError } from '../../common/errors.js';
import { withMdDevice } from '../../../../native/src/md-device.js';
import { MD_SB_BITMAP_PRESENT } from '../../../../native/src/ioctl.js';
import type { MdadmRunner } from './mdadm.js';
import { devPath, mdDir, type KernelPaths } from './paths.js';
import { readAttr, writeAttr } from './sysfs-io.js';

const BITMAP_BIT = 1 << MD_SB_BITMAP_PRESENT;

export async function setBitmap(paths: KernelPaths, mdadm: MdadmRunner, array: string, bitmap: 'internal' | 'none'): Promise<void> {
  const dev = devPath(paths, array);
  const present = await withMdDevice(dev, array, async (md) => {
    const info = md.getArrayInfo();
    const has = (info.state & BITMAP_BIT) !== 0;
    if (bitmap === 'none' && has) await md.setArrayInfo({ ...info, state: info.state & ~BITMAP_BIT });
    return has;
  });
  if (bitmap === 'internal' && !present) await mdadm.run(['--grow', dev, '--bitmap=internal']);
}

function writeMd(paths: KernelPaths, array: string, name: string, value: string): Promise<void> {
  const gone = () => new OpError('E_NO_SUCH_ARRAY', `no such array: ${array}`, { device: array });
  return writeAttr(`${mdDir(paths, array)}/${name}`, value, { syscall: `md/${name}`, device: array }, gone);
}

export async function setComponentSize(paths: KernelPaths, array: string, sizeKiB: number, assumeClean: boolean): Promise<void> {
  if (!Number.isSafeInteger(sizeKiB) || sizeKiB < 1) throw new OpError('E_INVALID_ARGUMENT', 'sizeKiB must be a positive integer', { sizeKiB });
  await writeMd(paths, array, 'sync_action', 'frozen');
  try {
    await writeMd(paths, array, 'component_size', String(sizeKiB));
    if (assumeClean) await writeMd(paths, array, 'resync_start', 'none');
  } finally {
    await writeMd(paths, array, 'sync_action', 'idle');
  }
}

/** md/level of a running array ("raid1", "raid5", ...). */
function levelOf(paths: KernelPaths, array: string): string {
  const text = readAttr(`${mdDir(paths, array)}/level`, { syscall: 'md/level', device: array });
  if (text === undefined) throw new OpError('E_NO_SUCH_ARRAY', `no such array: ${array}`, { device: array });
  return text.trim();
}

function backupArgs(backupFile: string | undefined): string[] {
  if (backupFile !== undefined && !/^\/[^\0\s]{1,255}$/.test(backupFile)) throw new OpError('E_INVALID_ARGUMENT', 'backupFile must be an absolute path', { backupFile });
  return backupFile === undefined ? [] : [`--backup-file=${backupFile}`];
}

export async function setRaidDisks(paths: KernelPaths, mdadm: MdadmRunner, array: string, raidDisks: number, backupFile: string | undefined): Promise<void> {
  if (!Number.isSafeInteger(raidDisks) || raidDisks < 1) throw new OpError('E_INVALID_ARGUMENT', 'raidDisks must be a positive integer', { raidDisks });
  const backup = backupArgs(backupFile);
  const dev = devPath(paths, array);
  if (levelOf(paths, array) === 'raid1') {
    await withMdDevice(dev, array, async (md) => {
      const info = md.getArrayInfo();
      if (info.raid_disks !== raidDisks) await md.setArrayInfo({ ...info, raid_disks: raidDisks });
    });
    return;
  }
  await mdadm.run(['--grow', dev, `--raid-devices=${raidDisks}`, ...backup], { leavesChild: true });
}

export async function setChunkSize(paths: KernelPaths, mdadm: MdadmRunner, array: string, chunkKiB: number, backupFile: string | undefined): Promise<void> {
  if (!Number.isSafeInteger(chunkKiB) || chunkKiB < 4 || chunkKiB > 1 << 20) throw new OpError('E_INVALID_ARGUMENT', 'chunkKiB must be an integer in [4, 1048576]', { chunkKiB });
  const backup = backupArgs(backupFile);
  await mdadm.run(['--grow', devPath(paths, array), `--chunk=${chunkKiB}K`, ...backup], { leavesChild: true });
}
