import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Suites spawn processes and open databases; two cores here, so keep the pool small.
    maxWorkers: 2,
  },
});
