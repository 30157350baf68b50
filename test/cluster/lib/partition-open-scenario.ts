// Scenario f2: the partition of scenario f, but while an application on the master holds the
// array open (as a mounted file system does). md refuses STOP_ARRAY_RO and STOP_ARRAY with
// EBUSY while another opener exists, so the daemon cannot demote by switching the array
// read-only; what matters is that the cut-off master still stops writing within its lease
// (read-only, or its fence: the configured stop-array, then a reboot) and that the new master
// writes only after that. Owns: the steps and checks; records which way the old master stopped.
// Invariant: every wait is bounded; a fenced (rebooted) node is booted again and must rejoin.
import { expect } from 'vitest';
import { waitFor } from '../../integration/lib/wait.js';
import { writerOverlaps } from './clock.js';
import type { LaneCluster } from './cluster.js';
import { CONVERGE_MS, READ_ONLY_PATTERN, waitReadOnly, waitWritable } from './md-checks.js';
import { mustSh, status, waitMaster, WRITABLE_PATTERN } from './node-ops.js';
import { laneTiming } from './setup.js';
import { LaneClocks, mergedWriterIntervals } from './writer-logs.js';

const { leaseTicks, tickMs } = laneTiming();
const LEASE_MS = leaseTicks * tickMs;
/** Beyond the lease: the failed STOP_ARRAY_RO/STOP_ARRAY calls, the reboot and TCG delays. */
const STOP_SLACK_MS = 2000;

export interface OpenPartitionOutcome {
  how: 'read-only' | 'fenced';
  stopAfterCutMs: number;
  newWriterAfterStopMs: number;
}

export async function partitionWhileOpenScenario(c: LaneCluster, md: string): Promise<OpenPartitionOutcome> {
  const clocks = new LaneClocks();
  const old = await waitMaster(c);
  const others = c.indexes.filter((i) => i !== old.index);
  await waitWritable(c, old.index, md);
  for (const s of others) await waitReadOnly(c, s, md);
  await clocks.estimateAll(c);
  const oldGuest = c.guest(old.index);
  const oldClk = clocks.get(oldGuest)!;
  // An application holds /dev/mdX open on the master until the guest ends.
  await mustSh(c, old.index, `setsid sh -c 'exec 3</dev/${md}; exec sleep 3600' </dev/null >/dev/null 2>&1 &`);
  await waitFor(`an opener of /dev/${md} on node${old.index}`, async () => {
    const out = await mustSh(c, old.index, `ls -l /proc/[0-9]*/fd 2>/dev/null | grep -c '/dev/${md}$' || true`);
    return Number(out.trim()) > 0 ? true : undefined;
  }, 30_000, 300);

  const demoted = oldGuest.rpc.beginWaitFile(`/sys/block/${md}/md/array_state`, READ_ONLY_PATTERN, CONVERGE_MS, 5);
  demoted.result.catch(() => undefined);
  const promoted = others.map((i) => ({ i, p: c.guest(i).rpc.beginWaitFile(`/sys/block/${md}/md/array_state`, WRITABLE_PATTERN, CONVERGE_MS, 5) }));
  promoted.forEach((x) => x.p.result.catch(() => undefined));
  const cutHostMs = Number((await mustSh(c, old.index, 'date +%s%3N; ip link set eth0 down')).trim().split('\n')[0]) - oldClk.offsetMs;
  const stopped = await Promise.race([
    demoted.result.then((r) => ({ how: 'read-only' as const, hostMs: r.matchedGuestWallMs - oldClk.offsetMs })),
    oldGuest.done.then(() => ({ how: 'fenced' as const, hostMs: oldGuest.endedWallMs ?? Date.now() })),
  ]);
  const stopAfterCutMs = Math.round(stopped.hostMs - cutHostMs);
  console.log(`[partition-open] node${old.index} cut off with /dev/${md} held open: stopped writing by ${stopped.how} ${stopAfterCutMs} ms later (lease ${LEASE_MS} ms)`);
  expect(stopAfterCutMs, 'the cut-off master stops writing within its lease (+ slack)').toBeLessThanOrEqual(LEASE_MS + STOP_SLACK_MS);

  const next = await waitMaster(c, { among: others, minTerm: old.term + 1 });
  const won = await promoted.find((x) => x.i === next.index)!.p.result;
  for (const x of promoted) if (x.i !== next.index) await c.guest(x.i).rpc.cancel(x.p.id).catch(() => false);
  const newClk = clocks.get(c.guest(next.index))!;
  const gapMs = Math.round(won.matchedGuestWallMs - newClk.offsetMs - stopped.hostMs);
  console.log(`[partition-open] node${next.index} writable ${gapMs} ms after node${old.index} stopped writing`);
  expect(gapMs - newClk.uncertaintyMs - oldClk.uncertaintyMs, 'the new writer starts only after the old one stopped').toBeGreaterThan(0);

  if (stopped.how === 'fenced') await c.reboot(old.index);
  else await mustSh(c, old.index, 'ip link set eth0 up');
  await waitFor(`node${old.index} back as a standby of node${next.index}`, async () => {
    const s = await status(c, old.index);
    return s.role === 'follower' && s.master === next.id && !s.writer ? true : undefined;
  }, CONVERGE_MS, 500);
  await waitReadOnly(c, old.index, md);
  await clocks.estimateAll(c);
  expect(writerOverlaps(mergedWriterIntervals(c, clocks, new Map([[oldGuest, stopped.hostMs]])))).toEqual([]);
  return { how: stopped.how, stopAfterCutMs, newWriterAfterStopMs: gapMs };
}
