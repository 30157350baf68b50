// Resync/recovery helpers for the switch scenarios: md speed limits on a node, waiting for a
// replicated checkpoint (as a standby applied it, i.e. committed), the first sync position a
// node's kernel reports, the live sync position (mdstat's) with the guest's clock, and a full
// `check` pass with its mismatch count.
// Owns: these waits. Invariant: every wait is bounded and names what it waited for.
import { waitFor } from '../../integration/lib/wait.js';
import type { LaneCluster } from './cluster.js';
import { CONVERGE_MS } from './md-checks.js';
import { mustMdctl, mustSh, status, sysfs } from './node-ops.js';

export async function setSpeedLimits(c: LaneCluster, i: number, minKiBps: number, maxKiBps: number): Promise<void> {
  await mustSh(c, i, `echo ${minKiBps} > /proc/sys/dev/raid/speed_limit_min && echo ${maxKiBps} > /proc/sys/dev/raid/speed_limit_max`);
}

export interface Checkpoint {
  action: string;
  doneSectors: number;
  totalSectors: number;
}

/** The replicated sync checkpoint of /dev/<md> as node i has applied it. */
export async function checkpointOn(c: LaneCluster, i: number, md: string): Promise<Checkpoint> {
  const a = (await status(c, i)).arrays.find((x) => x.device === `/dev/${md}`);
  if (a === undefined) throw new Error(`node${i}: no /dev/${md} in the cluster state`);
  return a.sync;
}

/** Waits until node i applied a `action` checkpoint at or past `fraction` of the array. */
export async function waitCheckpoint(c: LaneCluster, i: number, md: string, action: string, fraction: number, timeoutMs = CONVERGE_MS): Promise<Checkpoint> {
  return waitFor(`a replicated ${action} checkpoint of ${md} past ${Math.round(fraction * 100)} % on node${i}`, async () => {
    const cp = await checkpointOn(c, i, md);
    return cp.action === action && cp.totalSectors > 0 && cp.doneSectors >= cp.totalSectors * fraction ? cp : undefined;
  }, timeoutMs, 250);
}

/**
 * The first sync position node i's kernel shows for /dev/<md>: sync_action and "done / total"
 * of md/sync_completed, read back to back in the guest (a shell loop polling every 5 ms).
 */
export async function firstSyncPosition(c: LaneCluster, i: number, md: string, timeoutMs = CONVERGE_MS): Promise<{ doneSectors: number; totalSectors: number; action: string }> {
  const dir = `/sys/block/${md}/md`;
  const loop = `while :; do p=$(cat ${dir}/sync_completed 2>/dev/null); a=$(cat ${dir}/sync_action 2>/dev/null); ` +
    `case "$p" in *" / "*) echo "$a $p"; exit 0 ;; esac; sleep 0.005; done`;
  const out = await mustSh(c, i, `timeout ${Math.ceil(timeoutMs / 1000)} sh -c '${loop}'`, timeoutMs + 5_000);
  const m = /^(\S+) ([0-9]+) \/ ([0-9]+)$/.exec(out.trim());
  if (m === null) throw new Error(`node${i}: unexpected sync position ${JSON.stringify(out)}`);
  return { action: m[1]!, doneSectors: Number(m[2]), totalSectors: Number(m[3]) };
}

/**
 * Node i's live resync/recovery position of /dev/<md> in sectors (/proc/mdstat's "(done/total)",
 * printed in KiB: curr_resync less the I/O in flight, at or past sync_completed) and the guest's
 * wall clock read in the same shell, just before it.
 */
export async function liveSyncPosition(c: LaneCluster, i: number, md: string): Promise<{ sectors: number; guestWallMs: number }> {
  const out = await mustSh(c, i, `date +%s%3N; grep -A3 '^${md} :' /proc/mdstat`);
  const [clock, ...rest] = out.trim().split('\n');
  const m = /(?:resync|recovery)\s*=\s*[0-9.]+%\s*\(([0-9]+)\/([0-9]+)\)/.exec(rest.join('\n'));
  if (m === null || !/^[0-9]+$/.test(clock ?? '')) throw new Error(`node${i}: no live sync position of ${md} in ${JSON.stringify(out)}`);
  return { sectors: Number(m[1]) * 2, guestWallMs: Number(clock) };
}

/**
 * Runs `mdctl --action=check` from node `via` and waits until the master's kernel finished a
 * check pass of /dev/<md>; returns its mismatch_cnt.
 */
export async function checkMismatches(c: LaneCluster, via: number, master: number, md: string, timeoutMs = CONVERGE_MS): Promise<number> {
  await mustMdctl(c, via, ['--action=check', `/dev/${md}`]);
  await waitFor(`a check pass of ${md} on node${master}`, async () => {
    const [action, last] = await Promise.all([sysfs(c, master, md, 'sync_action'), sysfs(c, master, md, 'last_sync_action')]);
    return action === 'idle' && last === 'check' ? true : undefined;
  }, timeoutMs, 300);
  return Number(await sysfs(c, master, md, 'mismatch_cnt'));
}
