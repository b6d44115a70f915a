/**
 * The crash harness (tools/crash/run.mjs) for a bounded number of crash points: children running
 * workloads on an image are killed with SIGKILL at random moments — random metadata-heavy
 * operations with appends that move fragment tails, truncates and files unlinked while open
 * ("mixed"), a small file system filled to ENOSPC again and again ("fill"), and 5,000 files read
 * over and over on a 1 MiB log ("walk"). With MNT_LOG — half the images with the log at the end
 * of the partition, half with an in-filesystem log file — fsck -n replays the log in memory and
 * finds nothing, every image replays (by a mount, or every third by fsck -y), walks without an
 * error, gives back every file fsynced before the kill (its fsynced content, or a later one), holds
 * no file with bytes another file wrote and is fsck-clean, and no transaction went without the
 * log. Without the log the images need fsck, fsck -y makes every one clean, no fsynced file is
 * lost, no duplicate block is found and no file holds another file's bytes.
 * `node tools/crash/run.mjs --points 200` (and `--nolog`) is the full run. Uses the built packages.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const RUN = resolve(import.meta.dirname, '../../../tools/crash/run.mjs');
const SEED = Number(process.env['FFS_SEED'] ?? Date.now() % 1_000_000);
// A multiple of five: --workload all rotates three mixed points, one fill point, one walk point.
const POINTS = 15;

interface Summary {
  points: number;
  passed: number;
  workloads: Record<'mixed' | 'fill' | 'walk', number>;
  neededRepair: number;
  fsyncedChecked: number;
  changedAfterFsync: number;
  fsyncedLost: number;
  foreignFiles: number;
  dupBlocks: number;
  unprotectedCommits: number;
  enospcPoints: number;
  replayedByFsck: number;
  inFilesystemLog: number;
  failures: { point: number; seed: number; problems: string[] }[];
  kept: string | null;
}

function harness(args: string[]): Summary {
  const r = spawnSync(process.execPath, [RUN, '--json', '--seed', String(SEED), '--points', String(POINTS), '--jobs', '2', ...args], {
    encoding: 'utf8', maxBuffer: 1 << 26, timeout: 170_000,
  });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (!last.startsWith('{')) throw new Error(`crash harness (seed ${SEED}) printed no summary: ${r.stderr.slice(0, 3000)}`);
  return JSON.parse(last) as Summary;
}

describe('crash harness', () => {
  it(`MNT_LOG: ${POINTS} crash points (mixed, fill to ENOSPC, long walks; end-of-partition and in-filesystem logs): nothing fsynced lost, no foreign bytes, every transaction logged (seed ${SEED})`, () => {
    const s = harness([]);
    expect(s.failures).toEqual([]);
    expect(s.passed).toBe(POINTS);
    expect(s.workloads).toEqual({ mixed: (POINTS / 5) * 3, fill: POINTS / 5, walk: POINTS / 5 });
    expect(s.fsyncedLost).toBe(0);
    expect(s.foreignFiles).toBe(0);
    expect(s.dupBlocks).toBe(0);
    expect(s.unprotectedCommits).toBe(0);
    expect(s.fsyncedChecked).toBeGreaterThan(0);
    expect(s.changedAfterFsync).toBeGreaterThan(0);
    expect(s.enospcPoints).toBeGreaterThan(0);
    // Every third point is replayed by fsck rather than by mount; the log's place alternates by five
    // points, at the end of the partition first, then inside the file system.
    expect(s.replayedByFsck).toBe(Math.floor(POINTS / 3));
    expect(s.inFilesystemLog).toBe(Array.from({ length: POINTS }, (_, i) => Math.floor(i / 5) % 2).filter(Boolean).length);
  }, 180_000);

  it(`without the log: ${POINTS} crash points need fsck, fsck -y makes every one clean; nothing fsynced lost, no duplicate blocks, no foreign bytes (seed ${SEED})`, () => {
    const s = harness(['--nolog']);
    expect(s.failures).toEqual([]);
    expect(s.passed).toBe(POINTS);
    expect(s.neededRepair).toBe(POINTS);
    expect(s.fsyncedLost).toBe(0);
    expect(s.foreignFiles).toBe(0);
    expect(s.dupBlocks).toBe(0);
    expect(s.fsyncedChecked).toBeGreaterThan(0);
    expect(s.enospcPoints).toBeGreaterThan(0);
  }, 180_000);
});
