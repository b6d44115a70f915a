/**
 * The end-to-end suite: tests that use the repository as a newcomer does (a fresh clone, the
 * README's commands). Run by the root `pnpm test` after the packages' suites; its JSON report joins
 * CI's "N passed, N failed" line like theirs.
 */
import { defineConfig, mergeConfig } from 'vitest/config';
import { packageTestConfig } from '../vitest/base.ts';

export default mergeConfig(packageTestConfig, defineConfig({ test: { testTimeout: 300_000, hookTimeout: 300_000 } }));
