// The watcher's fast path: apply the contents of notified files (as the poll worker re-read them
// right after md's notification) to the current light snapshots, without reading sysfs again.
// Pure. Owns: which notified file updates which snapshot field.
// Invariants:
// - Only files of known arrays and known members are applied (array_state, degraded,
//   sync_action, sync_completed, dev-X/state); anything else (a new member, /proc/mdstat) is
//   left to the full re-read that always follows, so the patch never invents structure.
// - A value that does not parse is skipped here (the full re-read reports it).
// - Returns null when no field changed, so an unchanged notification costs no diff.
import type { ArraySnapshot, SnapshotSet } from './events-diff.js';
import { parseArrayState, parseCount, parseMemberState, parseSyncAction, parseSyncCompleted } from './sysfs-parse.js';
import { mdDir, type KernelPaths } from './paths.js';

type Patch = (s: ArraySnapshot, text: string) => ArraySnapshot;

const ARRAY_PATCHES: Readonly<Record<string, Patch>> = {
  array_state: (s, t) => ({ ...s, arrayState: parseArrayState(t) }),
  degraded: (s, t) => ({ ...s, degraded: parseCount('degraded', t) }),
  sync_action: (s, t) => ({ ...s, syncAction: parseSyncAction(t) }),
  sync_completed: (s, t) => {
    const c = parseSyncCompleted(t);
    return { ...s, syncProgress: c.kind === 'progress' ? c.progress : null };
  },
};

function memberPatch(member: string): Patch {
  return (s, t) => {
    const flags = parseMemberState(t);
    return { ...s, members: s.members.map((m) => (m.name === member ? { ...m, flags } : m)) };
  };
}

function patchFor(paths: KernelPaths, snap: ArraySnapshot, path: string): Patch | null {
  const prefix = `${mdDir(paths, snap.device)}/`;
  if (!path.startsWith(prefix)) return null;
  const rest = path.slice(prefix.length);
  const m = /^dev-([^/]+)\/state$/.exec(rest);
  if (m !== null) return snap.members.some((x) => x.name === m[1]) ? memberPatch(m[1]) : null;
  return Object.prototype.hasOwnProperty.call(ARRAY_PATCHES, rest) ? ARRAY_PATCHES[rest] : null;
}

function arrayOfPath(paths: KernelPaths, path: string): string | null {
  const prefix = `${paths.sysRoot}/block/`;
  return path.startsWith(prefix) ? path.slice(prefix.length).split('/')[0] : null;
}

const stripNewline = (t: string) => (t.endsWith('\n') ? t.slice(0, -1) : t);

/** `current` with the notified files' contents applied, or null when nothing changed. */
export function patchSnapshots(paths: KernelPaths, current: SnapshotSet, contents: Readonly<Record<string, string>>): Map<string, ArraySnapshot> | null {
  let next: Map<string, ArraySnapshot> | null = null;
  for (const [path, text] of Object.entries(contents)) {
    const array = arrayOfPath(paths, path);
    const snap = array === null ? undefined : (next ?? current).get(array);
    if (snap === undefined) continue;
    const patch = patchFor(paths, snap, path);
    if (patch === null) continue;
    let patched: ArraySnapshot;
    try {
      patched = patch(snap, stripNewline(text));
    } catch {
      continue; // unparseable: the full re-read that follows reports it
    }
    if (JSON.stringify(patched) === JSON.stringify(snap)) continue;
    next ??= new Map(current);
    next.set(snap.device, patched);
  }
  return next;
}
