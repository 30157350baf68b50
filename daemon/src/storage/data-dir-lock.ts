// One daemon per data directory: an exclusive flock(2) on <data-dir>/mdclusterd.lock, which
// also names the holder's pid for the message a second daemon prints.
// Owns: taking, describing and releasing that lock.
// Invariants:
// - While lockDataDir's result is unreleased, no other process holds the lock; a second
//   lockDataDir on the same directory (from any process) throws OpError('E_DATA_DIR_LOCKED')
//   naming the holder's pid, without touching the file's contents.
// - The lock is the kernel's, tied to the open file: a daemon killed with kill -9 leaves no
//   stale lock (the pid in the file may be stale; it is only ever printed, never trusted).
// - The file is never unlinked: unlinking a lock file while another process waits on the old
//   inode would let two processes "hold" different files of the same name.
import { closeSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tryLockExclusive } from '../../../native/src/flock.js';
import { OpError } from '../common/errors.js';
import { DATA_DIR_LOCK_MAX_BYTES } from '../common/limits.js';

export const DATA_DIR_LOCK_FILE = 'mdclusterd.lock';

export interface DataDirLock {
  readonly path: string;
  /** Drops the lock (closing the file). Idempotent. */
  release(): void;
}

/** Locks `dataDir` (which must exist) for this process. Throws OpError('E_DATA_DIR_LOCKED' | 'E_STORAGE_IO'). */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, DATA_DIR_LOCK_FILE);
  let fd: number;
  try {
    fd = openSync(path, 'a+', 0o600);
  } catch (e) {
    throw new OpError('E_STORAGE_IO', `${path}: cannot open the data directory lock: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { path });
  }
  const r = tryLockExclusive(fd);
  if (r !== 'locked') {
    const holder = r === 'held-elsewhere' ? readHolder(fd) : null;
    closeSync(fd);
    if (r === 'held-elsewhere') {
      const who = holder === null ? 'another process' : `another mdclusterd (pid ${holder})`;
      throw new OpError('E_DATA_DIR_LOCKED', `${dataDir} is in use by ${who}: one daemon per data directory (lock ${path})`, { path, holderPid: holder });
    }
    throw new OpError('E_STORAGE_IO', `${path}: cannot lock the data directory: errno ${r}`, { path, errno: r });
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`);
  let open = true;
  return {
    path,
    release: () => {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}

function readHolder(fd: number): number | null {
  const buf = Buffer.alloc(DATA_DIR_LOCK_MAX_BYTES);
  let n = 0;
  try { n = readSync(fd, buf, 0, buf.length, 0); } catch { return null; }
  const m = /^([0-9]{1,10})\n/.exec(buf.toString('utf8', 0, n));
  return m ? Number(m[1]) : null;
}
