// mdadm --grow on the kernel: the write-intent bitmap of a running array. Owns: which way each
// change reaches md.
// Invariants:
// - Removing the bitmap is md's own state change: SET_ARRAY_INFO with MD_SB_BITMAP_PRESENT
//   cleared (md's update_array_info; mdadm 4.2 does the same). Nothing is removed when md shows
//   no bitmap (GET_ARRAY_INFO), so a repeated removal is a success without an ioctl.
// - Adding one needs a bitmap superblock on every in-sync member before md is told where it is
//   (md reads it; it never writes a new one for an existing array): that is metadata writing,
//   so mdadm (`--grow --bitmap=internal`) does it, as it does for create and a blank hot-add.
//   An array that already has one is a success without mdadm (the goal is reached).
// - md refuses a bitmap change while a sync runs (EBUSY; mdadm: "Cannot add bitmap while array
//   is resyncing or reshaping etc."); the error comes back as md/mdadm gave it.
import { withMdDevice } from '../../../../native/src/md-device.js';
import { MD_SB_BITMAP_PRESENT } from '../../../../native/src/ioctl.js';
import type { MdadmRunner } from './mdadm.js';
import { devPath, type KernelPaths } from './paths.js';

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
