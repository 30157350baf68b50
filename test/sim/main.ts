// CLI of the deterministic Raft simulator: `npm run sim -- --seeds N [--from K] [--steps M]`,
// `npm run sim -- --seed S [--verbose]`, plus `--profile mixed|churn` and `--fault NAME` (a
// TEST-ONLY broken core, to watch the checkers bite). Owns: running the seeds and the report
// (flags: cli.ts). `npm run sim -- --cluster ...` runs the cluster simulator instead
// (test/sim/cluster: real node shells and simulated md kernels; its own flags and report).
// Invariants: bad flags print `sim: <message>` on stderr and exit 2; the output always ends with
// exactly one line `sim: <N> seeds, <V> violations` (V = seeds that found a violation); a
// violation prints `reproduce: npm run sim -- --seed=<S>` and the last trace events, and the
// exit status is 1.
import { SIM_MAX_TRACES_PRINTED, SIM_TRACE_PRINT_EVENTS } from '../lib/limits.js';
import { runSeed } from './sim.js';
import type { RunResult } from './sim.js';
import { formatEvent } from './trace.js';
import { parseCli, UsageError } from './cli.js';
import type { Cli } from './cli.js';
import { clusterMain } from './cluster/run-cli.js';

function report(r: RunResult, cli: Cli, printTrace: boolean, out: (s: string) => void): void {
  const extra = (cli.profile !== undefined ? ` --profile=${cli.profile}` : '')
    + Object.keys(cli.faults ?? {}).map((f) => ` --fault=${f}`).join('')
    + (cli.steps !== undefined ? ` --steps=${cli.steps}` : '');
  const v = r.violations[0];
  out(`seed ${r.seed}: VIOLATION ${v.message} (step ${v.step}, ${(v.atUs / 1000).toFixed(3)} ms, ${v.phase} phase)`);
  out(`reproduce: npm run sim -- --seed=${r.seed}${extra}`);
  if (!printTrace) return;
  out(`last ${SIM_TRACE_PRINT_EVENTS} trace events of seed ${r.seed}:`);
  for (const e of r.trace.slice(-SIM_TRACE_PRINT_EVENTS)) out(`  ${formatEvent(e)}`);
}

function main(argv: string[]): number {
  let cli: Cli;
  try {
    cli = parseCli(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`sim: ${e.message}\n`);
    return 2;
  }
  const out = (s: string): void => void process.stdout.write(`${s}\n`);
  const sink = cli.verbose ? out : undefined;
  const startMs = performance.now();
  let violating = 0;
  let steps = 0;
  let simulatedMs = 0;
  for (const seed of cli.seeds) {
    const r = runSeed(seed, { steps: cli.steps, sink, profile: cli.profile, faults: cli.faults });
    steps += r.stats.steps;
    simulatedMs += r.stats.simulatedMs;
    if (r.violations.length > 0) {
      report(r, cli, violating < SIM_MAX_TRACES_PRINTED && !cli.verbose, out);
      violating++;
    } else if (cli.verbose) {
      out(`seed ${seed}: ok ${JSON.stringify(r.stats)}`);
    }
  }
  const wallS = (performance.now() - startMs) / 1000;
  out(`sim: ran ${steps} steps, ${(simulatedMs / 1000).toFixed(1)} s simulated, in ${wallS.toFixed(2)} s wall (${((wallS * 1000) / cli.seeds.length).toFixed(1)} ms/seed)`);
  out(`sim: ${cli.seeds.length} seeds, ${violating} violations`);
  return violating === 0 ? 0 : 1;
}

// A closed pipe (e.g. `| head`) ends the output quietly instead of crashing the run.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});
// `--cluster` first hands the rest of the command line to the cluster simulator (ClusterNode +
// SimMdDriver per node; test/sim/cluster/run-cli.ts), which prints its own report.
const args = process.argv.slice(2);
if (args[0] === '--cluster') process.exitCode = await clusterMain(args.slice(1));
else process.exitCode = main(args);
