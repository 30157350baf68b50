// Member changes through md ioctls and sysfs: fail, remove, add, re-add, write-mostly, replace.
// Owns: the choice of mechanism per metadata version, and idempotence.
// Invariants:
// - SET_DISK_FAULTY answers EBUSY when the failure would break the array (md sets MD_BROKEN: the
//   last in-sync RAID1 member, more failures than RAID5/6 survive); RAID1 then leaves the member
//   in place, RAID4/5/6 mark it faulty anyway and the array has failed. Callers refuse such
//   failures first (E_LAST_IN_SYNC); here it is reported as E_KERNEL/EBUSY.
// - set-faulty on a faulty member, hot-remove of a device not in the array, hot-add of a device
//   already in the array and re-add of an in-sync member succeed without effect.
// - Adding a component (hotAdd): 0.90 arrays use HOT_ADD_DISK. md refuses HOT_ADD_DISK for 1.x
//   ("HOT_ADD may only be used with version-0 superblocks", EINVAL) and its ADD_NEW_DISK/new_dev
//   only import a device that already carries a loadable 1.x superblock. So a device that has
//   this array's superblock is added with ADD_NEW_DISK (state 0: a spare; md prefers its old slot
//   for a bitmap-based recovery); a blank or foreign device needs a new superblock written, which
//   only mdadm does here: `mdadm --manage /dev/mdX --add DEV` (mdadm as the metadata writer).
// - re-add: a member still bound but faulty and out of its slot gets "re-add" on dev-X/state; a
//   removed one is re-added with ADD_NEW_DISK {number: dev_number, raid_disk: old role, state:
//   SYNC}, which md accepts only if the bitmap (or equal events) allows a partial recovery.
// - replace: the spare is pinned as the replacement by writing the member's slot to the spare's
//   dev-X/slot while recovery is frozen, so md cannot pick another spare in between.
import { OpError } from '../../common/errors.js';
import { withMdDevice } from '../../../../native/src/md-device.js';
import { MD_DISK_SYNC, MD_DISK_WRITEMOSTLY } from '../../../../native/src/ioctl.js';
import { DEVFLAG_WRITEMOSTLY, ROLE_JOURNAL } from '../../../../native/src/superblock-format.js';
import type { SuperblockV1 } from '../../../../native/src/superblock-format.js';
import { readAttr, writeAttr } from './sysfs-io.js';
import { parseArrayUuid, parseSyncAction } from './sysfs-parse.js';
import { resolveBoundMember, resolveMember, type ResolvedMember } from './members.js';
import { isSyncRunning } from './events-diff.js';
import { v1Minor } from './read-array.js';
import { addArgs, type MdadmRunner } from './mdadm.js';
import { devPath, mdDir, type KernelPaths } from './paths.js';

export interface MemberDeps {
  paths: KernelPaths;
  mdadm: MdadmRunner;
  readSuperblock(devPath: string, minor: 0 | 1 | 2 | undefined): Promise<SuperblockV1>;
}

function arrayAttr(paths: KernelPaths, array: string, name: string): string {
  const v = readAttr(`${mdDir(paths, array)}/${name}`, { syscall: `md/${name}`, device: array });
  if (v === undefined) throw new OpError('E_NO_SUCH_ARRAY', `no such array: ${array}`, { device: array });
  return v;
}

function writeMemberState(deps: MemberDeps, array: string, m: ResolvedMember & { dir: string }, value: string): Promise<void> {
  const gone = () => new OpError('E_NO_SUCH_DEVICE', `${m.dev.path} left ${array}`, { device: array, member: m.dev.path });
  return writeAttr(`${m.dir}/state`, value, { syscall: `md/dev-${m.dev.kernelName}/state`, device: array, member: m.dev.path }, gone);
}

export async function setFaulty(deps: MemberDeps, array: string, member: string): Promise<void> {
  const m = await resolveBoundMember(deps.paths, array, member);
  if (m.flags.includes('faulty')) return;
  await withMdDevice(devPath(deps.paths, array), array, (md) => md.setDiskFaulty(m.dev, m.dev.path));
}

export async function hotRemove(deps: MemberDeps, array: string, member: string): Promise<void> {
  const m = await resolveMember(deps.paths, array, member);
  if (m.dir === null) return;
  await withMdDevice(devPath(deps.paths, array), array, (md) => md.hotRemoveDisk(m.dev, m.dev.path));
}

/** The member's superblock if it belongs to `array` (same set uuid), else null. */
async function ownSuperblock(deps: MemberDeps, array: string, m: ResolvedMember, minor: 0 | 1 | 2): Promise<SuperblockV1 | null> {
  const sb = await deps.readSuperblock(m.dev.path, minor).catch((err: unknown) => {
    if (err instanceof OpError && err.code === 'E_NO_SUPERBLOCK') return null;
    throw err;
  });
  const uuid = parseArrayUuid(arrayAttr(deps.paths, array, 'uuid'), `1.${minor}`);
  return sb !== null && uuid !== null && sb.setUuid === uuid ? sb : null;
}

