// The watcher's light snapshot of one array: only what the event diff needs, from sysfs alone
// (no ioctl, no superblock I/O), so that a notification turns into a typed event in one fast,
// synchronous pass. Owns: RawArray -> ArraySnapshot.
// Invariants:
// - Pure apart from readLightSnapshots(), which does the synchronous sysfs reads.
// - An array that disappears between listing and reading is simply absent from the result.
import { OpError } from '../../common/errors.js';
import type { ArraySnapshot, MemberSnapshot } from './events-diff.js';
import { readRawArray, type AttrSelection, type RawArray, type RawMember } from './sysfs-array.js';
import {
  parseArrayState, parseCount, parseMemberState, parseSlot, parseSyncAction, parseSyncCompleted,
} from './sysfs-parse.js';
import type { KernelPaths } from './paths.js';
import { readAttr } from './sysfs-io.js';
import type { AttrReader } from './attr-cache.js';

/** The files a light snapshot reads: 4 per array and 2 per member. */
export const LIGHT_SELECTION: AttrSelection = {
  array: ['array_state', 'degraded', 'sync_action', 'sync_completed'],
  member: ['state', 'slot'],
  size: false,
};

/** /dev path of a member from its kernel name (sysfs writes '/' in names as '!'). */
export function memberDevPath(paths: KernelPaths, kernelName: string): string {
  return `${paths.devRoot}/${kernelName.replace(/!/g, '/')}`;
}

function memberSnapshot(paths: KernelPaths, m: RawMember): MemberSnapshot {
  return {
    name: m.name,
    devPath: memberDevPath(paths, m.name),
    flags: parseMemberState(m.attrs.state),
    slot: parseSlot(m.attrs.slot),
  };
}

export function snapshotFromRaw(paths: KernelPaths, raw: RawArray): ArraySnapshot {
  const completed = parseSyncCompleted(raw.attrs.sync_completed);
  return {
    device: raw.device,
    arrayState: parseArrayState(raw.attrs.array_state),
    degraded: raw.attrs.degraded === undefined ? 0 : parseCount('degraded', raw.attrs.degraded),
    syncAction: parseSyncAction(raw.attrs.sync_action),
    syncProgress: completed.kind === 'progress' ? completed.progress : null,
    members: raw.members.map((m) => memberSnapshot(paths, m)),
  };
}

/** Light snapshots of `devices`; arrays gone by the time they are read are left out. */
export function readLightSnapshots(paths: KernelPaths, devices: readonly string[], read: AttrReader = readAttr): Map<string, ArraySnapshot> {
  const out = new Map<string, ArraySnapshot>();
  for (const device of devices) {
    try {
      out.set(device, snapshotFromRaw(paths, readRawArray(paths, device, LIGHT_SELECTION, read)));
    } catch (err) {
      if (err instanceof OpError && err.code === 'E_NO_SUCH_ARRAY') continue;
      throw err;
    }
  }
  return out;
}
