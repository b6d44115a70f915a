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
    // Two test files at a time even on two cores (vitest's default there is one): most files wait on
    // child processes (the CLIs, makefs, fsck.fat, sleuthkit) or timers, so a second file fills the gap.
    maxWorkers: 2,
    // Image and subprocess tests share two cores with other packages' runs in CI.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
