// Cluster lane, crashes of the master guest on 3 real kernels, raid1 (one cluster for the file):
//   d, e: switch-resync and switch-recovery on a raid1 (lib/switch-scenarios.ts);
//   3. failover time: CLUSTER_FAILOVER_RUNS (default 5) more crashes of the master of the
//      idle array, each followed by a reboot of the crashed guest; the result (with d's and
//      e's failovers beside it) goes to bench/results/kernel-failover.json.
// The raid10 twins of d and e run in raid10-switch.ctest.ts.
// Invariant: tests run in order; the bench reboots whatever is down before each run.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labPaths } from '../kernel/lab/config.js';
import { failoverBench } from './lib/failover-bench.js';
import { LANE_GUEST_TIMEOUT_MS, useLaneCluster } from './lib/lane-test.js';
import { switchScenarioTests, type SwitchSpec, type SwitchState } from './lib/switch-scenarios.js';

const RAID1: SwitchSpec = { md: 'md1', levelArg: '1', active: ['vda', 'vdb'], failForRecovery: 'vdb', recoverOnto: 'vdc', patternOffsetsMiB: [4, 100] };
const DISK_MIB = 128;
/** Plain failover runs for the benchmark; the recorded result needs at least 5. */
const BENCH_RUNS = Number(process.env.CLUSTER_FAILOVER_RUNS ?? '5');
const MIN_RECORDED_RUNS = 5;

describe('master crashes on 3 real kernels: mid-resync, mid-recovery, failover time', () => {
  const cluster = useLaneCluster({ name: 'failover', nodes: 3, sharedDisksMiB: [DISK_MIB, DISK_MIB, DISK_MIB], checkpointIntervalMs: 1000, guestTimeoutMs: LANE_GUEST_TIMEOUT_MS });
  const state: SwitchState = { samples: [], byScenario: {} };
  switchScenarioTests(cluster, RAID1, state);

  it(`3: failover time over ${BENCH_RUNS} crashes of the master guest (bench/results/kernel-failover.json)`, async () => {
    const c = cluster();
    const resultPath = BENCH_RUNS >= MIN_RECORDED_RUNS
      ? join(labPaths().repoRoot, 'bench', 'results', 'kernel-failover.json')
      : join(labPaths().repoRoot, 'test', 'cluster', '.cache', 'kernel-failover.partial.json');
    const runs = await failoverBench(c, RAID1.md, BENCH_RUNS, resultPath, { other: state.byScenario });
    expect(runs).toHaveLength(BENCH_RUNS);
    for (const r of runs) expect(r.failoverMs, 'a failover takes time after the crash').toBeGreaterThan(0);
  });
});
