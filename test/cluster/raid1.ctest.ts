// Cluster lane, raid1 on 3 real kernels (one cluster for the whole file): scenarios a-c
// (lib/standby-ops.ts: create, a standby-side disk failure, --remove/--add/--add-spare,
// `--fail X --remove X`, --re-add, all issued on a standby) and then f, the partition of the
// master (lib/partition-scenario.ts), and f2, the same partition while an application holds
// the array open on the master (lib/partition-open-scenario.ts), on the same array.
// Invariant: tests run in order on the same array; each leaves it in the state the next needs.
import { describe, it } from 'vitest';
import { LANE_GUEST_TIMEOUT_MS, useLaneCluster } from './lib/lane-test.js';
import { partitionScenario } from './lib/partition-scenario.js';
import { partitionWhileOpenScenario } from './lib/partition-open-scenario.js';
import { allDisks, standbyOpsTests, type Roles, type StandbyOpsSpec } from './lib/standby-ops.js';

const RAID1: StandbyOpsSpec = { md: 'md0', level: 'raid1', levelArg: '1', active: ['vda', 'vdb'], spare: 'vdc', failOnStandby: 'vdb', add: 'vdd', addSpare: 'vde' };

describe('raid1 managed from a standby on 3 real kernels, then a partition of the master', () => {
  const cluster = useLaneCluster({ name: 'raid1', nodes: 3, sharedDisksMiB: allDisks(RAID1).map(() => 64), guestTimeoutMs: LANE_GUEST_TIMEOUT_MS });
  const roles: Partial<Roles> = {};
  standbyOpsTests(cluster, RAID1, roles);

  it('f: the cut-off master demotes within its lease, a new master takes over without overlap, the old one rejoins current', async () => {
    await partitionScenario(cluster(), RAID1.md);
  });

  it('f2: the same partition while an application holds the array open on the master: it still stops writing within its lease', async () => {
    await partitionWhileOpenScenario(cluster(), RAID1.md);
  });
});
