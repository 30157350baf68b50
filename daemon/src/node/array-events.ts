// mdadm's per-array monitor events derived from the replicated record before and after one
// applied command (the cluster's form of mdadm Monitor's comparison of two /proc/mdstat and
// GET_DISK_INFO readings). Owns: which events one transition raises. Pure.
// Invariants (mdadm 4.2 Monitor semantics):
// - Fail: a member lost its in-sync state (failed or removed while in sync);
//   FailSpare: a member that was not in sync (spare, or rebuilding) became faulty;
//   SpareActive: a member that was already in the array became in sync. mdadm has no event for
//   a member leaving the array; the cluster's DeviceRemoved (component: the member) is raised
//   when a member leaves the record (after Fail when it was in sync), so a failed member that is
//   then removed does not vanish silently.
// - NewArray when an array starts running (create, assemble, run); DeviceDisappeared when it
//   stops; DegradedArray only on the first look at a running, materialized array (mdadm raises
//   it when it first sees an array, not for the failure that degrades it: that is a Fail).
// - RebuildStarted / Rebuild (with percent) / RebuildFinished follow the sync checkpoint of any
//   action mdstat shows as progress (resync, recover, check, repair).
import type { CheckpointAction } from '../cluster/types.js';
import { degradedCount } from '../cluster/redundancy.js';
import { levelNumber } from '../md/format/levels.js';
import type { ArrayRecord } from '../cluster/types.js';
import { inSyncSlots } from '../cluster/validate.js';
import type { ClusterEvent } from '../control/protocol.js';

export type ArrayEvent = Pick<ClusterEvent, 'name' | 'device' | 'component' | 'percent' | 'mismatchCount' | 'raidLevel'>;

/** What the events of one array depend on. */
export interface ArraySnap {
  running: boolean;
  materialized: boolean;
  degraded: number;
  action: CheckpointAction;
  /** path -> member class: 'sync' (active, in sync), 'rebuild' (active, not in sync), 'spare', 'faulty'. */
  members: Map<string, 'sync' | 'rebuild' | 'spare' | 'faulty'>;
}

export function snapOf(rec: ArrayRecord | undefined): ArraySnap | null {
  if (!rec) return null;
  const members = new Map<string, 'sync' | 'rebuild' | 'spare' | 'faulty'>();
  for (const m of rec.members) {
    if (m.role === 'removed') continue;
    members.set(m.path, m.role === 'active' ? (m.inSync ? 'sync' : 'rebuild') : m.role);
  }
  return {
    running: rec.run === 'running', materialized: rec.materialized, degraded: degradedCount(rec.raidDisks, inSyncSlots(rec)),
    action: rec.sync.action, members,
  };
}

function memberEvents(device: string, before: ArraySnap, after: ArraySnap): ArrayEvent[] {
  const out: ArrayEvent[] = [];
  const paths = new Set([...before.members.keys(), ...after.members.keys()]);
  for (const p of [...paths].sort()) {
    const was = before.members.get(p);
    const now = after.members.get(p);
    if (was === undefined || was === now) continue;
    if (was === 'sync') out.push({ name: 'Fail', device, component: p });
    else if (now === 'faulty') out.push({ name: 'FailSpare', device, component: p });
    else if (now === 'sync') out.push({ name: 'SpareActive', device, component: p });
    if (now === undefined) out.push({ name: 'DeviceRemoved', device, component: p });
  }
  return out;
}

const syncing = (a: CheckpointAction): boolean => a !== 'idle';

/**
 * Events for one array across one applied command. `lookPending` is true while a running array
 * has not been looked at since it started (its DegradedArray check waits for the master to
 * have observed it); the result says whether that is still so afterwards.
 */
export function arrayEvents(device: string, before: ArraySnap | null, after: ArraySnap, lookPending: boolean, rec: ArrayRecord): { events: ArrayEvent[]; lookPending: boolean } {
  const dev = `/dev/${device}`;
  const events: ArrayEvent[] = [];
  const wasRunning = before?.running ?? false;
  if (after.running && !wasRunning) events.push({ name: 'NewArray', device: dev, component: null });
  if (!after.running && wasRunning) events.push({ name: 'DeviceDisappeared', device: dev, component: null });
  let pending = after.running && (lookPending || !wasRunning);
  if (pending && after.materialized) {
    pending = false;
    if (after.degraded > 0) events.push({ name: 'DegradedArray', device: dev, component: null });
  }
  if (before !== null && wasRunning && after.running) events.push(...memberEvents(dev, before, after));
  const wasSyncing = before !== null && wasRunning && syncing(before.action);
  if (after.running && syncing(after.action) && !wasSyncing) events.push({ name: 'RebuildStarted', device: dev, component: null });
  if (after.running && syncing(after.action) && rec.sync.totalSectors > 0) {
    events.push({ name: 'Rebuild', device: dev, component: null, percent: Math.floor((rec.sync.doneSectors * 100) / rec.sync.totalSectors) });
  }
  if (wasSyncing && (!syncing(after.action) || !after.running)) {
    const mismatches = rec.sync.mismatchCount;
    events.push({ name: 'RebuildFinished', device: dev, component: null, ...(mismatches === undefined ? {} : { mismatchCount: mismatches, raidLevel: levelNumber(rec.level) }) });
  }
  return { events, lookPending: pending };
}
