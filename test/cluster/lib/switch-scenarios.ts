// Scenarios d and e for one RAID level (mdadm's clustermd_tests 03r1_/03r10_switch-resync and
// switch-recovery), as vitest tests on a lane cluster:
//   d. switch-resync: the master guest crashes (sysrq b) mid-resync (slowed with
//      speed_limit_max): a standby becomes master within the lane's failover target, resumes at
//      or after the last replicated checkpoint and at or before the position the old master had
//      really reached at the crash (so a skipped resync fails), and finishes; a known pattern the old
//      master wrote before the crash reads back identical; a `check` pass ends with
//      mismatch_cnt = 0; then every /mdstat equals the new master kernel's /proc/mdstat;
//   e. switch-recovery: the same during a recovery onto a spare (after the node d crashed was
//      rebooted and rejoined as a standby).
// Owns: the steps and checks, parametrised by the level's disks. Invariant: tests run in
// order on one array; d leaves it clean with its new master in `state.master`; e reboots the
// node d crashed first.
import { expect, it } from 'vitest';
import { waitFor } from '../../integration/lib/wait.js';
import type { LaneCluster } from './cluster.js';
import { crashAndTimeFailover, type FailoverSample } from './failover.js';
import { CONVERGE_MS, VIEW_CONVERGE_MS, expectMdstatsEqualMaster, waitIdleClean, waitReadOnly, waitWritable } from './md-checks.js';
import { mustMdctl, status, waitMaster, type MasterView } from './node-ops.js';
import { publishPattern, readPatternSha, writePattern } from './pattern.js';
import { checkMismatches, firstSyncPosition, liveSyncPosition, setSpeedLimits, waitCheckpoint, type Checkpoint } from './sync-checks.js';

export interface SwitchSpec {
  md: string;
  /** mdadm's --level value. */
  levelArg: string;
  /** Active members in slot order (kernel names), created without a spare. */
  active: string[];
  /** e: the active member failed and removed, and the disk that recovers into its slot. */
  failForRecovery: string;
  recoverOnto: string;
  /** Pattern offsets (MiB): one in the part synced before the crash, one beyond it. */
  patternOffsetsMiB: number[];
}

export interface SwitchState {
  master?: MasterView;
  /** Every failover measured, in order (the bench reports them beside its own runs). */
  samples: FailoverSample[];
  byScenario: Record<string, FailoverSample[]>;
}

/** md's resync/recovery speed while a crash is staged: ~1 MB/s leaves minutes to crash in. */
const SLOW_KIBPS = 1000;
const FAST_KIBPS = 200_000;
/** Crash once the replicated checkpoint passed this fraction (md reports progress in 1/16 steps). */
const CRASH_AFTER_FRACTION = 3 / 16;
/**
 * Bound on the old master's progress between reading its live position and the crash: twice
 * speed_limit_max (md's throttle works on averages and can run ahead briefly), in sectors per
 * ms, plus 1 MiB for the last requests of a window.
 */
const PROGRESS_BOUND_SECTORS_PER_MS = (2 * SLOW_KIBPS * 2) / 1000;
const PROGRESS_SLACK_SECTORS = 2048;

