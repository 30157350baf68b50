// Filesystem primitives for storage, every one mapping failure to OpError('E_STORAGE_IO').
// Owns: atomic file replacement (temp file, fsync, rename, directory fsync) and directory
// fsync. Invariants: after writeFileAtomic resolves, the file holds exactly `bytes` durably
// and no reader ever sees a partial file under `name`; a crash leaves either the old file or
// the new one, plus possibly a `<name>.tmp` that readers ignore.
import { mkdir, open, readdir, readFile, rename, stat, truncate, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { OpError } from '../common/errors.js';

export const TMP_SUFFIX = '.tmp';

/** Wraps a failed filesystem call in OpError('E_STORAGE_IO') naming the operation and path. */
export function ioError(op: string, path: string, err: unknown): OpError {
  const e = err as NodeJS.ErrnoException;
  const detail = typeof e?.message === 'string' ? e.message : String(err);
  return new OpError('E_STORAGE_IO', `${op} ${path}: ${detail}`, { op, path, errno: e?.code ?? null });
}

/** Runs one filesystem call, mapping a rejection to E_STORAGE_IO. */
export async function io<T>(op: string, path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof OpError) throw err;
    throw ioError(op, path, err);
  }
}

/** fsyncs a directory so that creations, renames and unlinks in it are durable. */
export async function fsyncDir(dir: string): Promise<void> {
  await io('fsync directory', dir, async () => {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  });
}

/** Writes all of `bytes` to `path` (created or truncated) and fsyncs it. */
export async function writeFileSynced(path: string, bytes: Uint8Array): Promise<void> {
  await io('write', path, async () => {
    const fh = await open(path, 'w');
    try {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, done);
        done += bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
  });
}

/** Replaces dir/name atomically and durably with `bytes`. */
export async function writeFileAtomic(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const finalPath = join(dir, name);
  const tmpPath = finalPath + TMP_SUFFIX;
  await writeFileSynced(tmpPath, bytes);
  await io('rename', tmpPath, () => rename(tmpPath, finalPath));
  await fsyncDir(dir);
}

/** Creates `dir` (and missing parents) durably: the new entry's parent is fsynced. */
export async function ensureDir(dir: string): Promise<void> {
  const created = await io('mkdir', dir, () => mkdir(dir, { recursive: true }));
  if (created === undefined) return;
  // Every level from `dir` up to the first created one gets its new entry made durable.
  for (let d = resolve(dir); ; d = dirname(d)) {
    await fsyncDir(dirname(d));
    if (d === resolve(created) || dirname(d) === d) break;
  }
}

export async function listDir(dir: string): Promise<string[]> {
  return io('readdir', dir, () => readdir(dir));
}

/** Reads a file that must not exceed maxBytes; a larger one is E_STORAGE_CORRUPT. */
export async function readBounded(path: string, maxBytes: number): Promise<Uint8Array> {
  const st = await io('stat', path, () => stat(path));
  if (st.size > maxBytes) {
    throw new OpError('E_STORAGE_CORRUPT', `${path}: file size ${st.size} exceeds the limit ${maxBytes}`, { path, offsetBytes: maxBytes, reason: 'file too large' });
  }
  return readWholeFile(path);
}

export async function readWholeFile(path: string): Promise<Uint8Array> {
  const b = await io('read', path, () => readFile(path));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Removes a file; a file that is already gone is not an error. */
export async function removeFile(path: string): Promise<void> {
  await io('unlink', path, async () => {
    try {
      await unlink(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  });
}

/** Cuts a file to `lengthBytes` and makes the new length durable. */
export async function truncateSynced(path: string, lengthBytes: number): Promise<void> {
  await io('truncate', path, async () => {
    await truncate(path, lengthBytes);
    const fh = await open(path, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  });
}
