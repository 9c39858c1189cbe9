import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'data/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites start real servers on loopback ports; two cores run two files at once at most.
    maxWorkers: 2,
  },
});
