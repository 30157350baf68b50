// Vitest configuration of the kernel lane (npm run test:kernel -> test/kernel/run.sh).
// Owns: which files the lane runs (*.ktest.ts under test/kernel, including the kernel-driver
// engineer's test/kernel/driver/, plus the lab's own pure unit tests *.test.ts) and its
// timeouts. Invariants: test files run one at a time by default (each guest is a TCG vCPU on
// a 2-core machine; LAB_FILE_PARALLELISM=N allows N); no test retries (a flaky kernel test
// must fail visibly).
import { defineConfig } from 'vitest/config';

const parallel = Number(process.env.LAB_FILE_PARALLELISM ?? '1');

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/kernel/**/*.ktest.ts', 'test/kernel/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'test/kernel/.cache/**'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: parallel > 1,
    maxWorkers: Math.max(1, parallel),
    retry: 0,
    reporters: ['default'],
  },
});
