import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'data/**'],
    // The app and the `dialo` bin run compiled (as `npm start` and the image run them): compiled afresh each run.
    globalSetup: ['test/harness/build-server.ts'],
    testTimeout: 30_000,
    // A fresh PGlite database with every migration takes seconds alone, far more on a loaded 2-core machine.
    hookTimeout: 180_000,
    // Suites start real servers on loopback ports; two cores run two files at once at most.
    maxWorkers: 2,
  },
});
