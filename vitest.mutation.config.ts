// Vitest configuration for the mutation run (`npm run mutation`, stryker.config.mjs): only the
// fast in-process lanes (unit, paper, sim) that exercise daemon/src/raft, daemon/src/cluster and
// the node shell. Never the integration lane (real daemon processes), the kernel lane or the
// qemu cluster lane: a mutant must be judged by deterministic tests, not by timing.
// Invariants: the cluster simulator (test/sim/cluster, ~25 s) judges only the node shell's
// mutants (MUTATION_SCOPE=node): elsewhere the unit/paper/sim tests cover the code and a
// surviving mutant would pay for the whole simulator run. Test files run cheapest first (unit,
// then paper, then sim; the slow files last), so a killed mutant usually dies before the slow files start (Stryker bails at the first failure);
// fast-check stops at the first counterexample without shrinking (test/mutation/setup.ts).
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/** Files measured at several seconds each (5000-entry logs, property runs, the simulator). */
const SLOW_FILES = ['test/paper/snapshot.test.ts', 'test/unit/raft-codec.test.ts', 'test/unit/storage-property.test.ts',
  'test/unit/storage-raft.test.ts', 'test/sim/broken-variants.test.ts', 'test/sim/cluster/cluster-sim.test.ts'];

/** Lanes from the most targeted (unit tests of one module) to the broadest (simulations). */
const LANES = ['/test/unit/', '/test/paper/', '/test/sim/'];
/** Fast-lane files that still take seconds (fuzz and property runs): after the other fast files, never skipped. */
const LATE_FILES = ['test/unit/fuzz-surfaces.test.ts', 'test/unit/raft-codec-limits.test.ts', 'test/unit/raft-log-model.test.ts'];

class CheapFirstSequencer extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification): number => SLOW_FILES.findIndex((s) => f.moduleId.endsWith(s));
    const lane = (f: TestSpecification): number =>
      (LATE_FILES.some((l) => f.moduleId.endsWith(l)) ? LANES.length : LANES.findIndex((l) => f.moduleId.includes(l)));
    return Promise.resolve(files.slice().sort((a, b) => rank(a) - rank(b) || lane(a) - lane(b) || a.moduleId.localeCompare(b.moduleId)));
  }
}

const withSimulator = process.env.MUTATION_SCOPE === 'node';
/**
 * MUTATION_SKIP_SLOW=1: leave out SLOW_FILES (a quick measurement; a surviving mutant then costs
 * seconds instead of minutes). The reports say which tests ran; `npm run mutation` keeps them.
 */
const skipSlow = process.env.MUTATION_SKIP_SLOW === '1';
/**
 * MUTATION_TESTS=glob,glob: judge mutants by these test files only (a part run over one file
 * whose mutants every Raft test covers; a survivor there may still die to a test left out, so
 * the whole-scope run re-tests it). Unset: the lanes above.
 */
const onlyTests = (process.env.MUTATION_TESTS ?? '').split(',').filter((g) => g !== '');

export default defineConfig({
  test: {
    include: onlyTests.length > 0 ? onlyTests : ['test/unit/**/*.test.ts', 'test/paper/**/*.test.ts', 'test/sim/*.test.ts',
      ...(withSimulator ? ['test/sim/cluster/**/*.test.ts'] : [])],
    exclude: ['node_modules/**', 'dist/**', '.demo/**', 'test/kernel/**', 'test/cluster/**', 'test/integration/**',
      ...(skipSlow ? SLOW_FILES : [])],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One module graph per worker instead of one per test file: Stryker switches mutants at run
    // time (static mutants are ignored), and the per-file re-import dominated each mutant's run.
    isolate: false,
    reporters: ['default'],
    setupFiles: ['test/mutation/setup.ts'],
    sequence: { sequencer: CheapFirstSequencer },
  },
});
