/**
 * The fuzz harness (tools/fuzz/run.mjs) for a bounded number of cases on every kind of FFS image:
 * UFS1 and UFS2 in both byte orders made by makefs, the same with a pending WAPBL log (at the end
 * of the partition and in the file system), and two images NetBSD's kernel wrote (two cylinder
 * groups big-endian; a pending log). Each case mutates metadata, mounts read-only and walks and
 * reads everything, mounts read-write and changes the tree, unmounts, then runs fsck -n, fsck -y and
 * fsck -n. Every case must end in success or RumpErrors only: no other exception, no hang (a child
 * process per batch, killed by a watchdog), no leaked vnode reference (unmount EBUSY), no directory
 * entry name that no directory may hold, no I/O outside the device, fsck never failing once the
 * superblock is accepted and fsck -y leaving nothing for the next run. `pnpm fuzz --cases 10000`
 * runs more (README). Uses the built packages, makefs and xorriso.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const RUN = resolve(import.meta.dirname, '../../../tools/fuzz/run.mjs');
const SEED = Number(process.env['FFS_SEED'] ?? Date.now() % 1_000_000);
const KINDS = ['ufs1-le', 'ufs1-be', 'ufs2-le', 'ufs2-be', 'ufs1-le-log', 'ufs1-be-log', 'ufs2-le-log', 'ufs2-be-log', 'netbsd-ufs1-be', 'netbsd-ufs1-le-log'];
/** Cases per kind of image in CI (`pnpm fuzz --cases 10000` is the long run). */
const PER_KIND = 15;

interface Summary {
  cases: number;
  ok: number;
  rumpErrors: number;
  codes: Record<string, number>;
  byKind: Record<string, number>;
  fsck: { runs: number; exit: Record<string, number> };
  hangs: number;
  crashes: number;
  leaks: number;
  findings: Record<string, number>;
  failures: { case: number; repro: string; failures: { step: string; kind: string; message: string }[] }[];
}

describe('fuzz harness on FFS images', () => {
  it(`${KINDS.length * PER_KIND} mutated images (every kind): only RumpErrors, no hang, no leak, fsck converges (seed ${SEED})`, () => {
    const r = spawnSync(process.execPath, [RUN, '--json', '--seed', String(SEED), '--cases', String(KINDS.length * PER_KIND), '--jobs', '2', '--kinds', KINDS.join(',')], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      timeout: 170_000,
    });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    if (!last.startsWith('{')) throw new Error(`fuzz harness (seed ${SEED}) printed no summary: ${r.stderr.slice(0, 3000)}`);
    const s = JSON.parse(last) as Summary;
    expect(s.failures).toEqual([]);
    expect(s.hangs + s.crashes + s.leaks).toBe(0);
    expect(s.cases).toBe(KINDS.length * PER_KIND);
    for (const k of KINDS) expect(s.byKind[k], k).toBe(PER_KIND);
    // The mutations bite: some cases end in errors at mount, while walking and while writing, and
    // fsck ran three times on every case it could.
    expect(s.rumpErrors).toBeGreaterThan(s.cases / 4);
    expect(Object.keys(s.codes).some((c) => c.startsWith('ro '))).toBe(true);
    expect(Object.keys(s.codes).some((c) => c.startsWith('rw '))).toBe(true);
    expect(s.fsck.runs).toBe(3 * s.cases);
    expect(s.fsck.exit['2'] ?? 0).toBeGreaterThan(0);
  }, 180_000);
});
