// A 3-daemon loopback cluster managing many small raid1 arrays, shared by the `idle` and `load`
// benchmarks. Owns: the disk naming (d000, d001, ...: array mdN has members d(2N), d(2N+1)) and
// the start-up sequence. Invariant: it returns only when every node shows all arrays active in
// its /mdstat and the master applied every confirmation; on failure it destroys the cluster.
import { Cluster, type ClusterOptions } from '../test/integration/harness.js';
import { createCommand } from '../test/integration/lib/arrays.js';

const DISK_SECTORS = 16_384;

export const diskId = (i: number): string => `d${String(i).padStart(3, '0')}`;

/** The raid1 array every started cluster holds: 2 simulated 8 MiB disks, assume-clean (no resync). */
export const ARRAY_SHAPE = 'raid1 of 2 x 8 MiB simulated disks, assume-clean';

export async function startManyArrays(arrays: number, opts: ClusterOptions): Promise<{ c: Cluster; createAllMs: number }> {
  const disks = Array.from({ length: 2 * arrays }, (_, i) => ({ id: diskId(i), sizeSectors: DISK_SECTORS }));
  const c = await Cluster.start({ ...opts, disks });
  try {
    const m = await c.waitForMaster();
    const t0 = performance.now();
    await c.confirmEverywhere(disks.map((d) => `/dev/${d.id}`));
    await c.control(m.id, 'state', {}); // a linearizable read: the master applied every confirmation
    for (let a = 0; a < arrays; a++) {
      const members = [`/dev/${diskId(2 * a)}`, `/dev/${diskId(2 * a + 1)}`];
      await c.control(m.id, 'propose', { command: createCommand({ device: `md${a}`, members, raidDevices: 2, spares: 0, assumeClean: true }), waitAll: true });
    }
    const createAllMs = Math.round(performance.now() - t0);
    await c.waitSame(`/mdstat with ${arrays} arrays`, async (id) => {
      const t = await c.mdstat(id);
      const n = t.split('\n').filter((l) => /^md[0-9]+ : active/.test(l)).length;
      return n === arrays ? t : `${id}: ${n} arrays`;
    }, c.ids, 120_000);
    return { c, createAllMs };
  } catch (e) {
    process.stderr.write(c.failureReport() + '\n');
    await c.destroy();
    throw e;
  }
}
