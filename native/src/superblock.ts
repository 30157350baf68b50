// Read-only md v1.x superblock reader: finds and parses the superblock of a component device.
// Owns: the I/O (where to read, O_DIRECT, aligned buffers); the format is superblock-format.ts.
// Invariants:
// - Never writes. Reads go through O_DIRECT into 4 KiB-aligned buffers, so they see the disk and
//   not a page cache that another node's writes have made stale (shared-storage clusters).
//   Where O_DIRECT is refused with EINVAL (tmpfs and some other file systems holding test
//   images) the read falls back to a normal buffered read.
// - All I/O runs on libuv's thread pool: a hung disk cannot block the event loop.
// - A device with no valid v1.x (readSuperblockV1) or 0.90 (readSuperblock090) superblock
//   rejects with E_NO_SUPERBLOCK; a missing path with
//   E_NO_SUCH_DEVICE; other I/O failures with E_KERNEL.
import { promises as fsp, constants as fsConstants } from 'node:fs';
import koffi from 'koffi';
import { OpError } from '../../daemon/src/common/errors.js';
import { fromNodeError, nodeErrnoName } from './errno.js';
import { deviceSizeBytes } from './blockdev.js';
import { parseSuperblockV1, superOffsetFor, SB_READ_BYTES, type SuperblockV1 } from './superblock-format.js';
import { parseSuperblock090, superblock090OffsetBytes } from './superblock090-format.js';
import type { DdfFacts, Superblock090Info } from '../../daemon/src/md/types.js';
import { readDdf } from './ddf-format.js';

const SECTOR_BYTES = 512;
const DIRECT_ALIGN_BYTES = 4096;

/** A buffer of `bytes` whose start is aligned for O_DIRECT. */
export function alignedBuffer(bytes: number): Buffer {
  const raw = Buffer.allocUnsafeSlow(bytes + DIRECT_ALIGN_BYTES);
  const misalign = Number(koffi.address(raw) % BigInt(DIRECT_ALIGN_BYTES));
  const skip = misalign === 0 ? 0 : DIRECT_ALIGN_BYTES - misalign;
  return raw.subarray(skip, skip + bytes).fill(0);
}

async function openForSuperblock(path: string): Promise<fsp.FileHandle> {
  const base = fsConstants.O_RDONLY; // libuv adds O_CLOEXEC itself
  try {
    return await fsp.open(path, base | fsConstants.O_DIRECT);
  } catch (err) {
    const name = nodeErrnoName(err);
    if (name === 'EINVAL') return openPlain(path, base); // file system without O_DIRECT
    throw mapOpenError(err, path);
  }
}

async function openPlain(path: string, flags: number): Promise<fsp.FileHandle> {
  try {
    return await fsp.open(path, flags);
  } catch (err) {
    throw mapOpenError(err, path);
  }
}

function mapOpenError(err: unknown, path: string): OpError {
  const name = nodeErrnoName(err);
  if (name === 'ENOENT' || name === 'ENOTDIR') return new OpError('E_NO_SUCH_DEVICE', `no such device: ${path}`, { member: path });
  return fromNodeError(err, { syscall: 'open', device: path });
}

async function readAt(handle: fsp.FileHandle, path: string, offsetBytes: number): Promise<Buffer | null> {
  const buf = alignedBuffer(SB_READ_BYTES);
  try {
    const { bytesRead } = await handle.read(buf, 0, SB_READ_BYTES, offsetBytes);
    return bytesRead === SB_READ_BYTES ? buf : null;
  } catch (err) {
    throw fromNodeError(err, { syscall: 'pread', device: path });
  }
}

export interface ReadSuperblockOptions {
  /** Read only this minor version's location (known from md/metadata_version); default: probe all three. */
  minor?: 0 | 1 | 2;
}

/**
 * Reads the v1.x superblock of `path`. When probing finds more than one valid superblock (a
 * stale one left by an earlier create), the most recently updated one wins.
 */
