// The `idle` benchmark: resident memory and idle CPU of real daemons managing many arrays.
// Starts 3 daemons on loopback, creates N small raid1 arrays (2 simulated 8 MiB disks each,
// --assume-clean so no resync runs), waits until every node shows all of them in /mdstat and
// the cluster is quiet, then samples each daemon's /proc/<pid>/stat CPU time over a window
// and its VmRSS at the end. Targets per daemon: RSS <= 60 MB, CPU <= 0.5 % of one core. Also
// records how quiet the window really was: term changes and arrays switched read-only/writable
// (writer-role flaps make an "idle" master re-promote every array).
// Writes bench/results/idle.json. Args: --arrays N --window-s N --settle-s N
import { join } from 'node:path';
import { sleep } from '../test/integration/harness.js';
import { WriterWatch } from '../test/integration/lib/writer-watch.js';
import { mib, parseIntFlags, procSample } from '../test/integration/lib/bench-util.js';
import { MD_MAX_ARRAYS } from '../daemon/src/common/limits.js';
import { machineFacts, writeResult } from './report.js';
import { ARRAY_SHAPE, startManyArrays } from './many-arrays.js';

const TARGET_RSS_MB = 60;
const TARGET_CPU_PCT = 0.5;

export async function main(args: string[]): Promise<void> {
  const o = parseIntFlags(args, { arrays: 100, windowS: 20, settleS: 5 }, { arrays: [1, MD_MAX_ARRAYS], windowS: [1, 3600], settleS: [0, 600] });
  const machine = machineFacts();
  // BENCH_DAEMON_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"): node flags for the daemons.
  const nodeArgs = (process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  // BENCH_TIMING (JSON, e.g. {"heartbeatTicks":5}): timing overrides, to measure what idle costs.
  const timing = JSON.parse(process.env.BENCH_TIMING ?? '{}') as Record<string, number>;
  const { c, createAllMs } = await startManyArrays(o.arrays, { name: 'bench-idle', proxies: false, logLevel: 'warn', nodeArgs, timing });
  try {
    const m = await c.waitForMaster();
    const watch = new WriterWatch(new Map(c.ids.map((id) => [id, join(c.dataDir(id), 'writer.log')])));
    await sleep(o.settleS * 1000);
    const termBefore = (await c.waitForMaster()).term;
    watch.mark();
    const before = new Map(c.ids.map((id) => [id, procSample(c.proc(id).pid!)]));
    const w0 = performance.now();
    await sleep(o.windowS * 1000);
    const elapsedS = (performance.now() - w0) / 1000;
    const writerEvents = watch.newEvents();
    const after = await c.waitForMaster();
    const quiet = { termChanges: after.term - termBefore, arraysMadeWritable: writerEvents.filter((e) => e.ev.event === 'writable').length,
      arraysMadeReadOnly: writerEvents.filter((e) => e.ev.event === 'read-only').length };
    const nodes = c.ids.map((id) => {
      const a = before.get(id);
      const b = procSample(c.proc(id).pid!);
      if (!a || !b) throw new Error(`${id} exited during the measurement`);
      return { node: id, role: id === after.id ? 'master' : 'standby', rssMB: mib(b.rssBytes), cpuPct: Math.round(((b.cpuSeconds - a.cpuSeconds) / elapsedS) * 10_000) / 100 };
    });
    const maxRss = Math.max(...nodes.map((n) => n.rssMB));
    const maxCpu = Math.max(...nodes.map((n) => n.cpuPct));
    const result = {
      benchmark: 'idle', at: new Date().toISOString(), machine, loadAverageAfter: machineFacts().loadAverage,
      setup: { nodes: 3, arrays: o.arrays, timingOverrides: timing, array: ARRAY_SHAPE, options: o, createAllMs,
        cpuResolution: 'utime+stime in 10 ms ticks over the window', masterChangedDuringRun: after.id !== m.id || after.term !== m.term },
      quiet, nodes, maxRssMB: maxRss, maxCpuPct: maxCpu,
      targets: { rssMB: TARGET_RSS_MB, cpuPct: TARGET_CPU_PCT }, meets: { rss: maxRss <= TARGET_RSS_MB, cpu: maxCpu <= TARGET_CPU_PCT },
    };
    const path = await writeResult('idle', result);
    process.stdout.write(`idle: ${o.arrays} arrays, ${elapsedS.toFixed(0)} s window: ${nodes.map((n) => `${n.node}(${n.role}) ${n.rssMB} MB ${n.cpuPct} %`).join(', ')}`
      + ` (targets <= ${TARGET_RSS_MB} MB, <= ${TARGET_CPU_PCT} % of a core); during the window: ${quiet.termChanges} term changes,`
      + ` ${quiet.arraysMadeReadOnly} arrays switched read-only and ${quiet.arraysMadeWritable} writable (0 when truly idle) | load ${machine.loadAverage[0].toFixed(1)} | ${path}\n`);
  } catch (e) {
    process.stderr.write(c.failureReport() + '\n');
    throw e;
  } finally {
    // With node flags (profiling), stop the daemons gracefully so they can write their output.
    if (nodeArgs.length > 0) for (const id of c.ids) await c.terminate(id).catch(() => null);
    await c.destroy();
  }
}
