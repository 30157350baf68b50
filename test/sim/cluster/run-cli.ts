// The cluster simulator's command line (real ClusterNode + Raft core + SimMdDriver per node,
// faults from one seed): `--seeds N [--from K]`, `--seed S [--verbose]`, optionally
// `--nodes 3|5`, `--chaos-ms M`, `--without kind,kind` (fault kinds never drawn, e.g.
// admin-re-add), `--with stall` (opt-in fault kinds), `--profile NAME` (one world profile for
// every seed; default: the seed's, world.ts) and `--clients on|off` (sim clients + history). Entry points: main.ts here, and
// `npm run sim -- --cluster ...` (test/sim/main.ts).
// Owns: running the seeds and the report. Invariants: never exits the process and registers no
// handler (the entry points do); bad flags print `cluster-sim: <message>`
// on stderr and exit 2; the output always ends with exactly one line
// `cluster-sim: <N> seeds, <V> violations`; each violation prints
// `reproduce: node dist/test/sim/cluster/main.js --seed=S` (plus the world flags given) and
// the trace tail, and the violations are counted by property before the last line; the exit
// status is 1 when any seed found a violation.
import { CLUSTER_SIM_TRACE_PRINT_EVENTS } from '../../lib/limits.js';
import { formatEvent } from '../trace.js';
import { parseClusterCli, UsageError, type ClusterCli } from './cli.js';
import { runClusterSeed, type ClusterRunResult } from './sim.js';

/** Seeds whose trace tail is printed; later violating seeds print only their reproduce line. */
const MAX_TRACES_PRINTED = 3;

function reproduceLine(cli: ClusterCli, seed: number): string {
  const extra = `${cli.nodes !== undefined ? ` --nodes=${cli.nodes}` : ''}${cli.chaosMs !== undefined ? ` --chaos-ms=${cli.chaosMs}` : ''}` +
    `${cli.without.length > 0 ? ` --without=${cli.without.join(',')}` : ''}${cli.with.length > 0 ? ` --with=${cli.with.join(',')}` : ''}` +
    `${cli.profile !== undefined ? ` --profile=${cli.profile}` : ''} --clients=${cli.clients ? 'on' : 'off'}`;
  return `reproduce: node dist/test/sim/cluster/main.js --seed=${seed}${extra}`;
}

function report(r: ClusterRunResult, cli: ClusterCli, printTrace: boolean, out: (s: string) => void): void {
  const v = r.violation!;
  out(`seed ${r.seed}: VIOLATION ${v.property}: ${v.message} (${v.phase} phase, ${(v.atUs / 1000).toFixed(3)} ms, event ${v.step})`);
  out(reproduceLine(cli, r.seed));
  if (!printTrace) return;
  out(`last ${CLUSTER_SIM_TRACE_PRINT_EVENTS} trace events of seed ${r.seed}:`);
  for (const e of r.trace.slice(-CLUSTER_SIM_TRACE_PRINT_EVENTS)) out(`  ${formatEvent(e)}`);
}

/** Runs the CLI; resolves with the exit status (0 ok, 1 violations, 2 usage). */
export async function clusterMain(argv: string[]): Promise<number> {
  let cli: ClusterCli;
  try {
    cli = parseClusterCli(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`cluster-sim: ${e.message}\n`);
    return 2;
  }
  const out = (s: string): void => void process.stdout.write(`${s}\n`);
  let violating = 0;
  /** property -> seeds that violated it (bounded by the seed count). */
  const byProperty = new Map<string, number>();
  let wallMs = 0;
  let simulatedMs = 0;
  let steps = 0;
  let handovers = 0;
  let minGapMs = Infinity;
  for (const seed of cli.seeds) {
    const r = await runClusterSeed(seed, {
      nodes: cli.nodes, chaosMs: cli.chaosMs, without: cli.without, with: cli.with, profile: cli.profile, clients: cli.clients,
      sink: cli.verbose ? out : undefined,
    });
    wallMs += r.stats.wallMs;
    simulatedMs += r.stats.simulatedMs;
    steps += r.stats.steps;
    if (r.violation !== null) {
      report(r, cli, violating < MAX_TRACES_PRINTED && !cli.verbose, out);
      violating++;
      byProperty.set(r.violation.property, (byProperty.get(r.violation.property) ?? 0) + 1);
    } else {
      out(`seed ${seed}: ok ${r.world.profile} nodes=${r.stats.nodes} faults=${r.stats.faults} crashes=${r.stats.crashes} masters=${r.stats.masterTerms} ` +
        `converged=${r.stats.convergeMs.toFixed(0)}ms simulated=${(r.stats.simulatedMs / 1000).toFixed(1)}s events=${r.stats.steps} ` +
        `writer-checks=${r.stats.writerChecks} handovers=${r.stats.handovers} min-gap=${r.stats.minHandoverMs.toFixed(1)}ms ` +
        `fences=${r.stats.fenceKills}/${r.stats.fenceCalls} fsync-crashes=${r.stats.fsyncCrashes} acks=${r.stats.acks} ` +
        (r.stats.history === null ? '' : `client-ops=${r.stats.clientOps} answered=${r.stats.history.answered} indeterminate=${r.stats.history.indeterminate} ` +
          `dup-applied=${r.stats.history.duplicatesApplied} reproposals=${r.stats.history.reproposalsAnswered}/${r.stats.reproposals} `) +
        `wall=${r.stats.wallMs.toFixed(0)}ms`);
      if (r.stats.handovers > 0) minGapMs = Math.min(minGapMs, r.stats.minHandoverMs);
      handovers += r.stats.handovers;
    }
  }
  const n = cli.seeds.length;
  if (handovers > 0) out(`cluster-sim: md0 changed hosts ${handovers} times; shortest gap between two hosts' writable periods ${minGapMs.toFixed(3)} ms`);
  out(`cluster-sim: ${steps} events, ${(simulatedMs / 1000).toFixed(1)} s simulated, ${(wallMs / 1000).toFixed(2)} s wall (${(wallMs / n).toFixed(0)} ms/seed)`);
  if (violating > 0) out(`cluster-sim: violations by property: ${[...byProperty].map(([p, k]) => `${p}=${k}`).join(' ')}`);
  out(`cluster-sim: ${n} seeds, ${violating} violations`);
  return violating === 0 ? 0 : 1;
}