export async function hotAdd(deps: MemberDeps, array: string, member: string): Promise<void> {
  const m = await resolveMember(deps.paths, array, member);
  if (m.dir !== null) {
    if (m.flags.includes('faulty')) throw new OpError('E_INVALID_STATE', `${m.dev.path} is a faulty member of ${array}: remove it first`, { device: array, member: m.dev.path });
    return;
  }
  const metadata = arrayAttr(deps.paths, array, 'metadata_version');
  if (metadata === '0.90') {
    await withMdDevice(devPath(deps.paths, array), array, (md) => md.hotAddDisk(m.dev, m.dev.path));
    return;
  }
  const minor = v1Minor(metadata);
  if (minor === null) throw new OpError('E_NOT_SUPPORTED', `cannot add members to ${array} (metadata ${metadata})`, { device: array, metadata });
  const sb = await ownSuperblock(deps, array, m, minor);
  if (sb === null) {
    await deps.mdadm.run(addArgs(array, m.dev.path, deps.paths));
    return;
  }
  const info = { number: sb.devNumber, major: m.dev.major, minor: m.dev.minor, raid_disk: -1, state: 0 };
  await withMdDevice(devPath(deps.paths, array), array, (md) => md.addNewDisk(info, m.dev.path));
}

export async function reAdd(deps: MemberDeps, array: string, member: string): Promise<void> {
  const m = await resolveMember(deps.paths, array, member);
  if (m.dir !== null) {
    if (!m.flags.includes('faulty')) return;
    await writeMemberState(deps, array, { ...m, dir: m.dir }, 're-add');
    return;
  }
  const metadata = arrayAttr(deps.paths, array, 'metadata_version');
  const minor = v1Minor(metadata);
  if (minor === null) throw new OpError('E_NOT_SUPPORTED', `re-add of a removed member needs v1.x metadata (${array} has ${metadata})`, { device: array, metadata });
  const sb = await ownSuperblock(deps, array, m, minor);
  if (sb === null || sb.role >= ROLE_JOURNAL) {
    throw new OpError('E_INVALID_STATE', `${m.dev.path} was not an active member of ${array}`, { device: array, member: m.dev.path });
  }
  let state = 1 << MD_DISK_SYNC;
  if ((sb.devFlags & DEVFLAG_WRITEMOSTLY) !== 0) state |= 1 << MD_DISK_WRITEMOSTLY;
  const info = { number: sb.devNumber, major: m.dev.major, minor: m.dev.minor, raid_disk: sb.role, state };
  await withMdDevice(devPath(deps.paths, array), array, (md) => md.addNewDisk(info, m.dev.path));
}

export async function setWriteMostly(deps: MemberDeps, array: string, member: string, on: boolean): Promise<void> {
  const m = await resolveBoundMember(deps.paths, array, member);
  if (m.flags.includes('write_mostly') === on) return;
  await writeMemberState(deps, array, m, on ? 'writemostly' : '-writemostly');
}

function writeSyncAction(deps: MemberDeps, array: string, value: string): Promise<void> {
  const gone = () => new OpError('E_NO_SUCH_ARRAY', `no such array: ${array}`, { device: array });
  return writeAttr(`${mdDir(deps.paths, array)}/sync_action`, value, { syscall: 'md/sync_action', device: array }, gone);
}

async function pinReplacement(deps: MemberDeps, array: string, old: ResolvedMember & { dir: string }, spare: ResolvedMember & { dir: string }, slot: number): Promise<void> {
  await writeMemberState(deps, array, old, 'want_replacement');
  const gone = () => new OpError('E_NO_SUCH_DEVICE', `${spare.dev.path} left ${array}`, { device: array, member: spare.dev.path });
  try {
    await writeAttr(`${spare.dir}/slot`, String(slot), { syscall: `md/dev-${spare.dev.kernelName}/slot`, device: array, member: spare.dev.path }, gone);
  } catch (err) {
    // Do not leave the mark behind: md would replace the member with whichever spare it picks.
    await writeMemberState(deps, array, old, '-want_replacement').catch(() => undefined);
    throw err;
  }
}

export async function replace(deps: MemberDeps, array: string, member: string, withMember: string): Promise<void> {
  const old = await resolveBoundMember(deps.paths, array, member);
  if (old.slot === null || old.flags.includes('faulty')) {
    throw new OpError('E_INVALID_STATE', `${old.dev.path} is not an active member of ${array}`, { device: array, member: old.dev.path });
  }
  if ((await resolveMember(deps.paths, array, withMember)).dir === null) await hotAdd(deps, array, withMember);
  const spare = await resolveBoundMember(deps.paths, array, withMember);
  if (old.flags.includes('want_replacement') && spare.flags.includes('replacement') && spare.slot === old.slot) return;
  if (spare.slot !== null || spare.flags.includes('faulty') || spare.flags.includes('journal')) {
    throw new OpError('E_INVALID_STATE', `${spare.dev.path} is not a spare of ${array}`, { device: array, member: spare.dev.path });
  }
  const action = parseSyncAction(arrayAttr(deps.paths, array, 'sync_action'));
  if (isSyncRunning(action)) {
    throw new OpError('E_INVALID_STATE', `${array} is running ${action}; replace after it finishes`, { device: array, syncAction: action });
  }
  if (action !== 'frozen') await writeSyncAction(deps, array, 'frozen');
  try {
    await pinReplacement(deps, array, old, spare, old.slot);
  } finally {
    if (action !== 'frozen') await writeSyncAction(deps, array, 'idle');
  }
}
