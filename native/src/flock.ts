// flock(2) through koffi: the one OS-level advisory lock the daemon takes (its data directory).
// Owns: the binding and the errno mapping. Invariants: the lock belongs to the open file
// description, so the kernel drops it when the process dies in any way (kill -9 included) and
// nothing stale survives; the fd is opened by Node (O_CLOEXEC), so child processes (the fence
// command, mdadm) never inherit it; errno is read right after the call.
import koffi from 'koffi';
import { FLOCK_MAX_EINTR_RETRIES } from '../../daemon/src/common/limits.js';

const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = 11;
const EINTR = 4;

let flockFn: ((fd: number, op: number) => number) | null = null;

function bind(): (fd: number, op: number) => number {
  flockFn ??= koffi.load('libc.so.6').func('int flock(int fd, int operation)') as (fd: number, op: number) => number;
  return flockFn;
}

/** Takes an exclusive lock on `fd` without waiting: 'locked', 'held-elsewhere', or the errno number. */
export function tryLockExclusive(fd: number): 'locked' | 'held-elsewhere' | number {
  const flock = bind();
  for (let i = 0; i <= FLOCK_MAX_EINTR_RETRIES; i++) {
    if (flock(fd, LOCK_EX | LOCK_NB) === 0) return 'locked';
    const errno = koffi.errno();
    if (errno === EWOULDBLOCK) return 'held-elsewhere';
    if (errno !== EINTR) return errno;
  }
  return EINTR;
}
