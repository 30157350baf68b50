// Mutation testing (issue #13 item 5): StrykerJS over the Raft core (daemon/src/raft), the cluster
// state machine (daemon/src/cluster) and the node shell's persist/send/apply path
// (daemon/src/node/ready-loop.ts from `kick()` through `maybeSnapshot()`). Run by `npm run mutation`
// (not part of `npm test`: it takes long), which also prints the per-folder score table
// (test/mutation/report.mjs). Targets: >= 85 % on raft/ and cluster/; node/ is measured only.
// Invariants: only the fast deterministic lanes judge a mutant (vitest.mutation.config.ts);
// one Stryker run per folder (MUTATION_SCOPE=raft|cluster|node, test/mutation/run.sh), each with
// its own incremental file (test/mutation/incremental/<scope>.json, committed) so reruns only
// test changed code and tests, and its own report (reports/mutation/<scope>.json).
// Mutants Stryker calls static (run once at module load) are ignored: per-test coverage cannot
// narrow them, so each would rerun every test; they are module constants and tables.
import { readFileSync } from 'node:fs';

const NODE_SHELL = 'daemon/src/node/ready-loop.ts';

/**
 * The node shell's persist/send/apply path as a Stryker line range, located by the method names
 * rather than by fixed numbers so the range follows edits to the rest of the file.
 * From `kick(): void {` up to (not including) the line after `maybeSnapshot()`'s closing brace.
 */
function nodeShellRange() {
  const lines = readFileSync(NODE_SHELL, 'utf8').split('\n');
  const start = lines.findIndex((l) => /^ {2}kick\(\): void \{/.test(l));
  const snap = lines.findIndex((l) => /^ {2}private async maybeSnapshot\(\)/.test(l));
  if (start < 0 || snap < 0) throw new Error(`${NODE_SHELL}: kick() or maybeSnapshot() not found; update stryker.config.mjs`);
  const end = lines.findIndex((l, i) => i > snap && /^ {2}\}$/.test(l));
  if (end < 0) throw new Error(`${NODE_SHELL}: end of maybeSnapshot() not found`);
  return `${NODE_SHELL}:${start + 1}-${end + 1}`;
}

/** Scope → the files it mutates (a function: the node range is located only when measured). */
const SCOPES = {
  raft: () => ['daemon/src/raft/**/*.ts'],
  cluster: () => ['daemon/src/cluster/**/*.ts'],
  node: () => [nodeShellRange()],
};
const scope = process.env.MUTATION_SCOPE ?? '';
if (!(scope in SCOPES)) throw new Error(`MUTATION_SCOPE must be one of ${Object.keys(SCOPES).join(', ')} (test/mutation/run.sh sets it)`);
/**
 * MUTATION_PART=name + MUTATION_FILES=glob,glob: a run over part of a scope (its own
 * incremental file and report, reports/mutation/<scope>-<name>.json); test/mutation/merge.mjs
 * joins the parts' results into the scope's incremental file, so a whole-scope run reuses them.
 */
const part = process.env.MUTATION_PART;
const mutate = part ? (process.env.MUTATION_FILES ?? '').split(',').filter((g) => g !== '') : SCOPES[scope]();
if (part && mutate.length === 0) throw new Error('MUTATION_PART needs MUTATION_FILES');
const name = part ? `${scope}-${part}` : scope;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner', './test/mutation/ignore-plugin.mjs'],
  ignorers: ['no-behaviour'],
  ignoreStatic: true,
  vitest: { configFile: 'vitest.mutation.config.ts' },
  coverageAnalysis: 'perTest',
  mutate,
  // The sandbox copies the project: leave out build output and the qemu lanes' disk images.
  // Part runs side by side use their own temp dirs (--tempDirName .stryker-tmp-<name>): never copy another's sandbox.
  ignorePatterns: ['dist', '.demo', 'coverage', 'test/kernel/.cache', 'test/cluster/.cache', '.vmrun', '.stryker-tmp-*'],
  // Two cores shared with other jobs: one or two test-runner processes (override with --concurrency).
  concurrency: 2,
  // A mutant that loops forever is cut off at 1.5x the test's own time + this margin (ms).
  timeoutMS: 10_000,
  incremental: true,
  incrementalFile: `test/mutation/incremental/${name}.json`,
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  // Per-folder targets are checked by test/mutation/report.mjs; these apply to the whole run.
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
