// The `idle` benchmark: resident memory and idle CPU of real daemons managing many arrays.
// Starts 3 daemons on loopback, creates N small raid1 arrays (2 simulated 8 MiB disks each,
// --assume-clean so no resync runs), waits until every node shows all of them in /mdstat and
// the cluster is quiet, then samples each daemon's /proc/<pid>/stat CPU time over a window
// and its VmRSS at the end. In the same window it samples the TLS-heartbeat floor
// (bench/tls-floor.ts: a bare Node sender and 2 echoing receivers at the daemons' heartbeat
// interval) and reports each daemon against it: the master against the sender, a standby
// against a receiver. Targets per daemon (issue 15): RSS <= 60 MB, CPU <= 1 % of one core and
// <= 1.25x the floor. Also records how quiet the window really was: term changes and arrays
// switched read-only/writable (writer-role flaps make an "idle" master re-promote every array).
// The daemons run the shipped [transport] settings (ping interval), not the tests' faster ones.
// Writes bench/results/idle.json. Args: --arrays N --window-s N --settle-s N
import { join } from 'node:path';
import { sleep } from '../test/integration/harness.js';
import { WriterWatch } from '../test/integration/lib/writer-watch.js';
import { mib, parseIntFlags, procSample, type ProcSample } from '../test/integration/lib/bench-util.js';
import { MD_MAX_ARRAYS } from '../daemon/src/common/limits.js';
import { DEFAULT_TEST_TIMING, SHIPPED_TRANSPORT } from '../test/integration/lib/node-config.js';
import { machineFacts, writeResult } from './report.js';
import { TlsFloor } from './tls-floor.js';
import { TARGETS } from './summary.js';
import { ARRAY_SHAPE, startManyArrays } from './many-arrays.js';

const TARGET_RSS_MB = TARGETS.idleRssMB;
const TARGET_CPU_PCT = TARGETS.idleCpuPct;
const TARGET_VS_FLOOR = TARGETS.idleCpuVsFloor;

