// Vitest configuration of the cluster lane (npm run test:cluster -> test/cluster/run.sh).
// Owns: which files the lane runs (*.ctest.ts: 3-guest mdclusterd clusters on real kernels,
// and the lane's own pure unit tests *.test.ts under test/cluster) and its timeouts.
// raid10.ctest.ts and raid10-switch.ctest.ts (the raid10 twins of a-c and d-e: two more clusters) run by
// default; CLUSTER_LANE_RAID10=0 leaves them out (the run then says so).
// Invariants: test files run one at a time (three TCG guests already load a 2-core machine);
// tests inside a file run in order (each file is one cluster's story); no retries (a flaky
// kernel-cluster test must fail visibly).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/cluster/**/*.ctest.ts', 'test/cluster/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'test/cluster/.cache/**', ...(process.env.CLUSTER_LANE_RAID10 === '0' ? ['test/cluster/raid10.ctest.ts', 'test/cluster/raid10-switch.ctest.ts'] : [])],
    testTimeout: 900_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    sequence: { concurrent: false, shuffle: false },
    retry: 0,
    reporters: ['default'],
  },
});