export async function readSuperblockV1(path: string, opts: ReadSuperblockOptions = {}): Promise<SuperblockV1> {
  const handle = await openForSuperblock(path);
  try {
    const minors: (0 | 1 | 2)[] = opts.minor === undefined ? [2, 1, 0] : [opts.minor];
    const deviceSectors = Math.floor((await deviceSizeBytes(handle.fd, path)) / SECTOR_BYTES);
    const found: SuperblockV1[] = [];
    const reasons: string[] = [];
    for (const minor of minors) {
      const superOffset = superOffsetFor(minor, deviceSectors);
      if (superOffset === null) { reasons.push(`1.${minor}: device too small`); continue; }
      const buf = await readAt(handle, path, superOffset * SECTOR_BYTES);
      if (buf === null) { reasons.push(`1.${minor}: short read`); continue; }
      const parsed = parseSuperblockV1(buf, minor, superOffset);
      if (parsed.ok) found.push(parsed.sb.raw ? { ...parsed.sb, raw: { ...parsed.sb.raw, deviceSectors } } : parsed.sb);
      else reasons.push(`1.${minor}: ${parsed.reason}`);
    }
    if (found.length === 0) {
      throw new OpError('E_NO_SUPERBLOCK', `no md v1.x superblock on ${path}`, { member: path, reasons });
    }
    return found.reduce((best, sb) => (sb.utimeSec > best.utimeSec ? sb : best));
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Reads the 0.90 superblock of `path` (at the end of the device). Disk device paths are left
 * null: naming major:minor is the caller's (it knows the system's /sys and /dev).
 */
export async function readSuperblock090(path: string): Promise<Superblock090Info> {
  const handle = await openForSuperblock(path);
  try {
    const deviceSectors = Math.floor((await deviceSizeBytes(handle.fd, path)) / SECTOR_BYTES);
    const offset = superblock090OffsetBytes(deviceSectors);
    if (offset === null) throw new OpError('E_NO_SUPERBLOCK', `no md 0.90 superblock on ${path}`, { member: path, reasons: ['device too small'] });
    const buf = await readAt(handle, path, offset);
    const parsed = buf === null ? { ok: false as const, reason: 'short read' } : parseSuperblock090(buf);
    if (!parsed.ok) throw new OpError('E_NO_SUPERBLOCK', `no md 0.90 superblock on ${path}`, { member: path, reasons: [parsed.reason] });
    return parsed.sb;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Reads the DDF metadata of `path` (anchor in the last sector); E_NO_SUPERBLOCK without a valid one. */
export async function readDdfFacts(path: string): Promise<DdfFacts> {
  const handle = await openForSuperblock(path);
  try {
    const deviceSectors = BigInt(Math.floor((await deviceSizeBytes(handle.fd, path)) / SECTOR_BYTES));
    const read = async (lba: bigint, count: number): Promise<Buffer | null> => {
      const bytes = count * SECTOR_BYTES;
      // O_DIRECT reads whole 4 KiB blocks: read the aligned block around the sectors.
      const start = (lba * BigInt(SECTOR_BYTES)) / BigInt(DIRECT_ALIGN_BYTES) * BigInt(DIRECT_ALIGN_BYTES);
      const skip = Number(lba * BigInt(SECTOR_BYTES) - start);
      const whole = alignedBuffer(Math.ceil((skip + bytes) / DIRECT_ALIGN_BYTES) * DIRECT_ALIGN_BYTES);
      try {
        const { bytesRead } = await handle.read(whole, 0, whole.length, Number(start));
        if (bytesRead < skip + bytes) return null;
      } catch (err) {
        throw fromNodeError(err, { syscall: 'pread', device: path });
      }
      return Buffer.from(whole.subarray(skip, skip + bytes));
    };
    const r = await readDdf(read, deviceSectors);
    if (!r.ok) throw new OpError('E_NO_SUPERBLOCK', `no DDF metadata on ${path}`, { member: path, reasons: [r.reason] });
    return r.value;
  } finally {
    await handle.close().catch(() => undefined);
  }
}
