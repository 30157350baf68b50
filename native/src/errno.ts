// errno numbers to names and to typed operating errors. Owns: the translation of a failed
// syscall (from koffi, or from a Node fs call) into OpError('E_KERNEL', ..., {errno, syscall,
// device, member}).
// Invariants:
// - Names come from the running platform's table (os.constants.errno), so a number always
//   maps to the name the kernel means on this machine; an unknown number becomes "E<n>".
// - kernelError() never throws and always returns an OpError with code E_KERNEL.
import { constants as osConstants } from 'node:os';
import { OpError } from '../../daemon/src/common/errors.js';

const NAME_BY_NUMBER: ReadonlyMap<number, string> = new Map(
  Object.entries(osConstants.errno).map(([name, num]) => [num, name]),
);

/** Short explanations for the errnos md returns, used in messages. */
const DESCRIPTION: Readonly<Record<string, string>> = {
  EBUSY: 'device or resource busy',
  EROFS: 'read-only',
  ENODEV: 'no such device',
  EACCES: 'permission denied',
  ENOTTY: 'inappropriate ioctl for device',
  EINVAL: 'invalid argument',
  ENXIO: 'no such device or address',
  EPERM: 'operation not permitted',
  EEXIST: 'already exists',
  ENOENT: 'no such file or directory',
  EIO: 'input/output error',
  ENOSPC: 'no space left',
  EAGAIN: 'try again',
  EINTR: 'interrupted',
  EOVERFLOW: 'value too large',
  ENOMEM: 'out of memory',
  EBADF: 'bad file descriptor',
  ENOTBLK: 'block device required',
  ENOTDIR: 'not a directory',
};

export function errnoName(num: number): string {
  return NAME_BY_NUMBER.get(Math.abs(num)) ?? `E${Math.abs(num)}`;
}

export function errnoNumber(name: string): number | undefined {
  const table = osConstants.errno as Readonly<Record<string, number>>;
  return Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
}

export interface SyscallContext {
  /** "ioctl(STOP_ARRAY)", "open", "write(md/sync_action)" ... */
  syscall: string;
  /** The array ("md0") or file the call was about. */
  device: string;
  /** The member block device, for member operations. */
  member?: string;
}

/** The typed error for a failed call, from its errno name. */
export function kernelErrorByName(errno: string, ctx: SyscallContext): OpError {
  const what = DESCRIPTION[errno] ?? 'failed';
  const on = ctx.member === undefined ? ctx.device : `${ctx.device} ${ctx.member}`;
  const details: Record<string, unknown> = { errno, syscall: ctx.syscall, device: ctx.device };
  if (ctx.member !== undefined) details.member = ctx.member;
  return new OpError('E_KERNEL', `${ctx.syscall} on ${on}: ${errno} (${what})`, details);
}

/** The typed error for a failed call, from its errno number. */
export function kernelError(errno: number, ctx: SyscallContext): OpError {
  return kernelErrorByName(errnoName(errno), ctx);
}

/** The errno name carried by a Node system error (fs, child_process), or null if it has none. */
export function nodeErrnoName(err: unknown): string | null {
  if (typeof err !== 'object' || err === null) return null;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  const num = (err as { errno?: unknown }).errno;
  return typeof num === 'number' ? errnoName(num) : null;
}

/** Converts a Node system error into E_KERNEL; anything else (a bug) is rethrown as is. */
export function fromNodeError(err: unknown, ctx: SyscallContext): OpError {
  const name = nodeErrnoName(err);
  if (name === null) throw err;
  return kernelErrorByName(name, ctx);
}
