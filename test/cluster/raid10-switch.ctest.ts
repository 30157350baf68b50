// Cluster lane, the raid10 twins of switch-resync and switch-recovery (mdadm's
// 03r10_switch-resync, 03r10_switch-recovery) on 3 real kernels: a 4-disk raid10 (near=2)
// created on a standby; the master guest crashes mid-resync, then mid-recovery onto a fifth
// disk (lib/switch-scenarios.ts). One cluster for the file; tests run in order.
import { describe } from 'vitest';
import { LANE_GUEST_TIMEOUT_MS, useLaneCluster } from './lib/lane-test.js';
import { switchScenarioTests, type SwitchSpec } from './lib/switch-scenarios.js';

const RAID10: SwitchSpec = { md: 'md11', levelArg: '10', active: ['vda', 'vdb', 'vdc', 'vdd'], failForRecovery: 'vdb', recoverOnto: 'vde', patternOffsetsMiB: [4, 100] };
const DISK_MIB = 96;

describe('raid10 master crashes on 3 real kernels: mid-resync, mid-recovery', () => {
  const cluster = useLaneCluster({ name: 'raid10-switch', nodes: 3, sharedDisksMiB: [...RAID10.active, RAID10.recoverOnto].map(() => DISK_MIB), checkpointIntervalMs: 1000, guestTimeoutMs: LANE_GUEST_TIMEOUT_MS });
  switchScenarioTests(cluster, RAID10, { samples: [], byScenario: {} });
});
