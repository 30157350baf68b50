// The shared simulated disks: the DiskStore contract and its in-memory implementation.
// Owns: what a simulated component is (size, kernel name, device numbers, superblock) and how a
// node's component paths ("/dev/vdb", "/dev/disk/by-id/...") map onto disks.
// Invariants:
// - Several driver instances (simulated hosts) may share one store, like hosts on shared disks:
//   every superblock write replaces the whole record at once (no torn records).
// - Readers never get a reference into the store's own state (records are copied), so one
//   host's in-memory kernel can never change another host's view except through a write.
// - A path resolves through the node's path map when one is given, else through the store's
//   shared map, else "/dev/<diskId>" names disk <diskId>.
import { OpError } from '../../common/errors.js';
import { SIM_MD_MAX_DISKS } from '../../common/limits.js';
import type { SimSuperblock } from './superblock.js';

/** Disk ids and kernel names: a safe file-name component. */
export const DISK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** Component paths a node may use: absolute, no "..", printable. */
const PATH_PATTERN = /^\/[A-Za-z0-9_.:+@/-]{1,254}$/;

export interface SimDiskRecord {
  diskId: string;
  /** The kernel's name for the block device (sysfs dev-<name>), e.g. "vdb". */
  kernelName: string;
  major: number;
  minor: number;
  /** Whole-device size in 512-byte sectors. Invariant: positive safe integer. */
  sizeSectors: number;
  /** null when the device carries no (valid) md superblock. */
  superblock: SimSuperblock | null;
}

export interface NewDiskSpec {
  diskId: string;
  sizeSectors: number;
  kernelName?: string;
  major?: number;
  minor?: number;
}

/** Path -> disk id, as one node (or every node) sees the shared disks. */
export type PathMap = Readonly<Record<string, string>>;

export interface DiskStore {
  /** The disk a component path names on this node, or null when this node has no such device. */
  resolve(path: string): string | null;
  /** A copy of the disk's record, or null when it does not exist. */
  read(diskId: string): SimDiskRecord | null;
  /** Replaces the disk's superblock atomically (null zeroes it). Throws if the disk is gone. */
  writeSuperblock(diskId: string, sb: SimSuperblock | null): void;
  /** Creates a blank disk; E_DEVICE_BUSY if it exists and `replace` is not set. */
  createDisk(spec: NewDiskSpec, replace?: boolean): SimDiskRecord;
  listDiskIds(): string[];
}

export function isValidComponentPath(path: unknown): path is string {
  return typeof path === 'string' && PATH_PATTERN.test(path) && !path.split('/').includes('..');
}

/** Validates a new disk spec and fills the defaults; `existing` is the current disk count. */
export function newDiskRecord(spec: NewDiskSpec, existing: number): SimDiskRecord {
  const kernelName = spec.kernelName ?? spec.diskId;
  if (!DISK_ID_PATTERN.test(spec.diskId) || !DISK_ID_PATTERN.test(kernelName)) {
    throw new OpError('E_INVALID_ARGUMENT', `invalid disk id or kernel name: ${JSON.stringify(spec.diskId)}`);
  }
  if (!Number.isSafeInteger(spec.sizeSectors) || spec.sizeSectors <= 0) {
    throw new OpError('E_INVALID_ARGUMENT', `invalid disk size: ${spec.sizeSectors}`, { diskId: spec.diskId });
  }
  if (existing >= SIM_MD_MAX_DISKS) throw new OpError('E_TOO_LARGE', 'too many simulated disks', { limit: SIM_MD_MAX_DISKS });
  const major = spec.major ?? 254;
  const minor = spec.minor ?? existing * 16;
  if (!isDeviceNumber(major) || !isDeviceNumber(minor)) {
    throw new OpError('E_INVALID_ARGUMENT', 'invalid device numbers', { major, minor });
  }
  return { diskId: spec.diskId, kernelName, major, minor, sizeSectors: spec.sizeSectors, superblock: null };
}

function isDeviceNumber(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0 && n < 1 << 20;
}

/** Resolution shared by the stores: node map, else shared map, else /dev/<diskId>. */
export function resolveWith(path: string, nodeMap: PathMap | null, sharedMap: PathMap | null, exists: (id: string) => boolean): string | null {
  if (!isValidComponentPath(path)) return null;
  const map = nodeMap ?? sharedMap;
  if (map !== null) {
    const id = Object.prototype.hasOwnProperty.call(map, path) ? map[path] : undefined;
    return id !== undefined && exists(id) ? id : null;
  }
  const m = /^\/dev\/([^/]+)$/.exec(path);
  return m !== null && DISK_ID_PATTERN.test(m[1]) && exists(m[1]) ? m[1] : null;
}

function copyRecord(r: SimDiskRecord): SimDiskRecord {
  return { ...r, superblock: r.superblock === null ? null : { ...r.superblock, devRoles: [...r.superblock.devRoles] } };
}

/** The disks themselves, shared by every MemoryDiskStore view over them (one per host). */
export class MemoryDisks {
  readonly records = new Map<string, SimDiskRecord>();
  /** The shared path map (like <dir>/paths.json); null means "/dev/<diskId>". */
  sharedMap: PathMap | null = null;
}

/** One host's view of in-memory shared disks. */
export class MemoryDiskStore implements DiskStore {
  constructor(private readonly disks: MemoryDisks, private readonly nodeMap: PathMap | null = null) {}

  resolve(path: string): string | null {
    return resolveWith(path, this.nodeMap, this.disks.sharedMap, (id) => this.disks.records.has(id));
  }

  read(diskId: string): SimDiskRecord | null {
    const r = this.disks.records.get(diskId);
    return r === undefined ? null : copyRecord(r);
  }

  writeSuperblock(diskId: string, sb: SimSuperblock | null): void {
    const r = this.disks.records.get(diskId);
    if (r === undefined) throw new OpError('E_NO_SUCH_DEVICE', `simulated disk ${diskId} is gone`, { diskId });
    this.disks.records.set(diskId, copyRecord({ ...r, superblock: sb }));
  }

  createDisk(spec: NewDiskSpec, replace = false): SimDiskRecord {
    if (this.disks.records.has(spec.diskId) && !replace) {
      throw new OpError('E_DEVICE_BUSY', `simulated disk ${spec.diskId} exists`, { diskId: spec.diskId });
    }
    const rec = newDiskRecord(spec, this.disks.records.size);
    this.disks.records.set(rec.diskId, rec);
    return copyRecord(rec);
  }

  listDiskIds(): string[] {
    return [...this.disks.records.keys()].sort();
  }
}
