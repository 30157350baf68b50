// Kernel driver scenario, run INSIDE a kernel-lab guest (real Linux md, disks /dev/vda..vdh):
// `node dist/test/kernel/driver/scenario.js`. Owns: the order of the scenario groups and the
// exit status. Every MdDriver method is exercised against the real kernel and checked against
// sysfs and mdadm; the event latency from `echo faulty > dev-X/state` to the typed event is
// measured. Results: $LAB_OUT/driver-results.json; exit status 0 iff every check passed.
// Environment: DRIVER_TRIALS (latency trials, default 100).
import { KernelMdDriver } from '../../../daemon/src/md/kernel/driver.js';
import { check, lastRefresh, results, writeResults } from './lib.js';
import { raid1Scenario } from './raid1.js';
import { levelScenarios } from './levels.js';

async function main(): Promise<number> {
  const trials = Number(process.env.DRIVER_TRIALS ?? '100');
  const watchErrors: string[] = [];
  const d = new KernelMdDriver({ onWatchError: (e) => watchErrors.push(String(e)), onWatchRefresh: (info) => { lastRefresh.info = info; } });
  const t0 = performance.now();
  try {
    await raid1Scenario(d, trials);
    await levelScenarios(d);
    await check('no watcher errors', () => {
      if (watchErrors.length > 0) throw new Error(watchErrors.join('; '));
    });
  } finally {
    await d.close();
    results.notes.totalMs = Math.round(performance.now() - t0);
    writeResults();
  }
  const failed = results.checks.filter((c) => !c.ok);
  console.log(`driver scenario: ${results.checks.length - failed.length} passed, ${failed.length} failed`);
  if (results.latency) console.log(`latency: p50=${results.latency.p50Ms.toFixed(2)}ms p99=${results.latency.p99Ms.toFixed(2)}ms max=${results.latency.maxMs.toFixed(2)}ms over ${results.latency.trials}`);
  return failed.length === 0 ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(err);
  process.exitCode = 2;
});