export async function main(args: string[]): Promise<void> {
  const o = parseIntFlags(args, { arrays: 100, windowS: 20, settleS: 5 }, { arrays: [1, MD_MAX_ARRAYS], windowS: [1, 3600], settleS: [0, 600] });
  const machine = machineFacts();
  // BENCH_DAEMON_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"): node flags for the daemons.
  const nodeArgs = (process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  // BENCH_TIMING (JSON, e.g. {"heartbeatTicks":5}): timing overrides, to measure what idle costs.
  const timing = JSON.parse(process.env.BENCH_TIMING ?? '{}') as Record<string, number>;
  const { c, createAllMs } = await startManyArrays(o.arrays, { name: 'bench-idle', proxies: false, logLevel: 'warn', nodeArgs, timing, transport: SHIPPED_TRANSPORT });
  const t = { ...DEFAULT_TEST_TIMING, ...timing };
  const heartbeatMs = t.tickMs * t.heartbeatTicks;
  let floor: TlsFloor | null = null;
  try {
    const m = await c.waitForMaster();
    const watch = new WriterWatch(new Map(c.ids.map((id) => [id, join(c.dataDir(id), 'writer.log')])));
    floor = await TlsFloor.start(heartbeatMs);
    await sleep(o.settleS * 1000);
    const termBefore = (await c.waitForMaster()).term;
    watch.mark();
    const before = new Map(c.ids.map((id) => [id, procSample(c.proc(id).pid!)]));
    const floorBefore = floor.procs.map((p) => procSample(p.pid));
    const w0 = performance.now();
    await sleep(o.windowS * 1000);
    const elapsedS = (performance.now() - w0) / 1000;
    const cpuPct = (a: ProcSample, b: ProcSample): number => Math.round(((b.cpuSeconds - a.cpuSeconds) / elapsedS) * 10_000) / 100;
    const floorProcs = floor.procs.map((p, i) => {
      const a = floorBefore[i];
      const b = procSample(p.pid);
      if (!a || !b) throw new Error(`the floor's ${p.role} exited during the measurement`);
      return { role: p.role, rssMB: mib(b.rssBytes), cpuPct: cpuPct(a, b) };
    });
    const sender = floorProcs.find((p) => p.role === 'sender')!;
    const receivers = floorProcs.filter((p) => p.role === 'receiver');
    const receiverCpu = Math.round((receivers.reduce((s, p) => s + p.cpuPct, 0) / receivers.length) * 100) / 100;
    const writerEvents = watch.newEvents();
    const after = await c.waitForMaster();
    const quiet = { termChanges: after.term - termBefore, arraysMadeWritable: writerEvents.filter((e) => e.ev.event === 'writable').length,
      arraysMadeReadOnly: writerEvents.filter((e) => e.ev.event === 'read-only').length };
    const nodes = c.ids.map((id) => {
      const a = before.get(id);
      const b = procSample(c.proc(id).pid!);
      if (!a || !b) throw new Error(`${id} exited during the measurement`);
      const role = id === after.id ? 'master' : 'standby';
      const pct = cpuPct(a, b);
      // The master sends the heartbeats (the floor's sender); a standby answers them (a receiver).
      const floorPct = role === 'master' ? sender.cpuPct : receiverCpu;
      return { node: id, role, rssMB: mib(b.rssBytes), cpuPct: pct, floorCpuPct: floorPct, vsFloor: floorPct > 0 ? Math.round((pct / floorPct) * 100) / 100 : null };
    });
    const maxRss = Math.max(...nodes.map((n) => n.rssMB));
    const maxCpu = Math.max(...nodes.map((n) => n.cpuPct));
    const ratios = nodes.map((n) => n.vsFloor);
    const maxVsFloor = ratios.every((r) => r !== null) ? Math.max(...(ratios as number[])) : null;
    const result = {
      benchmark: 'idle', at: new Date().toISOString(), machine, loadAverageAfter: machineFacts().loadAverage,
      setup: { nodes: 3, arrays: o.arrays, timingOverrides: timing, array: ARRAY_SHAPE, options: o, createAllMs,
        cpuResolution: 'utime+stime in 10 ms ticks over the window', masterChangedDuringRun: after.id !== m.id || after.term !== m.term,
        transport: SHIPPED_TRANSPORT, heartbeatMs },
      quiet, nodes, maxRssMB: maxRss, maxCpuPct: maxCpu, maxCpuVsFloor: maxVsFloor,
      floor: { heartbeatMs, heartbeatBytes: 32, echoBytes: 16, tls: 'TLSv1.3, mutual, loopback', sender, receivers, receiverCpuPct: receiverCpu },
      targets: { rssMB: TARGET_RSS_MB, cpuPct: TARGET_CPU_PCT, cpuVsFloor: TARGET_VS_FLOOR },
      meets: { rss: maxRss <= TARGET_RSS_MB, cpu: maxCpu <= TARGET_CPU_PCT, cpuVsFloor: maxVsFloor !== null && maxVsFloor <= TARGET_VS_FLOOR },
    };
    const path = await writeResult('idle', result);
    process.stdout.write(`idle: ${o.arrays} arrays, ${elapsedS.toFixed(0)} s window: ${nodes.map((n) => `${n.node}(${n.role}) ${n.rssMB} MB ${n.cpuPct} % = ${n.vsFloor ?? '-'}x floor`).join(', ')}`
      + `; floor at ${heartbeatMs} ms: sender ${sender.cpuPct} % ${sender.rssMB} MB, receivers ${receivers.map((r) => `${r.cpuPct} % ${r.rssMB} MB`).join(', ')}`
      + ` (targets <= ${TARGET_RSS_MB} MB, <= ${TARGET_CPU_PCT} % of a core and <= ${TARGET_VS_FLOOR}x the floor); during the window: ${quiet.termChanges} term changes,`
      + ` ${quiet.arraysMadeReadOnly} arrays switched read-only and ${quiet.arraysMadeWritable} writable (0 when truly idle) | load ${machine.loadAverage[0].toFixed(1)} | ${path}\n`);
  } catch (e) {
    process.stderr.write(c.failureReport() + '\n');
    throw e;
  } finally {
    floor?.stop();
    // With node flags (profiling), stop the daemons gracefully so they can write their output.
    if (nodeArgs.length > 0) for (const id of c.ids) await c.terminate(id).catch(() => null);
    await c.destroy();
  }
}
