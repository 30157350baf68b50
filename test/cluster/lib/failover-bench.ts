// Failover time on real kernels (task 3): on a lane cluster whose array `md` runs on the
// master, crash the master guest (sysrq b) and time until another guest's kernel runs it
// writable, `runs` times; the crashed guest is rebooted and rejoins as a standby before the
// next run. Each run also checks that exactly one survivor writes and, at the end, that the
// merged writer logs (host clock) never show two writers at once. Writes the result JSON.
// Owns: the bench loop and the result file's shape (bench/results/kernel-failover.json).
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { expect } from 'vitest';
import { waitFor } from '../../integration/lib/wait.js';
import { minWriterGapMs, writerOverlaps } from './clock.js';
import type { LaneCluster } from './cluster.js';
import { crashAndTimeFailover, type FailoverSample } from './failover.js';
import { CONVERGE_MS, waitReadOnly, waitWritable } from './md-checks.js';
import { status, waitMaster } from './node-ops.js';
import { failoverTargetMs, laneTiming } from './setup.js';
import { LaneClocks, mergedWriterIntervals } from './writer-logs.js';

function summary(xs: number[]): Record<string, number> {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { samples: s.length, minMs: s[0]!, p50Ms: q(0.5), maxMs: s[s.length - 1]!, meanMs: Math.round(s.reduce((a, b) => a + b, 0) / s.length) };
}

const roundOrNull = (x: number | null): number | null => (x === null ? null : Math.round(x));

function summaryOrNull(xs: (number | null)[]): Record<string, number> | null {
  const known = xs.filter((x): x is number => x !== null).map(Math.round);
  return known.length === 0 ? null : summary(known);
}

function sampleJson(s: FailoverSample): Record<string, unknown> {
  return {
    crashed: `node${s.crashed}`, newMaster: `node${s.newMaster}`, failoverMs: Math.round(s.failoverMs),
    electedMs: roundOrNull(s.electedMs), promoteMs: roundOrNull(s.promoteMs), errMs: Math.round(s.errMs),
  };
}

/** Reboots every node whose guest is down and waits until it follows `master`. */
export async function rebootDownNodes(c: LaneCluster): Promise<void> {
  for (const i of c.indexes.filter((x) => !c.alive(x))) {
    await c.reboot(i);
    await waitFor(`node${i} back as a standby`, async () => {
      const st = await status(c, i);
      return st.role === 'follower' && st.master !== null && st.master !== `node${i}` ? true : undefined;
    }, CONVERGE_MS, 500);
  }
}

export interface BenchExtras {
  /** Failovers measured by other scenarios on the same cluster (reported beside the runs). */
  other: Record<string, FailoverSample[]>;
}

export async function failoverBench(c: LaneCluster, md: string, runs: number, resultPath: string, extras: BenchExtras): Promise<FailoverSample[]> {
  const clocks = new LaneClocks();
  const loadBefore = loadavg();
  const samples: FailoverSample[] = [];
  for (let run = 0; run < runs; run++) {
    await rebootDownNodes(c);
    const m = await waitMaster(c);
    await waitWritable(c, m.index, md);
    for (const i of c.indexes.filter((x) => x !== m.index)) await waitReadOnly(c, i, md);
    await clocks.estimateAll(c);
    const s = await crashAndTimeFailover(c, m.index, md, CONVERGE_MS);
    samples.push(s);
    console.log(`[failover] run ${run + 1}/${runs}: node${s.crashed} crashed -> node${s.newMaster} writable in ${Math.round(s.failoverMs)} ms (+/- ${Math.round(s.errMs)}; leader after ${String(s.electedMs === null ? '?' : Math.round(s.electedMs))} ms, then writable in ${String(s.promoteMs === null ? '?' : Math.round(s.promoteMs))} ms)`);
    const next = await waitMaster(c, { candidates: [s.newMaster], minTerm: m.term + 1 });
    const survivor = c.indexes.find((i) => i !== m.index && i !== next.index)!;
    expect((await status(c, survivor)).writer, `run ${run + 1}: the other survivor does not write`).toBe(false);
    await waitReadOnly(c, survivor, md);
  }
  await clocks.estimateAll(c);
  const intervals = mergedWriterIntervals(c, clocks);
  const overlaps = writerOverlaps(intervals);
  const result = {
    benchmark: 'kernel-failover',
    at: new Date().toISOString(),
    machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, totalMemBytes: totalmem(), loadAverage: loadBefore },
    loadAverageAfter: loadavg(),
    setup: {
      nodes: 3,
      guests: 'qemu TCG (the nested KVM here cannot run a stock kernel), Debian 6.1 kernel, one vCPU and 448 MiB per guest, 3 guests on a shared 2-core host',
      md: `raid1 ${md} on two shared raw files (cache=none, file.locking=off, share-rw=on), no bitmap`,
      transport: 'mutual TLS over a qemu multicast L2 segment in a private netns',
      timingProfile: process.env.CLUSTER_TIMING ?? 'tcg',
      timing: laneTiming(),
      failoverTargetMs: failoverTargetMs(laneTiming()),
      measuredFrom: 'the crashed guest\'s wall clock just before its agent writes b to /proc/sysrq-trigger, mapped to the host clock',
      measuredTo: `the first survivor whose /sys/block/${md}/md/array_state reads writable (its agent polls every 5 ms), mapped to the host clock`,
      clockMapping: 'per guest incarnation, the min-RTT sample of 7 host<->agent clock exchanges over 9p; errMs = both half-RTTs',
    },
    failover: summary(samples.map((s) => Math.round(s.failoverMs))),
    electedMs: summaryOrNull(samples.map((s) => s.electedMs)),
    promoteMs: summaryOrNull(samples.map((s) => s.promoteMs)),
    runs: samples.map(sampleJson),
    otherScenarios: Object.fromEntries(Object.entries(extras.other).map(([k, v]) => [k, v.map(sampleJson)])),
    writerLog: { intervals: intervals.filter((iv) => iv.device === md).length, overlaps: overlaps.length, minGapMs: minWriterGapMs(intervals, md) },
  };
  writeFileSync(resultPath, JSON.stringify(result, null, 2) + '\n');
  console.log(`[failover] ${JSON.stringify(result.failover)} -> ${resultPath}`);
  expect(overlaps, 'merged writer logs: never two writers at once').toEqual([]);
  return samples;
}
