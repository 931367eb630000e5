import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // The default summary, then one plain `N passed, N failed, N skipped` line for CI logs.
    reporters: ['default', './test/summaryReporter.ts'],
  },
});
