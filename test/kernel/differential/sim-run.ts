// Differential lane, host side: runs one differential scenario on the simulated driver with
// the same component paths, sizes and device name as the guest, on a manual clock.
// Owns: the simulated counterpart of the guest's disks (64 MiB /dev/vda.. with virtio-style
// minors 0, 16, 32 ...).
// Invariant: each run starts from fresh blank disks, like the guest's clean slate.
import type { ScenarioDef, ScenarioReport } from '../../md-scenarios/index.js';
import { ManualTime, manualSimDeps } from '../../../daemon/src/md/sim/deps.js';
import { MemoryDiskStore, MemoryDisks } from '../../../daemon/src/md/sim/disk-store.js';
import { SimMdDriver } from '../../../daemon/src/md/sim/sim-driver.js';
import { DIFF_COMPONENT_PATHS } from './scenarios.js';

const MIB_SECTORS = 2048;
const VIRTIO_MAJOR = 254;
const VIRTIO_MINORS_PER_DISK = 16;

export async function runOnSim(s: ScenarioDef): Promise<ScenarioReport> {
  const time = new ManualTime();
  const disks = new MemoryDisks();
  const store = new MemoryDiskStore(disks);
  const paths = DIFF_COMPONENT_PATHS.slice(0, s.components);
  paths.forEach((p, i) => {
    store.createDisk({ diskId: p.slice('/dev/'.length), sizeSectors: s.componentMiB * MIB_SECTORS, major: VIRTIO_MAJOR, minor: VIRTIO_MINORS_PER_DISK * i });
  });
  const driver = new SimMdDriver({ store, deps: manualSimDeps(time, 1), hostName: 'labhost' });
  try {
    const report = await s.run({ driver, components: paths, device: 'md0', sleep: async (ms) => time.advance(ms) });
    const left = await driver.listArrays();
    if (left.length > 0) throw new Error(`simulated scenario ${s.name} left arrays running: ${left.join(', ')}`);
    return report;
  } finally {
    await driver.close();
  }
}
