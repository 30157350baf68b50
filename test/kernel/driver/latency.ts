// Guest-side event latency measurement: time from `echo faulty > md/dev-X/state` (a sysfs write
// on this thread) to the watcher delivering the typed member-faulty event, over many trials.
// Between trials the member is brought back alternately through the two re-add paths (bound:
// dev-X/state "re-add"; removed: HOT_REMOVE_DISK then ADD_NEW_DISK), each a bitmap recovery.
// Owns: the trial loop and the percentile summary in results.latency.
import type { KernelMdDriver } from '../../../daemon/src/md/kernel/driver.js';
import type { MdEvent } from '../../../daemon/src/md/types.js';
import { expectTrue, percentile, results, sleep, waitIdle, waitUntil, writeSysfs } from './lib.js';

export interface LatencyOptions {
  array: string;
  member: string;
  /** Kernel name of `member` (dev-X). */
  memberName: string;
  trials: number;
}

/** Runs the trials; every event the watcher delivered is kept for the caller's checks. */
export async function measureFaultLatency(d: KernelMdDriver, o: LatencyOptions, seen: MdEvent[]): Promise<number[]> {
  const samples: number[] = [];
  let pending: { t0: number; resolve: (ms: number) => void } | null = null;
  const handle = d.watch((e) => {
    seen.push(e);
    if (pending !== null && e.type === 'member-faulty' && e.device === o.array && e.member === o.member) {
      const p = pending;
      pending = null;
      p.resolve(performance.now() - p.t0);
    }
  });
  try {
    await handle.ready; // the worker has opened and armed its files
    for (let i = 0; i < o.trials; i++) {
      const got = new Promise<number>((resolve) => { pending = { t0: 0, resolve }; });
      pending!.t0 = performance.now();
      writeSysfs(o.array, `dev-${o.memberName}/state`, 'faulty');
      const ms = await Promise.race([got, sleep(5000).then(() => -1)]);
      expectTrue(ms >= 0, `member-faulty event within 5 s in trial ${i}`);
      samples.push(ms);
      await restore(d, o, i);
    }
  } finally {
    await handle.close();
  }
  const sorted = [...samples].sort((a, b) => a - b);
  results.latency = {
    trials: samples.length, samplesMs: samples.map((x) => Math.round(x * 100) / 100),
    p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted[sorted.length - 1],
  };
  return samples;
}

async function restore(d: KernelMdDriver, o: LatencyOptions, trial: number): Promise<void> {
  // md takes the failed device out of its slot asynchronously; both paths need that first.
  await waitUntil('faulty member out of its slot', 10_000, async () => {
    const m = (await d.readArray(o.array)).members.find((x) => x.devPath === o.member);
    return m !== undefined && m.flags.includes('faulty') && m.slot === null ? true : undefined;
  });
  if (trial % 2 === 1) await d.hotRemove(o.array, o.member);
  await d.reAdd(o.array, o.member);
  await waitUntil('member back in sync', 60_000, async () => {
    const s = await waitIdle(d, o.array);
    const m = s.members.find((x) => x.devPath === o.member);
    return m !== undefined && m.flags.includes('in_sync') && s.degraded === 0 ? true : undefined;
  });
}
