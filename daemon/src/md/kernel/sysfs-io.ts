// Reading and writing md's sysfs and proc files. Owns: the I/O discipline and its error mapping.
// Invariants:
// - Reads are synchronous: md's sysfs show functions and /proc/mdstat never wait for I/O or for
//   md's reconfig mutex (they take spinlocks at most), so a read cannot stall the event loop, and
//   a synchronous read is several times faster than a thread-pool round trip.
// - Writes are asynchronous (thread pool): md's store functions take the reconfig mutex and can
//   wait for superblock writes, which a failing disk can make slow.
// - A write is one write(2) of the whole value, as sysfs requires. Failures are OpError:
//   ENOENT -> the caller's notFound error; anything else -> E_KERNEL {errno, syscall, device, member?}.
import { readFileSync, readdirSync, promises as fsp, constants as fsConstants } from 'node:fs';
import { OpError } from '../../common/errors.js';
import { MD_SYSFS_MAX_READ_BYTES } from '../../common/limits.js';
import { fromNodeError, nodeErrnoName, type SyscallContext } from '../../../../native/src/errno.js';

/** File content without one final newline, or undefined when the file does not exist. */
export function readAttr(path: string, ctx: SyscallContext): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const name = nodeErrnoName(err);
    if (name === 'ENOENT' || name === 'ENOTDIR' || name === 'ENODEV') return undefined;
    throw fromNodeError(err, { ...ctx, syscall: `read(${ctx.syscall})` });
  }
  if (text.length > MD_SYSFS_MAX_READ_BYTES) {
    throw new OpError('E_TOO_LARGE', `${path} is larger than ${MD_SYSFS_MAX_READ_BYTES} bytes`, { path });
  }
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** Whole-file read for proc files (/proc/mdstat), bounded by `maxBytes`. */
export function readText(path: string, maxBytes: number, ctx: SyscallContext): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const name = nodeErrnoName(err);
    if (name === 'ENOENT' || name === 'ENOTDIR') return undefined;
    throw fromNodeError(err, { ...ctx, syscall: `read(${ctx.syscall})` });
  }
  if (text.length > maxBytes) throw new OpError('E_TOO_LARGE', `${path} is larger than ${maxBytes} bytes`, { path });
  return text;
}

/** Directory entries, or undefined when the directory does not exist. */
export function listDir(path: string, ctx: SyscallContext): string[] | undefined {
  try {
    return readdirSync(path);
  } catch (err) {
    const name = nodeErrnoName(err);
    if (name === 'ENOENT' || name === 'ENOTDIR' || name === 'ENODEV') return undefined;
    throw fromNodeError(err, { ...ctx, syscall: 'readdir' });
  }
}

/**
 * Writes `value` to a sysfs/proc file in one write(2). `notFound` is thrown when the file is
 * missing (the array or member went away).
 */
export async function writeAttr(path: string, value: string, ctx: SyscallContext, notFound: () => OpError): Promise<void> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, fsConstants.O_WRONLY | fsConstants.O_TRUNC); // as `echo >` does; O_TRUNC is a no-op on sysfs
  } catch (err) {
    if (nodeErrnoName(err) === 'ENOENT') throw notFound();
    throw fromNodeError(err, { ...ctx, syscall: `open(${ctx.syscall})` });
  }
  try {
    const data = Buffer.from(value, 'utf8');
    const { bytesWritten } = await handle.write(data, 0, data.length, null);
    if (bytesWritten !== data.length) {
      throw new OpError('E_KERNEL', `short write to ${path}`, { errno: 'EIO', syscall: `write(${ctx.syscall})`, device: ctx.device });
    }
  } catch (err) {
    if (err instanceof OpError) throw err;
    if (nodeErrnoName(err) === 'ENODEV') throw notFound();
    throw fromNodeError(err, { ...ctx, syscall: `write(${ctx.syscall})` });
  } finally {
    await handle.close().catch(() => undefined);
  }
}
