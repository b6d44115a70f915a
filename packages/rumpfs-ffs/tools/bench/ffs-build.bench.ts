/**
 * ffs-build: an image of a 10,000-file tree (100 directories of 100 files, 0–8 KiB each) built by
 * our makefs against Debian's makefs(8) of the same tree in the same run (UFS2, sizes computed:
 * Debian's needs `-b 20% -f 20%` for this tree). Target: ratio ≤ 1.0 (at least as fast as the C
 * tool). Shaped for the root runner (tools/bench/run.ts: Benchmark).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import { makefs, makefsSize } from '@rumpts/rumpfs-ffs';

interface Figure {
  value: number;
  unit: string;
  label: string;
}
interface BenchResult {
  rows: { case: string; ours: Figure; reference: Figure | null; target?: string }[];
}

const DIRS = 100;
const PER = 100;

function seconds(f: () => void): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * Best of `n` timed rounds after one untimed warm-up, the two tools taking turns in each round so
 * that a noisy neighbour slows both alike.
 */
function bestOfRounds(n: number, fs: (() => void)[]): number[] {
  for (const f of fs) f();
  const b = fs.map(() => Infinity);
  for (let i = 0; i < n; i++) fs.forEach((f, k) => (b[k] = Math.min(b[k]!, seconds(f))));
  return b;
}

function measure(): BenchResult {
  const dir = mkdtempSync(join(tmpdir(), 'ffs-build-'));
  try {
    const src = join(dir, 'src');
    let x = 12345;
    for (let d = 0; d < DIRS; d++) {
      mkdirSync(join(src, `dir${d}`), { recursive: true });
      for (let f = 0; f < PER; f++) {
        x = (x * 1103515245 + 12345) & 0x7fffffff;
        writeFileSync(join(src, `dir${d}`, `file${f}.txt`), Buffer.alloc(x % 8192, 0x61 + (f % 26)));
      }
    }
    const ours = join(dir, 'ours.img');
    const theirs = join(dir, 'theirs.img');
    const o = { version: 2 as const, freeBlocksPercent: 20, freeFilesPercent: 20 };
    const ourBuild = (): void => {
      const plan = makefsSize(src, o);
      const fd = openSync(ours, 'w');
      ftruncateSync(fd, plan.size);
      closeSync(fd);
      const dev = new HostFileBlockDevice(ours);
      makefs(dev, src, { ...o, plan });
      dev.close();
    };
    const haveMakefs = spawnSync('makefs', [], { stdio: 'ignore' }).error === undefined;
    const theirBuild = (): void => {
      rmSync(theirs, { force: true });
      execFileSync('makefs', ['-t', 'ffs', '-o', 'version=2', '-b', '20%', '-f', '20%', theirs, src], { stdio: 'ignore' });
    };
    const [t, r] = bestOfRounds(5, haveMakefs ? [ourBuild, theirBuild] : [ourBuild]);
    const rows: BenchResult['rows'] = [];
    const files = DIRS * PER;
    const ref: Figure | null = r === undefined ? null : { value: r, unit: 's', label: 'Debian makefs -t ffs' };
    rows.push({ case: `${files} files in ${DIRS} dirs`, ours: { value: t!, unit: 's', label: 'rumpts makefs' }, reference: ref, target: '≤ 1.0' });
    return { rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(): Promise<BenchResult> {
  return Promise.resolve(measure());
}

export default { name: 'ffs-build', description: 'an image of 10,000 files in 100 directories: our makefs vs Debian makefs', run };
