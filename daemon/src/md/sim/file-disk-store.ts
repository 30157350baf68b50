// A directory of simulated disks shared by several driver instances (one per node process),
// like hosts on shared storage. Layout: <dir>/disks/<diskId>.json (one record per disk, with
// its superblock) and an optional <dir>/paths.json (shared path -> disk id map).
// Owns: the file format of a simulated disk and its atomic replacement.
// Invariants:
// - Every write goes to a temporary file in the same directory and is renamed over the
//   record, so a reader in another process sees the old or the new record, never a mix.
// - Files come from outside: an unreadable or malformed record raises E_SIM_DISK_INVALID; a
//   well-formed record whose superblock fails validation reads as "no superblock".
// - I/O is synchronous on purpose: the simulated kernel changes state atomically inside one
//   call or timer callback, which keeps it deterministic (records are a few hundred bytes).
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { OpError } from '../../common/errors.js';
import { SIM_MD_MAX_DISK_FILE_BYTES, SIM_MD_MAX_DISKS } from '../../common/limits.js';
import type { Logger } from '../../log/logger.js';
import { silentLogger } from '../../log/logger.js';
import type { DiskStore, NewDiskSpec, PathMap, SimDiskRecord } from './disk-store.js';
import { DISK_ID_PATTERN, newDiskRecord, resolveWith } from './disk-store.js';
import type { SimSuperblock } from './superblock.js';
import { superblockSchema } from './superblock.js';

const DISK_FORMAT = 'mdclusterd-sim-disk';

const diskFileSchema = z.object({
  format: z.literal(DISK_FORMAT),
  version: z.literal(1),
  diskId: z.string().regex(DISK_ID_PATTERN),
  kernelName: z.string().regex(DISK_ID_PATTERN),
  major: z.number().int().min(0).max((1 << 20) - 1),
  minor: z.number().int().min(0).max((1 << 20) - 1),
  sizeSectors: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  superblock: z.unknown(),
});

const pathMapSchema = z.record(z.string(), z.string().regex(DISK_ID_PATTERN));

let tmpSeq = 0;

export interface FileDiskStoreOptions {
  /** This node's own path map; when given, it alone decides which paths this node sees. */
  nodeMap?: PathMap;
  logger?: Logger;
}

export class FileDiskStore implements DiskStore {
  private readonly disksDir: string;
  private readonly nodeMap: PathMap | null;
  private readonly logger: Logger;

  constructor(readonly dir: string, opts: FileDiskStoreOptions = {}) {
    this.disksDir = join(dir, 'disks');
    mkdirSync(this.disksDir, { recursive: true });
    this.nodeMap = opts.nodeMap ?? null;
    this.logger = opts.logger ?? silentLogger;
  }

  resolve(path: string): string | null {
    return resolveWith(path, this.nodeMap, this.sharedMap(), (id) => this.exists(id));
  }

  read(diskId: string): SimDiskRecord | null {
    if (!DISK_ID_PATTERN.test(diskId)) return null;
    const text = this.readBounded(this.fileOf(diskId));
    if (text === null) return null;
    return this.parseRecord(diskId, text);
  }

  writeSuperblock(diskId: string, sb: SimSuperblock | null): void {
    const rec = this.read(diskId);
    if (rec === null) throw new OpError('E_NO_SUCH_DEVICE', `simulated disk ${diskId} is gone`, { diskId });
    this.writeRecord({ ...rec, superblock: sb });
  }

  createDisk(spec: NewDiskSpec, replace = false): SimDiskRecord {
    if (this.exists(spec.diskId) && !replace) {
      throw new OpError('E_DEVICE_BUSY', `simulated disk ${spec.diskId} exists`, { diskId: spec.diskId });
    }
    const rec = newDiskRecord(spec, this.listDiskIds().length);
    this.writeRecord(rec);
    return rec;
  }

  listDiskIds(): string[] {
    const ids: string[] = [];
    for (const name of readdirSync(this.disksDir)) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -'.json'.length);
      if (DISK_ID_PATTERN.test(id)) ids.push(id);
      if (ids.length > SIM_MD_MAX_DISKS) throw new OpError('E_TOO_LARGE', 'too many simulated disks', { dir: this.dir });
    }
    return ids.sort();
  }

  /** Replaces <dir>/paths.json (the shared path map) atomically. */
  writeSharedMap(map: PathMap): void {
    this.atomicWrite(join(this.dir, 'paths.json'), JSON.stringify(map, null, 2));
  }

  private exists(diskId: string): boolean {
    return DISK_ID_PATTERN.test(diskId) && this.readBounded(this.fileOf(diskId)) !== null;
  }

  private fileOf(diskId: string): string {
    return join(this.disksDir, `${diskId}.json`);
  }

  private sharedMap(): PathMap | null {
    const text = this.readBounded(join(this.dir, 'paths.json'));
    if (text === null) return null;
    const parsed = pathMapSchema.safeParse(safeJson(text));
    if (!parsed.success) {
      throw new OpError('E_SIM_DISK_INVALID', 'paths.json is not a map of path -> disk id', { dir: this.dir });
    }
    return parsed.data;
  }

  /** File text, or null when it does not exist. */
  private readBounded(file: string): string | null {
    let size: number;
    try {
      size = statSync(file).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new OpError('E_SIM_DISK_INVALID', `cannot stat ${file}`, { file, cause: String(e) });
    }
    if (size > SIM_MD_MAX_DISK_FILE_BYTES) {
      throw new OpError('E_SIM_DISK_INVALID', `${file} is too large`, { file, size, limit: SIM_MD_MAX_DISK_FILE_BYTES });
    }
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new OpError('E_SIM_DISK_INVALID', `cannot read ${file}`, { file, cause: String(e) });
    }
  }

  private parseRecord(diskId: string, text: string): SimDiskRecord {
    const parsed = diskFileSchema.safeParse(safeJson(text));
    if (!parsed.success || parsed.data.diskId !== diskId) {
      throw new OpError('E_SIM_DISK_INVALID', `malformed simulated disk file for ${diskId}`, { diskId });
    }
    const d = parsed.data;
    let superblock: SimSuperblock | null = null;
    if (d.superblock !== null) {
      const sb = superblockSchema.safeParse(d.superblock);
      if (sb.success) superblock = sb.data;
      else this.logger.warn('simulated disk has an invalid superblock; reading it as none', { diskId });
    }
    return { diskId: d.diskId, kernelName: d.kernelName, major: d.major, minor: d.minor, sizeSectors: d.sizeSectors, superblock };
  }

  private writeRecord(rec: SimDiskRecord): void {
    const body = { format: DISK_FORMAT, version: 1, ...rec };
    this.atomicWrite(this.fileOf(rec.diskId), JSON.stringify(body, null, 2));
  }

  private atomicWrite(file: string, text: string): void {
    const tmp = `${file}.tmp-${process.pid}-${tmpSeq++}`;
    try {
      writeFileSync(tmp, text);
      renameSync(tmp, file);
    } catch (e) {
      throw new OpError('E_KERNEL', `simulated disk write failed: ${file}`, { errno: 'EIO', syscall: 'write', file, cause: String(e) });
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
