// The `commit` benchmark: latency of one md command through a real daemon's control socket
// until it is applied on all 3 nodes (propose with waitAll), on a 3-process loopback cluster
// with real TLS links and fsync'd logs. The command toggles write-mostly on a raid1 member: a
// real md change each time (the master's kernel applies it, every node's state records it).
// Measures, one request at a time: through the master's socket, and through a standby's
// (which forwards to the leader). Target: p99 <= 10 ms through the master.
// Writes bench/results/commit.json. Args: --samples N --warmup N
import { Cluster } from '../test/integration/harness.js';
import { createRaid1, waitSingleWriter } from '../test/integration/lib/arrays.js';
import { ControlConn } from '../test/integration/lib/control.js';
import { parseIntFlags, SAMPLES_RANGE, summarize, type LatencySummary } from '../test/integration/lib/bench-util.js';
import { machineFacts, writeResult } from './report.js';

const TARGET_P99_MS = 10;

async function measure(conn: ControlConn, samples: number, warmup: number, flip: { on: boolean }): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < warmup + samples; i++) {
    flip.on = !flip.on;
    const t0 = performance.now();
    await conn.request('propose', { command: { op: 'write-mostly', device: 'md0', member: '/dev/sdb', on: flip.on }, waitAll: true, timeoutMs: 10_000 });
    if (i >= warmup) out.push(performance.now() - t0);
  }
  return out;
}

export async function main(args: string[]): Promise<void> {
  const o = parseIntFlags(args, { samples: 500, warmup: 50 }, { samples: SAMPLES_RANGE, warmup: [0, 10_000] });
  const machine = machineFacts();
  const c = await Cluster.start({ name: 'bench-commit', proxies: false, logLevel: 'warn', disks: [{ id: 'sda', sizeSectors: 65_536 }, { id: 'sdb', sizeSectors: 65_536 }] });
  try {
    await createRaid1(c, 'n1', { device: 'md0', members: ['/dev/sda', '/dev/sdb'], raidDevices: 2, spares: 0, assumeClean: true });
    const m = await c.waitForMaster();
    await waitSingleWriter(c, m.id, 'md0');
    const standby = c.ids.find((id) => id !== m.id)!;
    const flip = { on: false };
    const viaMaster = new ControlConn(c.controlSocket(m.id));
    const viaStandby = new ControlConn(c.controlSocket(standby));
    let master: LatencySummary;
    let forwarded: LatencySummary;
    try {
      master = summarize(await measure(viaMaster, o.samples, o.warmup, flip));
      forwarded = summarize(await measure(viaStandby, o.samples, o.warmup, flip));
    } finally {
      viaMaster.close();
      viaStandby.close();
    }
    const after = await c.waitForMaster();
    const result = {
      benchmark: 'commit', at: new Date().toISOString(), machine, loadAverageAfter: machineFacts().loadAverage,
      setup: { nodes: 3, processes: 'real mdclusterd per node, loopback TLS, sim md driver', command: 'write-mostly toggle on md0 /dev/sdb, waitAll: true', options: o,
        masterChangedDuringRun: after.id !== m.id || after.term !== m.term },
      viaMaster: master, viaStandby: forwarded, targets: { viaMasterP99Ms: TARGET_P99_MS }, meets: { viaMasterP99: master.p99Ms <= TARGET_P99_MS },
    };
    const path = await writeResult('commit', result);
    process.stdout.write(`commit: md command applied on all 3 nodes, via master p50 ${master.p50Ms.toFixed(2)} ms p99 ${master.p99Ms.toFixed(2)} ms`
      + ` (target p99 <= ${TARGET_P99_MS}); via standby p50 ${forwarded.p50Ms.toFixed(2)} ms p99 ${forwarded.p99Ms.toFixed(2)} ms`
      + ` | load ${machine.loadAverage[0].toFixed(1)} | ${path}\n`);
  } catch (e) {
    process.stderr.write(c.failureReport() + '\n');
    throw e;
  } finally {
    await c.destroy();
  }
}
