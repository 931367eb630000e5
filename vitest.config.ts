import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Refuses to run against a missing or stale dist/ (the e2e tests run the built CLI).
    globalSetup: ['./test/globalSetup.ts'],
    // The default summary, then one plain `N passed, N failed, N skipped` line for CI logs.
    reporters: ['default', './test/summaryReporter.ts'],
  },
});
