// Scenario f. partition, on a running lane cluster with array MD writable on its master: the
// master guest loses its network (its NIC goes down; the host still reaches its agent over
// 9p). It must switch the array read-only within its lease, a new master must take over only
// after that (kernel states and merged writer logs, on the host clock), the cut-off node must
// never claim the writer role while cut off, and once the network returns it must rejoin as a
// standby with a current view (its /mdstat equal to the new master kernel's /proc/mdstat).
// Owns: the scenario's steps and assertions (vitest expect). Invariant: every wait is bounded.
import { expect } from 'vitest';
import { waitFor } from '../../integration/lib/wait.js';
import { minWriterGapMs, writerOverlaps } from './clock.js';
import type { LaneCluster } from './cluster.js';
import { CONVERGE_MS, VIEW_CONVERGE_MS, READ_ONLY_PATTERN, expectMdstatsEqualMaster, waitReadOnly, waitWritable, splitPersonalities, viewMatchesKernel, withSortedMembers } from './md-checks.js';
import { clusterMdstat, mustSh, procMdstat, status, waitMaster, WRITABLE_PATTERN } from './node-ops.js';
import { laneTiming } from './setup.js';
import { LaneClocks, mergedWriterIntervals } from './writer-logs.js';

const { leaseTicks, tickMs } = laneTiming();
const LEASE_MS = leaseTicks * tickMs;
/** What the demotion may take beyond the lease: the STOP_ARRAY_RO call and a TCG scheduling delay. */
const DEMOTE_SLACK_MS = 1000;

export async function partitionScenario(c: LaneCluster, MD: string): Promise<void> {
  const clocks = new LaneClocks();
  const old = await waitMaster(c);
  const others = c.indexes.filter((i) => i !== old.index);
  await waitWritable(c, old.index, MD);
  for (const s of others) await waitReadOnly(c, s, MD);
  await clocks.estimateAll(c);

  // Arm the watches, then cut the master's NIC; all times below are guest clocks mapped to the host.
  const demoted = c.guest(old.index).rpc.beginWaitFile(`/sys/block/${MD}/md/array_state`, READ_ONLY_PATTERN, CONVERGE_MS, 5);
  const promoted = others.map((i) => ({ i, p: c.guest(i).rpc.beginWaitFile(`/sys/block/${MD}/md/array_state`, WRITABLE_PATTERN, CONVERGE_MS, 5) }));
  promoted.forEach((x) => x.p.result.catch(() => undefined));
  const cutGuestMs = Number((await mustSh(c, old.index, 'date +%s%3N; ip link set eth0 down')).trim().split('\n')[0]);
  const demotedAt = await demoted.result;
  const demoteMs = demotedAt.matchedGuestWallMs - cutGuestMs;
  console.log(`[partition] node${old.index} cut off; its kernel read-only ${demoteMs} ms later (lease ${LEASE_MS} ms)`);
  expect(demoteMs, 'demotion within the lease (+ slack)').toBeLessThanOrEqual(LEASE_MS + DEMOTE_SLACK_MS);

  const next = await waitMaster(c, { among: others, minTerm: old.term + 1 });
  const won = await promoted.find((x) => x.i === next.index)!.p.result;
  for (const x of promoted) if (x.i !== next.index) await c.guest(x.i).rpc.cancel(x.p.id).catch(() => false);
  const oldClk = clocks.get(c.guest(old.index))!;
  const newClk = clocks.get(c.guest(next.index))!;
  const gapMs = (won.matchedGuestWallMs - newClk.offsetMs) - (demotedAt.matchedGuestWallMs - oldClk.offsetMs);
  console.log(`[partition] node${next.index} writable ${Math.round(gapMs)} ms (+/- ${Math.round(newClk.uncertaintyMs + oldClk.uncertaintyMs)}) after node${old.index} went read-only`);
  expect(gapMs - newClk.uncertaintyMs - oldClk.uncertaintyMs, 'new writer only after the old one stopped').toBeGreaterThan(0);

  for (let k = 0; k < 5; k++) {
    expect((await status(c, old.index)).writer, 'the cut-off node never writes again while cut off').toBe(false);
    await new Promise((r) => setTimeout(r, 500));
  }

  await mustSh(c, old.index, 'ip link set eth0 up');
  await waitFor(`node${old.index} back as a standby of node${next.index}`, async () => {
    const s = await status(c, old.index);
    return s.role === 'follower' && s.leader === next.id && s.master === next.id && !s.writer ? s : undefined;
  }, CONVERGE_MS, 500);
  expect((await waitMaster(c)).id, 'healing does not move the master').toBe(next.id);
  await waitReadOnly(c, old.index, MD);
  // Member order in the mdX line is ignored: after the new master's re-assembly md lists the
  // members in mdadm's order, which the cluster record does not carry (failover.ctest.ts checks
  // byte equality after a failover on its own).
  await expectMdstatsEqualMaster(c, next.index, VIEW_CONVERGE_MS, true);
  // The rejoined node's view: byte for byte after the Personalities line, which is an in-order
  // subset of the kernel's (md-checks.ts splitPersonalities: the unit preloads raid modules).
  const rejoined = withSortedMembers(await clusterMdstat(c, old.index));
  const masterKernel = withSortedMembers(await procMdstat(c, next.index));
  expect(splitPersonalities(rejoined).rest).toBe(splitPersonalities(masterKernel).rest);
  expect(viewMatchesKernel(rejoined, masterKernel), `${rejoined}\n${masterKernel}`).toBe(true);

  await clocks.estimateAll(c);
  const intervals = mergedWriterIntervals(c, clocks);
  console.log(`[partition] writer intervals: ${intervals.map((iv) => `${iv.node} ${Math.round(iv.startMs)}..${Math.round(iv.endMs)}`).join(', ')}; min gap ${minWriterGapMs(intervals, MD)} ms`);
  expect(intervals.filter((iv) => iv.device === MD).length, 'both masters logged a writer interval').toBeGreaterThanOrEqual(2);
  expect(writerOverlaps(intervals)).toEqual([]);
}
