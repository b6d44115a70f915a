/**
 * The test settings every package shares; each package's vitest.config.ts applies them. The JSON
 * report is what .ci/run sums into its "N passed, N failed" line.
 */
import { defineConfig } from 'vitest/config';

export const packageTestConfig = defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
    passWithNoTests: true,
    // Image and subprocess tests share two cores with other packages' runs in CI.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
