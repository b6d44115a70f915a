/**
 * msdos-copy: a 10,000-file tree (100 directories of 100 files, 0–8 KiB each) into a fresh FAT32
 * image, as users run it — cold processes of our CLI against mtools in the same run, the two taking
 * turns, median of 5 timed rounds after a warm-up, with each side's peak memory (GNU time's maximum
 * resident set size; '-' without /usr/bin/time):
 *  - `fsu makefs -t msdos -F 32 IMG DIR` against `mkfs.fat -F 32` + `mcopy -s` (an image from a tree);
 *  - `fsu put -r IMG DIR /` against `mcopy -s` into the same fresh mkfs.fat image (a tree into an image).
 * Each result is checked with fsck.fat -n (not timed). Target: ratio ≤ 1.0.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult, Figure } from './run.ts';

const DIRS = 100;
const PER = 100;
const ROUNDS = 5;
const FSU = join(import.meta.dirname, '../../packages/ukfs/dist/fsu/main.js');
const TIME = '/usr/bin/time';
const MT = { ...process.env, MTOOLS_SKIP_CHECK: '1' };

interface Run {
  seconds: number;
  /** Peak resident set size in KiB (the largest of the run's processes), or NaN. */
  rssKiB: number;
}

/** Run a command list in sequence as cold processes; wall time and the largest peak RSS. */
function run(cmds: [string, string[]][]): Run {
  const t0 = process.hrtime.bigint();
  let rss = NaN;
  for (const [cmd, args] of cmds) {
    const timed = existsSync(TIME);
    const r = spawnSync(timed ? TIME : cmd, timed ? ['-f', '%M', cmd, ...args] : args, { env: MT, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    if (timed) {
      const kib = Number(r.stderr.trim().split('\n').pop());
      rss = Number.isNaN(rss) ? kib : Math.max(rss, kib);
    }
  }
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, rssKiB: rss };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median of ROUNDS timed rounds after one warm-up, the sides taking turns; each side's `prep` runs untimed before it. */
function compare(sides: { prep: () => void; run: () => Run }[]): Run[] {
  for (const s of sides) {
    s.prep();
    s.run();
  }
  const got: Run[][] = sides.map(() => []);
  for (let i = 0; i < ROUNDS; i++) {
    sides.forEach((s, k) => {
      s.prep();
      got[k]!.push(s.run());
    });
  }
  return got.map((rs) => ({ seconds: median(rs.map((r) => r.seconds)), rssKiB: Math.max(...rs.map((r) => r.rssKiB)) }));
}

function fsckClean(img: string): void {
  const r = spawnSync('fsck.fat', ['-n', img], { encoding: 'utf8' });
  if (r.status !== 0 || r.stdout.split('\n').filter(Boolean).length > 2) throw new Error(`fsck.fat -n ${img}:\n${r.stdout}${r.stderr}`);
}

function figure(r: Run, label: string): Figure {
  return { value: r.seconds, unit: 's', label: `${label}${Number.isNaN(r.rssKiB) ? '' : `, peak ${(r.rssKiB / 1024).toFixed(0)} MiB`}` };
}

function measure(): BenchResult {
  const have = ['mkfs.fat', 'mcopy'].every((c) => spawnSync(c, ['--help'], { stdio: 'ignore' }).error === undefined);
  if (!existsSync(FSU)) throw new Error('msdos-copy: build first (pnpm build): no packages/ukfs/dist/fsu/main.js');
  const dir = mkdtempSync(join(tmpdir(), 'msdos-copy-'));
  try {
    const src = join(dir, 'tree');
    let x = 12345;
    for (let d = 0; d < DIRS; d++) {
      mkdirSync(join(src, `dir${d}`), { recursive: true });
      for (let f = 0; f < PER; f++) {
        x = (x * 1103515245 + 12345) & 0x7fffffff;
        writeFileSync(join(src, `dir${d}`, `file${f}.txt`), Buffer.alloc(x % 8192, 0x61 + (f % 26)));
      }
    }
    const files = DIRS * PER;
    const rows: BenchResult['rows'] = [];
    const ours = join(dir, 'ours.img');
    const theirs = join(dir, 'theirs.img');
    const makefs = (): Run => run([['node', [FSU, 'makefs', '-t', 'msdos', '-F', '32', ours, src]]]);
    const mtoolsBuild = (): Run => run([['mkfs.fat', ['-C', '-F', '32', theirs, String(96 * 1024)]], ['mcopy', ['-s', '-i', theirs, src, '::']]]);
    const [a, b] = compare([
      { prep: () => rmSync(ours, { force: true }), run: makefs },
      ...(have ? [{ prep: () => rmSync(theirs, { force: true }), run: mtoolsBuild }] : []),
    ]);
    fsckClean(ours);
    rows.push({
      case: `${files} files: an image from a tree`, ours: figure(a!, 'fsu makefs -t msdos -F 32'),
      reference: b ? figure(b, 'mkfs.fat -F 32 + mcopy -s') : null, target: '≤ 1.0',
    });
    if (have) {
      const template = join(dir, 'fresh.img');
      execFileSync('mkfs.fat', ['-C', '-F', '32', template, String(128 * 1024)], { stdio: 'ignore' });
      const put = (): Run => run([['node', [FSU, 'put', '-r', ours, src, '/']]]);
      const mcopy = (): Run => run([['mcopy', ['-s', '-i', theirs, src, '::']]]);
      const [c, e] = compare([{ prep: () => copyFileSync(template, ours), run: put }, { prep: () => copyFileSync(template, theirs), run: mcopy }]);
      fsckClean(ours);
      rows.push({ case: `${files} files: a tree into a fresh image`, ours: figure(c!, 'fsu put -r'), reference: figure(e!, 'mcopy -s'), target: '≤ 1.0' });
    }
    return { rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default {
  name: 'msdos-copy',
  description: 'a 10,000-file tree into a fresh FAT32 image: fsu makefs / fsu put -r against mkfs.fat + mcopy -s (cold processes)',
  run: (): Promise<BenchResult> => Promise.resolve(measure()),
};
