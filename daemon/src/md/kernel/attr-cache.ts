// A reader of sysfs attributes that keeps their files open and re-reads them with one pread(2)
// each, for the watcher's hot path (open+fstat+read+close per attribute is several times
// slower, which matters in event latency). Owns: the cached descriptors.
// Invariants:
// - Same contract as sysfs-io.ts readAttr(): content without one final newline, or undefined
//   when the attribute does not exist; other errors are OpError(E_KERNEL).
// - A cached descriptor whose sysfs node was removed (pread fails with ENODEV/ENOENT) is closed
//   and the path reopened once, so a re-created node (dev-X of a re-added member) is read fresh.
// - At most MD_WATCH_MAX_FILES descriptors are cached; past that, reads fall back to readAttr.
// - close() releases every descriptor; reads after close() fall back to readAttr.
import { closeSync, openSync, readSync, constants as fsConstants } from 'node:fs';
import { OpError } from '../../common/errors.js';
import { MD_SYSFS_MAX_READ_BYTES, MD_WATCH_MAX_FILES } from '../../common/limits.js';
import { fromNodeError, nodeErrnoName, type SyscallContext } from '../../../../native/src/errno.js';
import { readAttr } from './sysfs-io.js';

const GONE = new Set(['ENOENT', 'ENOTDIR', 'ENODEV']);

export type AttrReader = (path: string, ctx: SyscallContext) => string | undefined;

export class AttrCache {
  /** Invariant: every fd here is open and owned by this cache; size <= MD_WATCH_MAX_FILES. */
  private readonly fds = new Map<string, number>();
  private readonly buf = Buffer.alloc(MD_SYSFS_MAX_READ_BYTES + 1);
  private closed = false;

  /** Bound for passing as an AttrReader. */
  readonly read: AttrReader = (path, ctx) => this.readPath(path, ctx, true);

  private readPath(path: string, ctx: SyscallContext, retry: boolean): string | undefined {
    if (this.closed) return readAttr(path, ctx);
    let fd = this.fds.get(path);
    if (fd === undefined) {
      if (this.fds.size >= MD_WATCH_MAX_FILES) return readAttr(path, ctx);
      try {
        fd = openSync(path, fsConstants.O_RDONLY);
      } catch (err) {
        if (GONE.has(nodeErrnoName(err) ?? '')) return undefined;
        throw fromNodeError(err, { ...ctx, syscall: `open(${ctx.syscall})` });
      }
      this.fds.set(path, fd);
    }
    let n: number;
    try {
      n = readSync(fd, this.buf, 0, this.buf.length, 0);
    } catch (err) {
      this.drop(path);
      if (retry && GONE.has(nodeErrnoName(err) ?? '')) return this.readPath(path, ctx, false);
      if (GONE.has(nodeErrnoName(err) ?? '')) return undefined;
      throw fromNodeError(err, { ...ctx, syscall: `read(${ctx.syscall})` });
    }
    if (n > MD_SYSFS_MAX_READ_BYTES) throw new OpError('E_TOO_LARGE', `${path} is larger than ${MD_SYSFS_MAX_READ_BYTES} bytes`, { path });
    const text = this.buf.toString('utf8', 0, n);
    return text.endsWith('\n') ? text.slice(0, -1) : text;
  }

  private drop(path: string): void {
    const fd = this.fds.get(path);
    this.fds.delete(path);
    if (fd !== undefined) closeSync(fd);
  }

  /** Closes the descriptors of paths not in `keep` (files of arrays/members that are gone). */
  retain(keep: (path: string) => boolean): void {
    for (const path of [...this.fds.keys()]) if (!keep(path)) this.drop(path);
  }

  close(): void {
    this.closed = true;
    for (const path of [...this.fds.keys()]) this.drop(path);
  }
}
