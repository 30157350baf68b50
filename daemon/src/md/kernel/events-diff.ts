// Typed md events from two successive snapshots of this node's arrays. Pure: snapshots in,
// MdEvents out. Owns: the light snapshot the watcher keeps, and what counts as which event.
// Invariants:
// - diffSnapshots(a, a) is empty: events come only from differences.
// - Events for one array come in a fixed order: array-started, member-removed, member-added,
//   member-faulty, degraded-changed, sync-finished, sync-started, sync-progress,
//   array-state-changed, array-stopped; arrays in name order.
// - A sync "runs" while sync_action is resync/recover/check/repair/reshape; a change between two
//   running actions is a finish of the old one followed by a start of the new one.
import type { ArrayRunState, MdEvent, MemberFlag, SyncAction, SyncProgress } from '../types.js';

export interface MemberSnapshot {
  name: string;
  devPath: string;
  flags: MemberFlag[];
  slot: number | null;
}

export interface ArraySnapshot {
  device: string;
  arrayState: ArrayRunState;
  degraded: number;
  syncAction: SyncAction;
  syncProgress: SyncProgress | null;
  members: MemberSnapshot[];
}

export type SnapshotSet = ReadonlyMap<string, ArraySnapshot>;

const RUNNING: ReadonlySet<SyncAction> = new Set(['resync', 'recover', 'check', 'repair', 'reshape']);
const STOPPED_STATES: ReadonlySet<ArrayRunState> = new Set(['clear', 'inactive']);

export function isSyncRunning(action: SyncAction): boolean {
  return RUNNING.has(action);
}
function isStarted(s: ArraySnapshot | undefined): boolean {
  return s !== undefined && !STOPPED_STATES.has(s.arrayState);
}

function memberEvents(prev: ArraySnapshot | undefined, next: ArraySnapshot | undefined, out: MdEvent[]): void {
  const device = (next ?? prev)!.device;
  const before = new Map((prev?.members ?? []).map((m) => [m.name, m]));
  const after = new Map((next?.members ?? []).map((m) => [m.name, m]));
  for (const [name, m] of before) if (!after.has(name)) out.push({ type: 'member-removed', device, member: m.devPath });
  for (const [name, m] of after) if (!before.has(name)) out.push({ type: 'member-added', device, member: m.devPath });
  for (const [name, m] of after) {
    const old = before.get(name);
    const wasFaulty = old !== undefined && old.flags.includes('faulty');
    if (m.flags.includes('faulty') && !wasFaulty) out.push({ type: 'member-faulty', device, member: m.devPath });
  }
}

function syncEvents(prev: ArraySnapshot | undefined, next: ArraySnapshot | undefined, out: MdEvent[]): void {
  const device = (next ?? prev)!.device;
  const was: SyncAction = prev?.syncAction ?? 'idle';
  const now: SyncAction = next?.syncAction ?? 'idle';
  const wasRunning = isSyncRunning(was);
  const nowRunning = isSyncRunning(now);
  if (wasRunning && (!nowRunning || was !== now)) out.push({ type: 'sync-finished', device, action: was });
  if (nowRunning && (!wasRunning || was !== now)) out.push({ type: 'sync-started', device, action: now });
  if (nowRunning && next?.syncProgress) {
    const old = was === now ? prev?.syncProgress : null;
    const moved = !old || old.doneSectors !== next.syncProgress.doneSectors || old.totalSectors !== next.syncProgress.totalSectors;
    if (moved) out.push({ type: 'sync-progress', device, action: now, progress: next.syncProgress });
  }
}

function arrayEvents(prev: ArraySnapshot | undefined, next: ArraySnapshot | undefined, out: MdEvent[]): void {
  const device = (next ?? prev)!.device;
  const startedBefore = isStarted(prev);
  const startedNow = isStarted(next);
  if (!startedBefore && startedNow) out.unshift({ type: 'array-started', device });
  memberEvents(prev, next, out);
  if (prev !== undefined && next !== undefined && prev.degraded !== next.degraded) {
    out.push({ type: 'degraded-changed', device, degraded: next.degraded });
  }
  syncEvents(prev, next, out);
  if (prev !== undefined && next !== undefined && prev.arrayState !== next.arrayState) {
    out.push({ type: 'array-state-changed', device, arrayState: next.arrayState });
  }
  if (startedBefore && !startedNow) out.push({ type: 'array-stopped', device });
}

/** The events that turn `prev` into `next`. */
export function diffSnapshots(prev: SnapshotSet, next: SnapshotSet): MdEvent[] {
  const names = [...new Set([...prev.keys(), ...next.keys()])].sort();
  const events: MdEvent[] = [];
  for (const name of names) {
    const perArray: MdEvent[] = [];
    arrayEvents(prev.get(name), next.get(name), perArray);
    events.push(...perArray);
  }
  return events;
}
