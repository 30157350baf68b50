// The `mdctl` benchmark: wall time of the CLI as a fresh process, as an admin or a script runs
// it, against `node -e 0` (the floor of any Node.js CLI). Runs, alternating to share machine
// noise fairly: `node -e 0`, `mdctl --version`, and `mdctl --detail /dev/md0` against a live
// 3-daemon cluster (a linearizable state read through the local daemon). Target (issue 15):
// p50 of each mdctl command <= 1.3 x p50 of `node -e 0`. Wall time on a loaded 2-core machine
// swings with the load, so each command's CPU time (user + system, from this process's
// cutime/cstime in /proc/self/stat: the children it reaped; 10 ms ticks, so a mean over the
// runs) is recorded too, as a load-insensitive view of the same ratio.
// BENCH_MDCTL_JS=<path to another build's dist/mdctl/src/main.js> measures that build instead
// (before/after comparisons in one window of machine load); the result records which.
// Writes bench/results/mdctl.json.
// Args: --runs N --warmup N
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Cluster } from '../test/integration/harness.js';
import { createRaid1 } from '../test/integration/lib/arrays.js';
import { parseIntFlags, SAMPLES_RANGE, summarize } from '../test/integration/lib/bench-util.js';
import { mdctlMainJs, runMdctl } from '../test/integration/lib/mdctl-run.js';
import { machineFacts, writeResult } from './report.js';

const TARGET_RATIO = 1.3;
/** USER_HZ: the unit of cutime/cstime (100 on every Linux we run on). */
const USER_HZ = 100;
const RUN_TIMEOUT_MS = 30_000;

/** CPU seconds of the reaped children of this process so far (cutime + cstime). */
function childCpuS(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[13]) + Number(rest[14])) / USER_HZ; // fields 16 and 17
}

/** Runs `fn` (one child process, awaited until it exited) and adds its CPU time to `cpu`. */
async function withCpu(cpu: number[], fn: () => Promise<number>): Promise<number> {
  const c0 = childCpuS();
  const wall = await fn();
  cpu.push((childCpuS() - c0) * 1000);
  return wall;
}

function nodeFloor(): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', '0'], { timeout: RUN_TIMEOUT_MS }, (err) => (err ? reject(err) : resolve(performance.now() - t0)));
  });
}

const MDCTL_JS = process.env.BENCH_MDCTL_JS ?? mdctlMainJs();

async function timed(socket: string, args: string[]): Promise<number> {
  const r = await runMdctl(socket, args, MDCTL_JS);
  if (r.code !== 0) throw new Error(`mdctl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.wallMs;
}

export async function main(args: string[]): Promise<void> {
  const o = parseIntFlags(args, { runs: 30, warmup: 3 }, { runs: SAMPLES_RANGE, warmup: [0, 1000] });
  const machine = machineFacts();
  const c = await Cluster.start({ name: 'bench-mdctl', proxies: false, logLevel: 'warn', disks: [{ id: 'sda', sizeSectors: 65_536 }, { id: 'sdb', sizeSectors: 65_536 }] });
  try {
    await createRaid1(c, 'n1', { device: 'md0', members: ['/dev/sda', '/dev/sdb'], raidDevices: 2, spares: 0, assumeClean: true });
    await c.waitSame('/mdstat with md0', async (id) => ((await c.mdstat(id)).includes('md0 :') ? 'ok' : `${id}: no md0`));
    const socket = c.controlSocket((await c.waitForMaster()).id === 'n1' ? 'n2' : 'n1'); // a standby: the read goes through ReadIndex
    const floor: number[] = [];
    const version: number[] = [];
    const detail: number[] = [];
    const cpu = { nodeE0: [] as number[], version: [] as number[], detail: [] as number[] };
    for (let i = 0; i < o.warmup + o.runs; i++) {
      const f = await withCpu(cpu.nodeE0, () => nodeFloor());
      const v = await withCpu(cpu.version, () => timed(socket, ['--version']));
      const d = await withCpu(cpu.detail, () => timed(socket, ['--detail', '/dev/md0']));
      if (i < o.warmup) { for (const k of ['nodeE0', 'version', 'detail'] as const) cpu[k].pop(); continue; }
      floor.push(f);
      version.push(v);
      detail.push(d);
    }
    const mean = (xs: number[]): number => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10;
    const cpuMeanMs = { nodeE0: mean(cpu.nodeE0), version: mean(cpu.version), detail: mean(cpu.detail) };
    const cpuRatio = { version: Math.round((cpuMeanMs.version / cpuMeanMs.nodeE0) * 100) / 100, detail: Math.round((cpuMeanMs.detail / cpuMeanMs.nodeE0) * 100) / 100 };
    const nodeE0 = summarize(floor);
    const ver = summarize(version);
    const det = summarize(detail);
    const ratio = (x: number): number => Math.round((x / nodeE0.p50Ms) * 100) / 100;
    const result = {
      benchmark: 'mdctl', at: new Date().toISOString(), machine, loadAverageAfter: machineFacts().loadAverage,
      setup: { runs: o.runs, warmup: o.warmup, cli: `node ${MDCTL_JS} --socket <standby control socket>`, cluster: '3 real daemons, md0 raid1' },
      nodeE0, version: ver, detail: det, ratioP50: { version: ratio(ver.p50Ms), detail: ratio(det.p50Ms) }, cpuMeanMs, cpuRatio,
      targets: { ratioP50: TARGET_RATIO }, meets: { version: ratio(ver.p50Ms) <= TARGET_RATIO, detail: ratio(det.p50Ms) <= TARGET_RATIO },
    };
    const path = await writeResult('mdctl', result);
    process.stdout.write(`mdctl: node -e 0 p50 ${nodeE0.p50Ms.toFixed(0)} ms; --version p50 ${ver.p50Ms.toFixed(0)} ms (${ratio(ver.p50Ms)}x);`
      + ` --detail /dev/md0 p50 ${det.p50Ms.toFixed(0)} ms (${ratio(det.p50Ms)}x) (target <= ${TARGET_RATIO}x);`
      + ` CPU mean node -e 0 ${cpuMeanMs.nodeE0} ms, --version ${cpuMeanMs.version} ms (${cpuRatio.version}x), --detail ${cpuMeanMs.detail} ms (${cpuRatio.detail}x)`
      + ` | load ${machine.loadAverage[0].toFixed(1)} | ${path}\n`);
  } catch (e) {
    process.stderr.write(c.failureReport() + '\n');
    throw e;
  } finally {
    await c.destroy();
  }
}
