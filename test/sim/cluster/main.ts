// Entry point of the deterministic cluster simulator: `node dist/test/sim/cluster/main.js
// --seeds N | --seed S [--verbose] [--nodes 3|5] [--chaos-ms M] [--without k,..] [--with stall]`
// (flags and report: run-cli.ts; also reachable as `npm run sim -- --cluster ...`).
// Owns: the process: exit status, a quiet end on a closed pipe, internal errors (exit 70).
import { clusterMain } from './run-cli.js';

// A closed pipe (e.g. `| head`) ends the output quietly instead of crashing the run.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});
clusterMain(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`cluster-sim: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 70;
});
