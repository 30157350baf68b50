// The libc calls the project makes through koffi: ioctl (sync and async), eventfd, and the
// fd open/close helpers around them. Owns: the koffi bindings and the errno capture.
// Invariants:
// - errno is read with koffi.errno() immediately after the call that failed (sync), or inside
//   the completion callback of an async call (koffi restores the worker thread's errno there).
// - Sync ioctls use the variadic prototype `int ioctl(int, unsigned long, ...)` with explicit
//   argument types: a struct goes as 'void *' (a Buffer the kernel fills in place), a dev_t goes
//   BY VALUE as 'unsigned long' (SET_DISK_FAULTY, HOT_REMOVE_DISK, HOT_ADD_DISK).
// - koffi cannot call a variadic function asynchronously, so calls that may block (state changes
//   that take md's reconfig mutex or wait for I/O) use fixed three-argument prototypes of the
//   same symbol. On x86-64 and aarch64 Linux an integer/pointer argument is passed the same way
//   to a variadic and a fixed-argument function, so both reach glibc's ioctl identically.
//   Async calls run on libuv's thread pool and never block the event loop.
// - Only sync calls that cannot block (md's lockless GET_* ioctls, BLKGETSIZE64) are made on
//   the calling thread.
// - open/close go through Node's fs (thread pool, O_CLOEXEC added by libuv); poll(2) is bound
//   inside the poll worker thread (poll-loop.ts, started by poll-worker.ts), the only place that calls it; major:minor
//   come from fs.stat's rdev (blockdev.ts).
import { promises as fsp, constants as fsConstants } from 'node:fs';
import koffi from 'koffi';
import { kernelError, fromNodeError, type SyscallContext } from './errno.js';

const libc = koffi.load('libc.so.6');

const ioctlVariadic = libc.func('int ioctl(int fd, unsigned long request, ...)');
const ioctlFixedPtr = libc.func('ioctl', 'int', ['int', 'unsigned long', 'void *']);
const ioctlFixedVal = libc.func('ioctl', 'int', ['int', 'unsigned long', 'unsigned long']);
const eventfdFn = libc.func('int eventfd(unsigned int initval, int flags)');

/** An ioctl argument: a struct buffer (passed by pointer) or an integer such as a dev_t (by value). */
export type IoctlArg = Buffer | number;

function variadicArgs(arg: IoctlArg): [string, IoctlArg] {
  return Buffer.isBuffer(arg) ? ['void *', arg] : ['unsigned long', arg];
}

/** A non-blocking ioctl on the calling thread; throws OpError(E_KERNEL) on failure. */
export function ioctlSync(fd: number, request: number, arg: IoctlArg, ctx: SyscallContext): void {
  const [type, value] = variadicArgs(arg);
  const rc = ioctlVariadic(fd, request, type, value) as number;
  if (rc < 0) throw kernelError(koffi.errno(), ctx);
}

/** Like ioctlSync but returns the errno (0 on success) instead of throwing. */
export function ioctlSyncErrno(fd: number, request: number, arg: IoctlArg): number {
  const [type, value] = variadicArgs(arg);
  const rc = ioctlVariadic(fd, request, type, value) as number;
  return rc < 0 ? koffi.errno() || 1 : 0;
}

/** An ioctl on libuv's thread pool, for calls that may block; rejects with OpError(E_KERNEL). */
export function ioctlAsync(fd: number, request: number, arg: IoctlArg, ctx: SyscallContext): Promise<void> {
  const fn = Buffer.isBuffer(arg) ? ioctlFixedPtr : ioctlFixedVal;
  return new Promise((resolve, reject) => {
    fn.async(fd, request, arg, (err: unknown, rc: number) => {
      if (err) { reject(err); return; }
      if (rc < 0) { reject(kernelError(koffi.errno(), ctx)); return; }
      resolve();
    });
  });
}

export const EFD_CLOEXEC = 0o2000000;
export const EFD_NONBLOCK = 0o4000;

/** A non-blocking close-on-exec eventfd (used to wake a thread blocked in poll). */
export function eventfd(ctx: SyscallContext): number {
  const fd = eventfdFn(0, EFD_CLOEXEC | EFD_NONBLOCK) as number;
  if (fd < 0) throw kernelError(koffi.errno(), ctx);
  return fd;
}

/** An fd opened on the thread pool; close() releases it on the thread pool too. */
export interface OpenFd {
  readonly fd: number;
  close(): Promise<void>;
}

/** Opens a path read-only on the thread pool (an md open can wait for md's open mutex). */
export async function openReadOnly(path: string, ctx: SyscallContext, extraFlags = 0): Promise<OpenFd> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, fsConstants.O_RDONLY | extraFlags);
  } catch (err) {
    throw fromNodeError(err, { ...ctx, syscall: 'open' });
  }
  // The last close of a block device flushes it, so it goes to the thread pool as well.
  return { fd: handle.fd, close: () => handle.close().catch(() => undefined) };
}
