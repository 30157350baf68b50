// Spare groups on 3 real daemons (simulated md): md0 and md1 share the spare group "shared"; md1
// has the spare. Failing a member of md0 (degraded, no spare) makes the master move md1's spare
// to md0 in one replicated entry: md removes it from md1 and adds it to md0, the recovery runs,
// and the [alerts] program gets "MoveSpare /dev/md0 /dev/md1" (mdadm's arguments: the array
// that got the spare, then the one it came from) exactly once for the cluster.
import { describe, expect, test } from 'vitest';
import { sleep, waitFor } from './harness.js';
import { createRaid1, kernelArray } from './lib/arrays.js';
import { useCluster } from './lib/vitest-cluster.js';

const DISK_SECTORS = 262_144; // 128 MiB: the recovery is quick
const disks = ['sda', 'sdb', 'sdc', 'sdd', 'sde'].map((id) => ({ id, sizeSectors: DISK_SECTORS }));

describe('spare groups', () => {
  const cluster = useCluster({ name: 'movespare', alerts: true, disks, spareGroups: { shared: ['md0', 'md1'] } });

  test('a degraded array without a spare gets the spare of a whole array of its group, once', async () => {
    const c = cluster();
    await createRaid1(c, 'n1', { device: 'md0', members: ['/dev/sda', '/dev/sdb'], raidDevices: 2, spares: 0, assumeClean: true });
    await createRaid1(c, 'n1', { device: 'md1', members: ['/dev/sdc', '/dev/sdd', '/dev/sde'], raidDevices: 2, spares: 1, assumeClean: true });
    const m = await c.waitForMaster();
    await waitFor('md1 has its spare on the master', async () => (await kernelArray(c, m.id, 'md1'))?.members.some((x) => x.devPath === '/dev/sde') === true, 10_000, 20);
    const mark = c.alertLines().length;
    await c.control(m.id, 'propose', { command: { op: 'set-faulty', device: 'md0', member: '/dev/sdb', force: false }, timeoutMs: 15_000 });
    await waitFor('sde in sync in md0 on the master, gone from md1', async () => {
      const md0 = await kernelArray(c, m.id, 'md0');
      const md1 = await kernelArray(c, m.id, 'md1');
      return md0 !== null && md1 !== null && md0.members.some((x) => x.devPath === '/dev/sde' && x.flags.includes('in_sync')) &&
        !md1.members.some((x) => x.devPath === '/dev/sde');
    }, 30_000, 20);
    await waitFor('MoveSpare alerted', () => c.alertLines().slice(mark).some((l) => l.includes(' MoveSpare ')), 10_000, 20);
    await sleep(500); // a duplicate would show up now
    const lines = c.alertLines().slice(mark);
    console.log(`alerts after the fail:\n${lines.join('\n')}`);
    expect(lines.filter((l) => l.includes(' MoveSpare ')), lines.join('\n')).toEqual([`${m.id} MoveSpare /dev/md0 /dev/md1`]);
    const events = lines.map((l) => l.split(' ')[1]);
    expect(events.indexOf('Fail')).toBeLessThan(events.indexOf('MoveSpare'));
    expect(events.indexOf('MoveSpare')).toBeLessThan(events.indexOf('RebuildStarted'));
    // The record agrees on every node: sde is md0's, and md1 holds it no more.
    for (const id of c.ids) {
      const st = await c.control<{ state: { arrays: { device: string; members: { path: string; role: string }[] }[] } }>(id, 'state', {});
      const role = (dev: string) => st.state.arrays.find((a) => a.device === dev)!.members.find((x) => x.path === '/dev/sde')?.role;
      expect([id, role('md0'), role('md1') ?? 'removed']).toEqual([id, 'active', 'removed']);
    }
  });
});
