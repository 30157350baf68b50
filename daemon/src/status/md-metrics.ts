// The cluster view of the md arrays as Prometheus samples, with node_exporter's mdadm collector
// semantics under mdclusterd's own prefix (mdclusterd_md_*), so rules written for node_md_*
// (node-mixin and the like) port by renaming the metric. Owns: the meaning of every
// mdclusterd_md_* sample.
// Invariants:
// - Pure: a function of the replicated array records only (same on every node that applied
//   the same index). The caller decides which node exports them (one owner per series: the
//   Raft leader only, status/metrics.ts), never every node.
// - mdclusterd_md_state: exactly one of active|inactive|recovering|resync|check is 1 per array
//   (a stopped array is inactive; a running one without a sync is active). As node_exporter reads
//   /proc/mdstat: md prints a repair as "resync" (only check sets MD_RECOVERY_CHECK), so a repair
//   is resync, not check.
// - mdclusterd_md_disks{state}: active = in-sync members only (mdstat's "U"); down = slots not
//   in sync (mdstat's "_", a recovering member included); failed and spare as md says.
//   active + down = disks_required.
// - mdclusterd_md_blocks is the array size in KiB (mdstat's "blocks"). blocks_synced is what
//   node_exporter reads from mdstat's "(done/total)" while a sync runs: KiB on md's sync scale,
//   i.e. the per-member position for recovery and for raid4/5/6 resync/check (so on raid5 it
//   stays below blocks at 100 %), here the master's last replicated checkpoint of sync_completed
//   (md's own checkpoint, at most one md checkpoint step behind mdstat's position); it equals
//   blocks when no sync runs. So synced / blocks is no progress on raid4/5/6/10; the progress is
//   mdclusterd_md_sync_completed_ratio (done / total of the checkpoint, 1 when no sync runs), an
//   mdclusterd-only series.
import type { ArrayRecord } from '../cluster/types.js';
import { inSyncSlots } from '../cluster/validate.js';

export const MD_STATES = ['active', 'inactive', 'recovering', 'resync', 'check'] as const;
export type MdStateLabel = (typeof MD_STATES)[number];
export const MD_DISK_STATES = ['active', 'failed', 'spare', 'down'] as const;

export interface MdSample {
  name: 'mdclusterd_md_state' | 'mdclusterd_md_disks' | 'mdclusterd_md_disks_required' | 'mdclusterd_md_blocks' | 'mdclusterd_md_blocks_synced'
    | 'mdclusterd_md_sync_completed_ratio';
  labels: Record<string, string>;
  value: number;
}

/** The one state node_exporter would report for this array. */
export function mdStateOf(a: Pick<ArrayRecord, 'run' | 'sync'>): MdStateLabel {
  if (a.run !== 'running') return 'inactive';
  switch (a.sync.action) {
    case 'recover': return 'recovering';
    // node_exporter's states have no reshape: a reshape is md's sync thread walking the array, counted as resync.
    case 'resync': case 'repair': case 'reshape': return 'resync';
    case 'check': return 'check';
    case 'idle': return 'active';
  }
}

/** Array size in KiB as mdstat's "blocks" (0 until the master observed it). */
export function blocksKiB(a: Pick<ArrayRecord, 'arraySizeKiB'>): number {
  return a.arraySizeKiB ?? 0;
}

/** KiB synced on md's sync scale (mdstat's "(done/total)") while a sync runs, else blocks. */
export function blocksSyncedKiB(a: Pick<ArrayRecord, 'run' | 'sync' | 'arraySizeKiB'>): number {
  const s = a.sync;
  if (a.run !== 'running' || s.action === 'idle' || s.totalSectors <= 0) return blocksKiB(a);
  return Math.floor(Math.min(s.doneSectors, s.totalSectors) / 2);
}

/** Fraction of the running sync done (the checkpoint's done / total); 1 when no sync runs. */
export function syncCompletedRatio(a: Pick<ArrayRecord, 'run' | 'sync'>): number {
  const s = a.sync;
  if (a.run !== 'running' || s.action === 'idle' || s.totalSectors <= 0) return 1;
  return Math.min(s.doneSectors, s.totalSectors) / s.totalSectors;
}

export function mdSamples(arrays: readonly ArrayRecord[]): MdSample[] {
  const out: MdSample[] = [];
  for (const a of arrays) {
    const device = a.device;
    const st = mdStateOf(a);
    for (const s of MD_STATES) out.push({ name: 'mdclusterd_md_state', labels: { device, state: s }, value: s === st ? 1 : 0 });
    const inSync = inSyncSlots(a).size;
    const counts: Record<(typeof MD_DISK_STATES)[number], number> = {
      active: inSync,
      failed: a.members.filter((m) => m.role === 'faulty').length,
      spare: a.members.filter((m) => m.role === 'spare').length,
      down: Math.max(0, a.raidDisks - inSync),
    };
    for (const s of MD_DISK_STATES) out.push({ name: 'mdclusterd_md_disks', labels: { device, state: s }, value: counts[s] });
    out.push({ name: 'mdclusterd_md_disks_required', labels: { device }, value: a.raidDisks });
    out.push({ name: 'mdclusterd_md_blocks', labels: { device }, value: blocksKiB(a) });
    out.push({ name: 'mdclusterd_md_blocks_synced', labels: { device }, value: blocksSyncedKiB(a) });
    out.push({ name: 'mdclusterd_md_sync_completed_ratio', labels: { device }, value: syncCompletedRatio(a) });
  }
  return out;
}
