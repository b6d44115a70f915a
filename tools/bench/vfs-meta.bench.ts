/**
 * vfs-meta: create + stat + unlink of N files in one directory, per-op cost at 1k, 10k and 100k entries
 * (tmpfs when it is available, else the rumpfs root). The per-op cost must stay flat as the directory
 * grows: target at 100k within 1.5× of 1k. Each size runs 100k files in all (100 rounds of 1k, 10 of
 * 10k, one of 100k), so every figure includes its share of garbage collection. The reference row is the host file system doing the same
 * in a temporary directory, measured in the same run.
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { O_CREAT, O_WRONLY, type Proc, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import type { Benchmark, BenchResult } from './run.js';

function rumpRound(p: Proc, dir: string, n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) p.close(p.open(`${dir}/f${i}`, O_CREAT | O_WRONLY, 0o644));
  for (let i = 0; i < n; i++) p.stat(`${dir}/f${i}`);
  for (let i = 0; i < n; i++) p.unlink(`${dir}/f${i}`);
  return Number(process.hrtime.bigint() - t0) / 1000 / (3 * n);
}

function hostRound(dir: string, n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) closeSync(openSync(join(dir, `f${i}`), 'w', 0o644));
  for (let i = 0; i < n; i++) statSync(join(dir, `f${i}`));
  for (let i = 0; i < n; i++) unlinkSync(join(dir, `f${i}`));
  return Number(process.hrtime.bigint() - t0) / 1000 / (3 * n);
}

const bench: Benchmark = {
  name: 'vfs-meta',
  description: 'create+stat+unlink of 1k/10k/100k files in one directory',
  async run(): Promise<BenchResult> {
    const k = await rump_init({ libraries: [rumpvfs] });
    const p = k.proc;
    let fs = 'rumpfs';
    p.mkdir('/bench', 0o755);
    try {
      if ((await k.modload('rumpfs_tmpfs')) === 1) {
        p.mount('tmpfs', '/bench', 0, {});
        fs = 'tmpfs';
      }
    } catch {
      // tmpfs not built or not present: measure the rumpfs root.
    }
    const hostDir = mkdtempSync(join(tmpdir(), 'rumpts-meta-'));
    const rows: BenchResult['rows'] = [];
    const sizes = process.argv.includes('--quick') ? [1000, 10000] : [1000, 10000, 100000];
    // Warm the JIT on the same paths first, or the first size measures compilation.
    for (let i = 0; i < 3; i++) rumpRound(p, '/bench', 10000);
    hostRound(hostDir, 1000);
    let first = 0;
    for (const n of sizes) {
      // As many rounds as make 100k files at every size, so each figure carries its share of the
      // collector's work (one 1k round fits between two collections and would flatter the baseline).
      const rounds = Math.max(1, Math.floor(100_000 / n));
      let sum = 0;
      for (let r = 0; r < rounds; r++) sum += rumpRound(p, '/bench', n);
      const ours = sum / rounds;
      const ref = hostRound(hostDir, n);
      if (first === 0) first = ours;
      rows.push({
        case: `${n} entries (${fs})`,
        ours: { value: ours, unit: 'µs/op', label: `rump ${fs}` },
        reference: { value: ref, unit: 'µs/op', label: 'host fs' },
        target: n === sizes[0] ? 'baseline' : `≤ 1.5× of 1k: ${(ours / first).toFixed(2)}×`,
      });
    }
    rmSync(hostDir, { recursive: true, force: true });
    k.halt();
    return { rows };
  },
};
export default bench;
