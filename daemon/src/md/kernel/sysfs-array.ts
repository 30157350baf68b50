// One array's raw sysfs view, read in one synchronous pass: /sys/block/mdX/md/* (the attributes
// the driver uses), md/bitmap/*, every md/dev-X/*, and /sys/block/mdX/size. Owns: which files
// are read and the member directory scan; parsing is sysfs-parse.ts.
// Invariants:
// - Missing array directory -> OpError('E_NO_SUCH_ARRAY'); a member directory that vanishes in
//   the middle of the scan (removed concurrently) is skipped, not an error.
// - At most MD_KERNEL_MAX_DEVICES_PER_ARRAY member directories are read.
import { OpError } from '../../common/errors.js';
import { MD_KERNEL_MAX_DEVICES_PER_ARRAY } from '../../common/limits.js';
import type { AttrMap } from './sysfs-parse.js';
import { memberNameFromDir } from './sysfs-parse.js';
import { listDir, readAttr } from './sysfs-io.js';
import type { AttrReader } from './attr-cache.js';
import { blockDir, mdDir, type KernelPaths } from './paths.js';

/** Array attributes read from md/ (relative names). */
export const ARRAY_ATTRS = [
  'array_state', 'level', 'raid_disks', 'layout', 'chunk_size', 'component_size', 'metadata_version', 'degraded',
  'sync_action', 'last_sync_action', 'sync_completed', 'sync_speed', 'resync_start', 'sync_min', 'sync_max',
  'consistency_policy', 'mismatch_cnt', 'uuid', 'reshape_position', 'reshape_direction', 'bitmap/location', 'bitmap/chunksize',
] as const;

/** Member attributes read from md/dev-X/ (relative names). */
export const MEMBER_ATTRS = ['state', 'slot', 'errors', 'offset', 'size', 'recovery_start', 'block/dev'] as const;

export interface RawMember {
  /** Kernel name from the dev-X directory ("vdb"). */
  name: string;
  attrs: AttrMap;
}

export interface RawArray {
  device: string;
  attrs: AttrMap;
  /** /sys/block/mdX/size in 512-byte sectors (the array's capacity), undefined if unreadable. */
  sizeSectors: string | undefined;
  members: RawMember[];
}

/** What readRawArray reads; the watcher's light snapshot needs only a few files. */
export interface AttrSelection {
  array: readonly string[];
  member: readonly string[];
  /** Whether to read /sys/block/mdX/size. */
  size: boolean;
}

export const FULL_SELECTION: AttrSelection = { array: ARRAY_ATTRS, member: MEMBER_ATTRS, size: true };

export function readRawArray(paths: KernelPaths, device: string, sel: AttrSelection = FULL_SELECTION, read: AttrReader = readAttr): RawArray {
  const dir = mdDir(paths, device);
  const ctx = { syscall: 'md', device };
  const entries = listDir(dir, ctx);
  if (entries === undefined) throw new OpError('E_NO_SUCH_ARRAY', `no such array: ${device}`, { device });
  const attrs: Record<string, string | undefined> = {};
  for (const name of sel.array) attrs[name] = read(`${dir}/${name}`, { syscall: `md/${name}`, device });
  const members: RawMember[] = [];
  for (const entry of entries.sort()) {
    const name = memberNameFromDir(entry);
    if (name === null) continue;
    if (members.length >= MD_KERNEL_MAX_DEVICES_PER_ARRAY) break;
    const member = readRawMember(dir, entry, name, device, sel.member, read);
    if (member !== null) members.push(member);
  }
  const sizeSectors = sel.size ? readAttr(`${blockDir(paths, device)}/size`, { syscall: 'size', device }) : undefined;
  return { device, attrs, sizeSectors, members };
}

function readRawMember(dir: string, entry: string, name: string, device: string, names: readonly string[], read: AttrReader): RawMember | null {
  const attrs: Record<string, string | undefined> = {};
  for (const attr of names) {
    attrs[attr] = read(`${dir}/${entry}/${attr}`, { syscall: `md/${entry}/${attr}`, device, member: name });
  }
  // A member removed while we read it loses its whole directory: skip it.
  return attrs.state === undefined ? null : { name, attrs };
}
