import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
    passWithNoTests: true,
    // Image and subprocess tests share two cores with other packages' runs in CI.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
