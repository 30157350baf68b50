// Cluster lane, the raid10 twins of scenarios a-c on 3 real kernels (lib/standby-ops.ts):
// a 4-disk raid10 (near=2) with a spare created on a standby, a disk failed on a standby's
// kernel, then --remove/--add/--add-spare, `--fail X --remove X` and --re-add from a standby.
import { describe } from 'vitest';
import { LANE_GUEST_TIMEOUT_MS, useLaneCluster } from './lib/lane-test.js';
import { allDisks, standbyOpsTests, type Roles, type StandbyOpsSpec } from './lib/standby-ops.js';

const RAID10: StandbyOpsSpec = {
  md: 'md10', level: 'raid10', levelArg: '10', active: ['vda', 'vdb', 'vdc', 'vdd'], spare: 'vde', failOnStandby: 'vdb', add: 'vdf', addSpare: 'vdg',
};

describe('raid10 managed from a standby on 3 real kernels', () => {
  const cluster = useLaneCluster({ name: 'raid10', nodes: 3, sharedDisksMiB: allDisks(RAID10).map(() => 64), guestTimeoutMs: LANE_GUEST_TIMEOUT_MS });
  standbyOpsTests(cluster, RAID10, {} as Partial<Roles>);
});
