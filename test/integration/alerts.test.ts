// The daemon's own alerts (daemon/src/node/alert-delivery.ts) on 3 real daemons: a disk fails,
// recovery onto the spare starts, the master is killed (kill -9) during the recovery; the [alerts]
// program of whichever node is master receives Fail, RebuildStarted, MasterChanged, RebuildNN and
// RebuildFinished, each exactly once for the whole cluster (the one documented exception: the
// old master's last alert, if it died before confirming it, comes again from the new master),
// in that order, from masters only;
// and the failed member, which leaves the record when the new master re-assembles the array from
// its superblocks, raises one DeviceRemoved (before #16 it vanished without an event).
import { describe, expect, test } from 'vitest';
import { waitFor, sleep } from './harness.js';
import { createRaid1, kernelArray, kernelWritable } from './lib/arrays.js';
import { useCluster } from './lib/vitest-cluster.js';

// 1 GiB members: a recovery takes ~5 s at the simulated kernel's default speed (200000 KiB/s).
const DISK_SECTORS = 2_097_152;

describe('alerts from the daemon', () => {
  const cluster = useCluster({
    name: 'alerts', alerts: true,
    disks: [{ id: 'sda', sizeSectors: DISK_SECTORS }, { id: 'sdb', sizeSectors: DISK_SECTORS }, { id: 'sdc', sizeSectors: DISK_SECTORS }],
  });

  test('fail a disk, kill the master during the recovery: each alert once, from the master of its time', async () => {
    const c = cluster();
    await createRaid1(c, 'n1', { device: 'md0', members: ['/dev/sda', '/dev/sdb', '/dev/sdc'], raidDevices: 2, spares: 1, assumeClean: true });
    const first = await c.waitForMaster();
    await waitFor('NewArray alerted', () => c.alertLines().some((l) => l.includes(' NewArray /dev/md0')), 10_000, 20);
    const mark = c.alertLines().length;
    await c.control(first.id, 'propose', { command: { op: 'set-faulty', device: 'md0', member: '/dev/sdb', force: false }, timeoutMs: 15_000 });
    // Kill the master once the recovery passed 25 % and its last alert is 150 ms old (so the
    // master had time to commit its alerts-sent entry: a kill between delivering an alert and
    // committing that entry delivers the alert twice, by design at least once).
    await waitFor('recovery past 25 % on the master', async () => {
      const k = await kernelArray(c, first.id, 'md0');
      return k !== null && k.syncAction === 'recover' && k.syncCompleted !== null && k.syncCompleted.doneSectors * 4 >= k.syncCompleted.totalSectors;
    }, 20_000, 10);
    let seen = c.alertLines().length;
    await waitFor('no new alert for 150 ms', async () => {
      const n = c.alertLines().length;
      if (n !== seen) { seen = n; return false; }
      await sleep(150);
      return c.alertLines().length === seen;
    }, 10_000, 0);
    await c.kill(first.id);
    const next = await c.waitForMaster({ among: c.ids.filter((id) => id !== first.id), minTerm: first.term + 1 });
    await waitFor('the recovery finished on the new master', async () => {
      const k = await kernelArray(c, next.id, 'md0');
      return k !== null && kernelWritable(k) && k.syncAction === 'idle' && k.members.some((m) => m.devPath === '/dev/sdc' && m.flags.includes('in_sync'));
    }, 30_000, 20);
    await waitFor('RebuildFinished alerted', () => c.alertLines().some((l) => l.includes(' RebuildFinished /dev/md0')), 10_000, 20);
    await sleep(500); // a late duplicate would show up now

    const lines = c.alertLines().slice(mark);
    console.log(`alerts after the fail:\n${lines.join('\n')}`);
    const byAlert = new Map<string, string[]>();
    for (const l of lines) {
      const [node, ...alert] = l.split(' ');
      const key = alert.join(' ');
      byAlert.set(key, [...(byAlert.get(key) ?? []), node]);
    }
    // The one documented at-least-once window (alert-delivery.ts): the old master delivered its
    // last alert but died before its alerts-sent entry committed, so the new master delivers it
    // again. The 150 ms pause above usually avoids it; on a loaded machine the commit can take
    // longer. Only that alert may come twice, old master first; any other repeat is a bug.
    const oldLast = [...lines].reverse().find((l) => l.startsWith(`${first.id} `));
    const windowKey = oldLast === undefined ? null : oldLast.split(' ').slice(1).join(' ');
    const twice = [...byAlert].filter(([key, nodes]) => nodes.length > 1 &&
      !(key === windowKey && nodes.length === 2 && nodes[0] === first.id && nodes[1] === next.id));
    expect(twice, `alerts delivered more than once:\n${lines.join('\n')}`).toEqual([]);
    if (windowKey !== null && (byAlert.get(windowKey)?.length ?? 0) > 1) console.log(`at-least-once window hit: "${windowKey}" delivered by ${first.id}, then again by ${next.id}`);
    // From here on the window's repeat (if any) is left out: each alert's first delivery.
    const firsts = lines.filter((l, i) => !(l.startsWith(`${next.id} `) && lines.slice(0, i).some((p) => p.split(' ').slice(1).join(' ') === l.split(' ').slice(1).join(' '))));
    const events = firsts.map((l) => l.split(' ')[1]);
    const at = (name: string): number => events.findIndex((e) => e === name);
    for (const name of ['Fail', 'RebuildStarted', 'RebuildFinished']) expect(events.filter((e) => e === name), `${name} once:\n${lines.join('\n')}`).toHaveLength(1);
    expect(lines.filter((l) => l.includes(` MasterChanged cluster ${first.id} -> ${next.id}`)), lines.join('\n')).toHaveLength(1);
    const rebuilds = events.filter((e) => /^Rebuild[0-9]{2}$/.test(e));
    expect(rebuilds.length, lines.join('\n')).toBeGreaterThan(0);
    const percents = rebuilds.map((e) => Number(e.slice(7)));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(at('Fail')).toBeLessThan(at('RebuildStarted'));
    expect(at('RebuildStarted')).toBeLessThan(at('RebuildFinished'));
    // Each alert came from the master of its time: the old one before the kill, the new one after.
    for (const l of lines) expect([first.id, next.id]).toContain(l.split(' ')[0]);
    expect(lines.filter((l) => l.startsWith(`${next.id} `)).map((l) => l.split(' ')[1])).toContain('RebuildFinished');

    const removed = lines.filter((l) => l.includes(' DeviceRemoved '));
    expect(removed, lines.join('\n')).toHaveLength(1);
    expect(removed[0]).toMatch(/^n[0-9] DeviceRemoved \/dev\/md0 \/dev\/sdb$/);
    expect(at('Fail')).toBeLessThan(at('DeviceRemoved'));
  });
});
