// Vitest configuration of the browser lane (npm run test:browser -> test/browser/run.sh).
// Owns: which files the lane runs (*.btest.ts: headless Chromium against a real 3-node
// cluster on the simulated md driver) and its timeouts. Invariants: one file at a time (real
// daemons with leases share the machine with a browser); no retries.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/browser/**/*.btest.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
    retry: 0,
    reporters: ['default'],
  },
});
