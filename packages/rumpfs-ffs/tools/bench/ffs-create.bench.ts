/**
 * ffs-create: files created per second in one directory through the kernel (open O_CREAT + close
 * on a read-write FFS mount; metadata is written back delayed, at unmount), at 1k, 10k and 100k
 * entries, against the host file system doing the same in a temp directory. The per-op time of
 * the last 1,000 creates against the first 1,000 shows whether it stays flat (dirhash); 5,000
 * creates in five fresh directories of their own warm the JIT up first. Target: ≥ 100,000 creates/s. Shaped
 * for the root runner (tools/bench/run.ts: Benchmark).
 */
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { O_CREAT, O_WRONLY, S_IFBLK, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import { devswOf, makedev } from '@rumpts/rumpvfs';
import { HostFileBlockDevice } from '@rumpts/rumpdev-disk';
import * as ffs from '@rumpts/rumpfs-ffs';

interface Figure {
  value: number;
  unit: string;
  label: string;
}
interface BenchResult {
  rows: { case: string; ours: Figure; reference: Figure | null; target?: string }[];
}

const SIZES = [1_000, 10_000, 100_000];
const EDGE = 1_000;
const WARMUP_DIRS = 5;

function now(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/** Create n names with `create`; returns [total s, first EDGE s, last EDGE s]. */
function timed(n: number, create: (i: number) => void): [number, number, number] {
  const t0 = now();
  let tFirst = 0;
  let tLastStart = 0;
  for (let i = 0; i < n; i++) {
    if (i === EDGE) tFirst = now() - t0;
    if (i === n - EDGE) tLastStart = now();
    create(i);
  }
  const t1 = now();
  return [t1 - t0, n > EDGE ? tFirst : t1 - t0, t1 - (n > EDGE ? tLastStart : t0)];
}

async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ffs-create-'));
  try {
    const img = join(dir, 'img');
    const fd = openSync(img, 'w');
    ftruncateSync(fd, 1024 * 1024 * 1024);
    closeSync(fd);
    const dev = new HostFileBlockDevice(img);
    ffs.newfs(dev, { version: 2, density: 4096 });
    const k = await rump_init({ libraries: [rumpvfs, ffs] });
    const sw = devswOf(k);
    const maj = sw.freeMajor();
    sw.attach(maj, { name: 'bench', open: () => dev }, null, null);
    k.proc.mknod('/dev/ffs0', S_IFBLK | 0o600, makedev(maj, 0));
    k.proc.mkdir('/mnt', 0o755);
    k.proc.mount('ffs', '/mnt', 0, { fspec: '/dev/ffs0' });
    const p = k.proc;
    // Warm up (JIT) in directories of their own, fresh ones as the measured directories are, so
    // the 1k figure and the first-1k per-op time measure the directory, not the compiler.
    for (let d = 0; d < WARMUP_DIRS; d++) {
      p.mkdir(`/mnt/warm${d}`, 0o755);
      for (let i = 0; i < EDGE; i++) p.close(p.open(`/mnt/warm${d}/w${i}`, O_CREAT | O_WRONLY, 0o644));
    }
    const rows: BenchResult['rows'] = [];
    for (const n of SIZES) {
      p.mkdir(`/mnt/d${n}`, 0o755);
      const [ours, first, last] = timed(n, (i) => p.close(p.open(`/mnt/d${n}/file${i}`, O_CREAT | O_WRONLY, 0o644)));
      const host = join(dir, `h${n}`);
      mkdirSync(host);
      const [ref] = timed(n, (i) => closeSync(openSync(join(host, `file${i}`), 'w')));
      rows.push({
        case: `${n} creates in one directory (last/first 1k per-op ${(last / first).toFixed(2)}×)`,
        ours: { value: n / ours, unit: 'creates/s', label: 'rumpts ffs' },
        reference: { value: n / ref, unit: 'creates/s', label: 'host fs' },
        target: '≥ 100,000/s',
      });
    }
    const t0 = now();
    k.halt();
    dev.close();
    rows.push({ case: 'write-back of the 116k creates at unmount', ours: { value: (now() - t0) * 1000, unit: 'ms', label: 'rumpts unmount' }, reference: null });
    return { rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default { name: 'ffs-create', description: 'creates per second into one directory at 1k/10k/100k entries', run };
