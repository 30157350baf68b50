// A frozen master (SIGSTOP: a long GC pause, a descheduled VM, a stuck host) is the case a
// lease alone cannot cover: while the daemon is frozen nothing can switch its arrays
// read-only, but the kernel keeps them writable for every application on that host. The
// others elect a new master after the election timeout; unless the old one is fenced first,
// two nodes have the array writable at once, which the merged writer logs show.
//  - With master.fence-required and a fence command (here: SIGKILL of the named node, like a
//    power switch), the new master must wait for the fence: no overlap.
//  - Without fencing, master.unconfirmed-grace-ms makes a new master wait for an old master that
//    has not confirmed (over the peer link, in the new term) that it holds no writable array.
//    A freeze shorter than the grace is then covered: the old master wakes, replays its missed
//    ticks, finds its lease gone, demotes, says so, and only then the new master promotes.
//    With the shipped default (grace 0) a frozen master longer than the election timeout DOES
//    overlap: no lease can stop a process that does not run; that case needs fencing (above)
//    or the systemd watchdog + ExecStopPost demote-all on a real host (README).
import { describe, expect, test } from 'vitest';
import { sleep, waitFor } from './harness.js';
import { createRaid1, kernelArray, kernelWritable, waitSingleWriter } from './lib/arrays.js';
import { describeOverlaps, findOverlaps } from './lib/writer-intervals.js';
import { useCluster } from './lib/vitest-cluster.js';

const DISKS = [{ id: 'sda', sizeSectors: 65_536 }, { id: 'sdb', sizeSectors: 65_536 }];
/** Longer than the largest election timeout (2 x 30 ticks x 10 ms) plus a promotion. */
const FREEZE_MS = 2500;

describe('a frozen master, fenced before the new master writes (fence-required)', () => {
  const cluster = useCluster({ name: 'stall-fenced', disks: DISKS, fence: { required: true } }, async (c) => {
    await createRaid1(c, 'n1', { device: 'md0', members: ['/dev/sda', '/dev/sdb'], raidDevices: 2, spares: 0, assumeClean: true });
  });

  test('the new master runs the fence first; the frozen one dies; writers never overlap', async () => {
    const c = cluster();
    const old = await c.waitForMaster();
    await waitSingleWriter(c, old.id, 'md0');
    const others = c.ids.filter((id) => id !== old.id);
    c.pause(old.id);
    const next = await c.waitForMaster({ among: others, minTerm: old.term + 1, timeoutMs: 20_000 });
    await waitFor(`md0 writable on ${next.id}`, async () => (kernelWritable(await kernelArray(c, next.id, 'md0')) ? true : undefined), 10_000);
    expect(c.fenceCalls().some((l) => l.endsWith(` ${old.id}`))).toBe(true);
    await waitFor(`${old.id} to be dead (fenced)`, () => (c.proc(old.id).running ? undefined : true), 5000);
    c.assertNoWriterOverlap();
    await c.restart(old.id);
    await c.waitForMaster();
    await waitSingleWriter(c, (await c.waitForMaster()).id, 'md0');
    c.assertNoWriterOverlap();
  });
});

describe('a frozen master, no fencing, unconfirmed-grace-ms longer than the freeze', () => {
  const cluster = useCluster({ name: 'stall-grace', disks: DISKS, unconfirmedGraceMs: 8000 }, async (c) => {
    await createRaid1(c, 'n1', { device: 'md0', members: ['/dev/sda', '/dev/sdb'], raidDevices: 2, spares: 0, assumeClean: true });
  });

  test(`frozen for ${FREEZE_MS} ms: the new master must not have md0 writable while the frozen one still does`, async () => {
    const c = cluster();
    const old = await c.waitForMaster();
    await waitSingleWriter(c, old.id, 'md0');
    const others = c.ids.filter((id) => id !== old.id);
    c.pause(old.id);
    await sleep(FREEZE_MS);
    c.resume(old.id);
    const m = await c.waitForMaster({ timeoutMs: 20_000 });
    await waitSingleWriter(c, m.id, 'md0');
    expect(others).toContain(m.id);
    const overlaps = findOverlaps(c.writerIntervals());
    expect(overlaps, describeOverlaps(overlaps)).toEqual([]);
  });
});