export function switchScenarioTests(cluster: () => LaneCluster, spec: SwitchSpec, state: SwitchState): void {
  const md = spec.md;
  const dev = (name: string): string => `/dev/${name}`;
  const master = (): MasterView => {
    if (state.master === undefined) throw new Error('no master known yet');
    return state.master;
  };
  const slowEverywhere = async (): Promise<void> => {
    const c = cluster();
    await Promise.all(c.indexes.filter((i) => c.alive(i)).map((i) => setSpeedLimits(c, i, SLOW_KIBPS / 2, SLOW_KIBPS)));
  };

  /** Crash the master now; check the new master resumes at/after `cp` and finishes; data + check. */
  async function crashAndVerify(cp: Checkpoint, seed: string, patternSha: string): Promise<void> {
    const c = cluster();
    const old = master();
    // Where the old master really was: its live position just before the crash, plus what it
    // can have done until the crash (both on its own clock).
    const live = await liveSyncPosition(c, old.index, md);
    const fo = await crashAndTimeFailover(c, old.index, md, CONVERGE_MS);
    const reachedAtCrash = live.sectors + PROGRESS_SLACK_SECTORS + Math.ceil(PROGRESS_BOUND_SECTORS_PER_MS * Math.max(0, fo.crashGuestWallMs - live.guestWallMs));
    state.samples.push(fo);
    (state.byScenario[seed] ??= []).push(fo);
    console.log(`[failover] ${seed}: node${fo.crashed} crashed; node${fo.newMaster} writable after ${Math.round(fo.failoverMs)} ms (+/- ${Math.round(fo.errMs)} ms; leader after ${String(fo.electedMs === null ? '?' : Math.round(fo.electedMs))} ms, then writable in ${String(fo.promoteMs === null ? '?' : Math.round(fo.promoteMs))} ms)`);
    const next = await waitMaster(c, { candidates: [fo.newMaster], minTerm: old.term + 1 });
    state.master = next;
    const resumed = await firstSyncPosition(c, next.index, md);
    console.log(`[failover] ${seed}: last replicated checkpoint ${cp.action} ${cp.doneSectors}/${cp.totalSectors}; old master live at ${live.sectors} (<= ${reachedAtCrash} at the crash); new master's kernel resumed ${resumed.action} at ${resumed.doneSectors}/${resumed.totalSectors}`);
    expect(resumed.action).toBe(cp.action === 'recover' ? 'recover' : 'resync');
    expect(resumed.doneSectors, 'resumed at or after the last checkpoint').toBeGreaterThanOrEqual(cp.doneSectors);
    expect(resumed.doneSectors, 'resumed at or before where the old master really was (no part skipped)').toBeLessThanOrEqual(reachedAtCrash);
    expect(resumed.doneSectors, 'resumed before the end').toBeLessThan(resumed.totalSectors);
    await setSpeedLimits(c, next.index, FAST_KIBPS / 2, FAST_KIBPS);
    await waitIdleClean(c, next.index, md);
    for (const off of spec.patternOffsetsMiB) expect(await readPatternSha(c, next.index, md, off), `pattern at ${off} MiB`).toBe(patternSha);
    const standby = c.indexes.find((i) => i !== next.index && c.alive(i))!;
    expect(await checkMismatches(c, standby, next.index, md), 'mismatch_cnt after check').toBe(0);
    await waitReadOnly(c, standby, md);
    await expectMdstatsEqualMaster(c, next.index, VIEW_CONVERGE_MS, true);
  }

  it(`d: ${md} master crash mid-resync: a standby resumes from the checkpoint and finishes; data intact; check clean`, async () => {
    const c = cluster();
    state.master = await waitMaster(c);
    await slowEverywhere();
    const disks = [...spec.active, spec.recoverOnto].map(dev);
    await Promise.all(c.indexes.map((i) => mustMdctl(c, i, ['--cluster', 'confirm', ...disks])));
    const standby = c.indexes.find((i) => i !== master().index)!;
    await mustMdctl(c, standby, ['--create', dev(md), `--level=${spec.levelArg}`, `--raid-devices=${spec.active.length}`, ...spec.active.map(dev)]);
    await waitWritable(c, master().index, md);
    const sha = publishPattern(c, `switch-resync-${md}`);
    for (const off of spec.patternOffsetsMiB) await writePattern(c, master().index, md, off);
    const cp = await waitCheckpoint(c, standby, md, 'resync', CRASH_AFTER_FRACTION);
    await crashAndVerify(cp, `switch-resync-${md}`, sha);
  });

  it(`after the failover every /mdstat equals the new master kernel's /proc/mdstat byte for byte (${md})`, async () => {
    await expectMdstatsEqualMaster(cluster(), master().index, 30_000);
  });

  it(`e: ${md} master crash mid-recovery: a standby resumes the recovery and finishes; data intact; check clean`, async () => {
    const c = cluster();
    const crashed = state.byScenario[`switch-resync-${md}`]?.[0]?.crashed;
    expect(crashed, 'd crashed a node').toBeDefined();
    await c.reboot(crashed!);
    await waitFor(`node${crashed} back as a standby`, async () => {
      const s = await status(c, crashed!);
      return s.role === 'follower' && s.master === master().id ? true : undefined;
    }, CONVERGE_MS, 500);
    await waitReadOnly(c, crashed!, md);
    await slowEverywhere();
    const standby = c.indexes.find((i) => i !== master().index)!;
    await mustMdctl(c, standby, [dev(md), '--fail', dev(spec.failForRecovery), '--remove', dev(spec.failForRecovery)]);
    await mustMdctl(c, standby, [dev(md), '--add', dev(spec.recoverOnto)]);
    const sha = publishPattern(c, `switch-recovery-${md}`);
    for (const off of spec.patternOffsetsMiB) await writePattern(c, master().index, md, off);
    const cp = await waitCheckpoint(c, standby, md, 'recover', CRASH_AFTER_FRACTION);
    await crashAndVerify(cp, `switch-recovery-${md}`, sha);
  });
}
