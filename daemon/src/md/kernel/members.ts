// Resolving a member block device path against an array. Owns: "is this device a component of
// that array, and where is its md/dev-X directory".
// Invariants:
// - The member path is validated (string, absolute, bounded, no NUL) before any I/O, and must be
//   a block device; a missing path is E_NO_SUCH_DEVICE, a bad one E_INVALID_ARGUMENT.
// - The dev-X directory name comes from the kernel (/sys/dev/block/M:m), never from the input
//   string, so input cannot steer a sysfs write to another file.
import { OpError } from '../../common/errors.js';
import { statBlockDevice, type BlockDeviceInfo } from '../../../../native/src/blockdev.js';
import type { MemberFlag } from '../types.js';
import { listDir, readAttr } from './sysfs-io.js';
import { parseMemberState, parseSlot } from './sysfs-parse.js';
import { mdDir, MEMBER_NAME_RE, type KernelPaths } from './paths.js';

const MAX_PATH_LENGTH = 4096;

export interface ResolvedMember {
  dev: BlockDeviceInfo;
  /** md/dev-X directory when the device is bound to the array, else null. */
  dir: string | null;
  flags: MemberFlag[];
  slot: number | null;
}

export function validateMemberPath(member: unknown): string {
  if (typeof member !== 'string' || !member.startsWith('/') || member.length > MAX_PATH_LENGTH || member.includes('\0')) {
    throw new OpError('E_INVALID_ARGUMENT', `member must be an absolute block device path: ${JSON.stringify(member)}`, { member });
  }
  return member;
}

/** Requires the array to exist (E_NO_SUCH_ARRAY) and resolves `member` against it. */
export async function resolveMember(paths: KernelPaths, array: string, member: unknown): Promise<ResolvedMember> {
  const path = validateMemberPath(member);
  if (listDir(mdDir(paths, array), { syscall: 'md', device: array }) === undefined) {
    throw new OpError('E_NO_SUCH_ARRAY', `no such array: ${array}`, { device: array });
  }
  const dev = await statBlockDevice(path, paths.sysRoot);
  if (!MEMBER_NAME_RE.test(dev.kernelName)) {
    throw new OpError('E_INVALID_ARGUMENT', `unexpected kernel name ${JSON.stringify(dev.kernelName)} for ${path}`, { member: path });
  }
  const dir = `${mdDir(paths, array)}/dev-${dev.kernelName}`;
  const state = readAttr(`${dir}/state`, { syscall: `md/dev-${dev.kernelName}/state`, device: array, member: path });
  if (state === undefined) return { dev, dir: null, flags: [], slot: null };
  const slot = readAttr(`${dir}/slot`, { syscall: `md/dev-${dev.kernelName}/slot`, device: array, member: path });
  return { dev, dir, flags: parseMemberState(state), slot: slot === undefined ? null : parseSlot(slot) };
}

/** Like resolveMember, but the device must be bound to the array (else E_NO_SUCH_DEVICE). */
export async function resolveBoundMember(paths: KernelPaths, array: string, member: unknown): Promise<ResolvedMember & { dir: string }> {
  const r = await resolveMember(paths, array, member);
  if (r.dir === null) {
    throw new OpError('E_NO_SUCH_DEVICE', `${r.dev.path} is not a component of ${array}`, { device: array, member: r.dev.path });
  }
  return { ...r, dir: r.dir };
}
