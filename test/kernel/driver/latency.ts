// Guest-side event latency measurement: time from `echo faulty > md/dev-X/state` to the watcher
// delivering the typed member-faulty event, over many trials. The write happens on a separate
// writer thread (as in production, where another process fails the disk), so the watcher's main
// thread is idle while md handles the write; both ends are epoch times
// (performance.timeOrigin + now), comparable across threads.
// Between trials the member is brought back alternately through the two re-add paths (bound:
// dev-X/state "re-add"; removed: HOT_REMOVE_DISK then ADD_NEW_DISK), each a bitmap recovery.
// Besides the end-to-end time, afterWriteMs is the time from the write's return (md has handled
// the failure) to the typed event: the share of this project's code, which excludes md's own
// work and the guest's wait for a host CPU inside the write.
// The first `warmup` trials (cold JIT in a TCG guest) are reported separately in
// results.latency.warmupMs and left out of the percentiles.
// Owns: the trial loop, the writer thread and the summary in results.latency.
import { Worker } from 'node:worker_threads';
import type { KernelMdDriver } from '../../../daemon/src/md/kernel/driver.js';
import type { MdEvent } from '../../../daemon/src/md/types.js';
import type { RefreshInfo } from '../../../daemon/src/md/kernel/watcher.js';
import { expectTrue, lastRefresh, percentile, results, sleep, waitIdle, waitUntil } from './lib.js';

export interface LatencyOptions {
  array: string;
  member: string;
  /** Kernel name of `member` (dev-X). */
  memberName: string;
  trials: number;
  warmup: number;
}

const WRITER = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
parentPort.on('message', ({ path, value }) => {
  const t0 = performance.timeOrigin + performance.now();
  let error = null;
  try { fs.writeFileSync(path, value); } catch (e) { error = String(e); }
  parentPort.postMessage({ t0, t1: performance.timeOrigin + performance.now(), error });
});
`;

interface Written { t0: number; t1: number; error: string | null }

const now = () => performance.timeOrigin + performance.now();
const round = (x: number) => Math.round(x * 100) / 100;

/** Runs the trials; every event the watcher delivered is kept for the caller's checks. */
export async function measureFaultLatency(d: KernelMdDriver, o: LatencyOptions, seen: MdEvent[]): Promise<number[]> {
  const rows: { write: Written; eventAt: number; info: RefreshInfo | null }[] = [];
  let pending: ((at: number, info: RefreshInfo | null) => void) | null = null;
  const writer = new Worker(WRITER, { eval: true });
  const handle = d.watch((e) => {
    seen.push(e);
    if (pending !== null && e.type === 'member-faulty' && e.device === o.array && e.member === o.member) {
      const p = pending;
      pending = null;
      p(now(), lastRefresh.info);
    }
  });
  try {
    await handle.ready; // the worker has opened and armed its files
    for (let i = 0; i < o.warmup + o.trials; i++) {
      const event = new Promise<{ at: number; info: RefreshInfo | null }>((resolve) => { pending = (at, info) => resolve({ at, info }); });
      const written = new Promise<Written>((resolve) => writer.once('message', resolve));
      writer.postMessage({ path: `/sys/block/${o.array}/md/dev-${o.memberName}/state`, value: 'faulty' });
      const write = await written;
      expectTrue(write.error === null, `write faulty: ${write.error}`);
      const got = await Promise.race([event, sleep(5000).then(() => null)]);
      expectTrue(got !== null, `member-faulty event within 5 s in trial ${i}`);
      rows.push({ write, eventAt: got!.at, info: got!.info });
      await restore(d, o, i);
    }
  } finally {
    await handle.close();
    await writer.terminate();
  }
  summarize(rows, o.warmup);
  return rows.map((r) => r.eventAt - r.write.t0);
}

function summarize(rows: { write: Written; eventAt: number; info: RefreshInfo | null }[], warmup: number): void {
  const measured = rows.slice(warmup);
  const samples = measured.map((r) => r.eventAt - r.write.t0);
  const sorted = [...samples].sort((a, b) => a - b);
  const nan = Number.NaN;
  results.latency = {
    trials: samples.length,
    samplesMs: samples.map(round),
    warmupMs: rows.slice(0, warmup).map((r) => round(r.eventAt - r.write.t0)),
    writeMs: measured.map((r) => round(r.write.t1 - r.write.t0)),
    afterWriteMs: measured.map((r) => round(r.eventAt - r.write.t1)),
    afterWriteP99Ms: percentile(measured.map((r) => r.eventAt - r.write.t1).sort((a, b) => a - b), 99),
    workerWakeMs: measured.map((r) => round((r.info?.wokeAtMs ?? nan) - r.write.t0)),
    dispatchMs: measured.map((r) => round((r.info?.startedAtMs ?? nan) - (r.info?.wokeAtMs ?? nan))),
    rereadMs: measured.map((r) => round((r.info?.readAtMs ?? nan) - (r.info?.startedAtMs ?? nan))),
    p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted[sorted.length - 1],
  };
}

async function restore(d: KernelMdDriver, o: LatencyOptions, trial: number): Promise<void> {
  // md takes the failed device out of its slot asynchronously; both paths need that first.
  await waitUntil('faulty member out of its slot', 10_000, async () => {
    const m = (await d.readArray(o.array)).members.find((x) => x.devPath === o.member);
    return m !== undefined && m.flags.includes('faulty') && m.slot === null ? true : undefined;
  });
  if (trial % 2 === 1) await d.hotRemove(o.array, o.member);
  await d.reAdd(o.array, o.member);
  const s = await waitIdle(d, o.array, 60_000);
  expectTrue(s.members.find((x) => x.devPath === o.member)?.flags.includes('in_sync'), 'member back in sync');
}
