/**
 * The crash harness (tools/crash/run.mjs) for a bounded number of crash points: children running
 * random metadata-heavy operations on an image are killed with SIGKILL at random moments. With
 * MNT_LOG — half the images with the log at the end of the partition, half with an in-filesystem
 * log file — every image must mount (replaying the log), walk without an error, give back every
 * file fsynced before the kill (its fsynced content, or a later one if it changed since), hold no
 * file with bytes another file wrote, and be fsck-clean; without the log the images need fsck,
 * fsck -y makes every one clean, and then too no file holds another file's bytes (ffs_truncate
 * writes the inode before it frees blocks). `node tools/crash/run.mjs --points 1000` runs more. Uses the built
 * packages.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const RUN = resolve(import.meta.dirname, '../../../tools/crash/run.mjs');
const SEED = Number(process.env['FFS_SEED'] ?? Date.now() % 1_000_000);

interface Summary {
  points: number;
  passed: number;
  neededRepair: number;
  structural: number;
  fsyncedChecked: number;
  changedAfterFsync: number;
  inFilesystemLog: number;
  failures: { point: number; seed: number; problems: string[] }[];
  kept: string | null;
}

function harness(args: string[]): Summary {
  const r = spawnSync(process.execPath, [RUN, '--json', '--seed', String(SEED), ...args], { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 110_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (!last.startsWith('{')) throw new Error(`crash harness (seed ${SEED}) printed no summary: ${r.stderr.slice(0, 3000)}`);
  return JSON.parse(last) as Summary;
}

describe('crash harness', () => {
  it(`MNT_LOG: 100 crash points (end-of-partition and in-filesystem logs), every one mounts, walks, keeps its fsynced files, holds no other file's bytes and is fsck-clean (seed ${SEED})`, () => {
    const s = harness(['--points', '100', '--jobs', '4']);
    expect(s.failures).toEqual([]);
    expect(s.passed).toBe(100);
    expect(s.fsyncedChecked).toBeGreaterThan(0);
    expect(s.changedAfterFsync).toBeGreaterThan(0);
    expect(s.inFilesystemLog).toBe(50);
  }, 120_000);

  it(`without the log: the killed images need fsck, fsck -y brings every one back to clean, and no file holds another's bytes (seed ${SEED})`, () => {
    const s = harness(['--points', '20', '--jobs', '4', '--nolog']);
    expect(s.failures).toEqual([]);
    expect(s.passed).toBe(20);
    expect(s.neededRepair).toBe(20);
  }, 120_000);
});
