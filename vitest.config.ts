// Vitest configuration for the default lanes (unit, paper, integration).
// The kernel lane has its own entry (test/kernel/run.sh) and is excluded here.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/paper/**/*.test.ts', 'test/sim/**/*.test.ts', 'test/integration/**/*.test.ts', 'mdctl/**/*.test.ts', 'native/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '.demo/**', 'test/kernel/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
