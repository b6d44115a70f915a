/**
 * The fuzz harness (tools/fuzz/run.mjs at the repository root) on an ISO 9660 image made by xorriso
 * with Rock Ridge and Joliet: volume descriptors, path tables and directory records mutated, then
 * mounted read-only and walked and read through the system calls. Every case must end in success
 * or RumpErrors only — no other exception, no hang, no leaked reference, no directory entry name
 * that no directory may hold (the VFS skips those), no read outside the device. Uses the built
 * packages and xorriso.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const RUN = resolve(import.meta.dirname, '../../../tools/fuzz/run.mjs');
const SEED = Number(process.env['CD9660_SEED'] ?? Date.now() % 1_000_000);
const CASES = 120;

describe('fuzz harness on ISO 9660 images', () => {
  it(`${CASES} mutated xorriso images: only RumpErrors, no hang, no leak, no bad name (seed ${SEED})`, () => {
    const r = spawnSync(process.execPath, [RUN, '--json', '--seed', String(SEED), '--cases', String(CASES), '--jobs', '2', '--kinds', 'cd9660'], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      timeout: 110_000,
    });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    if (!last.startsWith('{')) throw new Error(`fuzz harness (seed ${SEED}) printed no summary: ${r.stderr.slice(0, 3000)}`);
    const s = JSON.parse(last) as { cases: number; ok: number; rumpErrors: number; codes: Record<string, number>; failures: unknown[]; hangs: number; leaks: number };
    expect(s.failures).toEqual([]);
    expect(s.hangs + s.leaks).toBe(0);
    expect(s.cases).toBe(CASES);
    // Some cases still mount and walk cleanly, others fail with RumpErrors.
    expect(s.ok).toBeGreaterThan(0);
    expect(s.rumpErrors).toBeGreaterThan(0);
  }, 120_000);
});
