// Benchmark dispatcher: `npm run bench` (all) or `npm run bench -- <name> [args...]`.
// Owns: the registry of benchmarks. Adding one is one line in BENCHMARKS: a name, a summary
// and a lazy import of a module exporting `main(args: string[]): Promise<void>`.
// Invariants: each benchmark writes bench/results/<name>.json (see report.ts) and prints one
// summary line; an unknown name lists the registry and exits with status 2; no name runs all,
// goes on past a failed benchmark, ends with the issue-15 table of this run's results
// (summary.ts: a failed benchmark's numbers show as unknown) and exits 1 if any failed.
import { OpError } from '../daemon/src/common/errors.js';
import { loadResults, printTable, sourcesLine, summaryRows } from './summary.js';

export type BenchMain = (args: string[]) => Promise<void>;
interface BenchEntry {
  summary: string;
  load: () => Promise<{ main: BenchMain }>;
  /** Arguments when run as part of `npm run bench` (all). */
  allArgs?: string[];
}

const BENCHMARKS: Record<string, BenchEntry> = {
  anchor: { summary: 'etcd (Debian etcd-server, 3 members, fsync on, our heartbeat/election) measured like failover and commit; ratios ours/etcd', load: () => import('./anchor.js'), allArgs: ['--table', '0'] },
  commit: { summary: '3 real daemons on loopback: md command through the control socket until applied on all (waitAll) p50/p99', load: () => import('./commit.js') },
  failover: { summary: '3 real daemons: kill -9 of the master -> md0 writable elsewhere p50/p99 (30x); planned step-down time', load: () => import('./failover.js') },
  idle: { summary: '3 real daemons with 100 raid1 arrays: RSS and idle CPU per daemon', load: () => import('./idle.js') },
  load: { summary: '3 real daemons, 100 arrays, CPU hogs 4x oversubscribing every core (5 min): leader changes, writer flaps, tick-path event-loop lag p99, commit p99 under load', load: () => import('./load.js'), allArgs: ['--rt'] },
  mdctl: { summary: 'mdctl --version and --detail /dev/md0 wall time vs node -e 0 (fresh processes, live cluster)', load: () => import('./mdctl.js') },
  raft: { summary: '3 in-process RawNodes on DiskStorage (fdatasync on): commit latency, batched throughput', load: () => import('./raft.js') },
};

function usage(): string {
  const lines = Object.entries(BENCHMARKS).map(([name, b]) => `  ${name.padEnd(16)} ${b.summary}`);
  return ['usage: npm run bench [-- <name> [args...]]   (no name: all of them)', 'benchmarks:', ...lines].join('\n');
}

async function run(argv: string[]): Promise<number> {
  if (argv.length === 0) {
    // `npm run bench`: every benchmark, one after another (each writes its own result file).
    const since = Date.now();
    const failed: string[] = [];
    for (const [name, b] of Object.entries(BENCHMARKS)) {
      process.stdout.write(`=== bench ${name}: ${b.summary}\n`);
      try {
        await (await b.load()).main(b.allArgs ?? []);
      } catch (err) {
        failed.push(name);
        process.stderr.write(`=== bench ${name} FAILED: ${describe(err)}\n`);
      }
    }
    process.stdout.write('=== summary\n');
    const results = await loadResults();
    printTable(summaryRows(results, since), (t) => process.stdout.write(t));
    process.stdout.write(sourcesLine(results));
    if (failed.length > 0) process.stdout.write(`FAILED benchmarks: ${failed.join(', ')} (their numbers above are unknown)\n`);
    return failed.length > 0 ? 1 : 0;
  }
  const [name, ...args] = argv;
  const entry = name === undefined ? undefined : BENCHMARKS[name];
  if (entry === undefined) {
    process.stderr.write(`${name === undefined ? '' : `unknown benchmark: ${name}\n`}${usage()}\n`);
    return 2;
  }
  const mod = await entry.load();
  await mod.main(args);
  return 0;
}

function describe(err: unknown): string {
  if (err instanceof OpError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.stack ?? err.message : String(err);
}

run(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`benchmark failed: ${describe(err)}\n`);
    process.exitCode = err instanceof OpError && err.code === 'E_USAGE' ? 2 : 1;
  },
);
