/**
 * ffs-log: metadata-heavy work with and without the WAPBL log (MNT_LOG). 100,000 creates (open
 * O_CREAT + close, 1,000 per directory) and then unlinking them, each followed by sync(2), on a
 * 1 GiB UFS2 image: the logged mount (a 1 MiB in-filesystem log, placed as NetBSD would; commits
 * whenever a transaction passes half of it, and at sync) against the same work on a plain mount.
 * The row's reference is the plain mount, so the ratio is logged / plain. Target: logged creates
 * ≥ 100,000/s (NetBSD's C kernel: 22,000/s with its log). Shaped for the root runner
 * (tools/bench/run.ts: Benchmark).
 */
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MNT_LOG, O_CREAT, O_WRONLY, S_IFBLK, rump_init } from '@rumpts/librump';
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

const N = 100_000;
const PER_DIR = 1_000;

function now(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

interface Timing {
  create: number;
  createSync: number;
  unlink: number;
  unlinkSync: number;
}

async function measure(dir: string, flags: number): Promise<Timing> {
  const img = join(dir, flags ? 'log.img' : 'plain.img');
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
  k.proc.mount('ffs', '/mnt', flags, { fspec: '/dev/ffs0' });
  const p = k.proc;
  for (let d = 0; d < N / PER_DIR; d++) p.mkdir(`/mnt/d${d}`, 0o755);
  p.sync();
  const name = (i: number): string => `/mnt/d${Math.floor(i / PER_DIR)}/file${i}`;
  const t0 = now();
  for (let i = 0; i < N; i++) p.close(p.open(name(i), O_CREAT | O_WRONLY, 0o644));
  const t1 = now();
  p.sync();
  const t2 = now();
  for (let i = 0; i < N; i++) p.unlink(name(i));
  const t3 = now();
  p.sync();
  const t4 = now();
  k.halt();
  dev.close();
  return { create: t1 - t0, createSync: t2 - t0, unlink: t3 - t2, unlinkSync: t4 - t2 };
}

async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ffs-log-'));
  try {
    const plain = await measure(dir, 0);
    const logged = await measure(dir, MNT_LOG);
    const rate = (s: number, label: string): Figure => ({ value: N / s, unit: 'ops/s', label });
    return {
      rows: [
        { case: `${N / 1000}k creates`, ours: rate(logged.create, 'MNT_LOG'), reference: rate(plain.create, 'no log'), target: '≥ 100,000/s' },
        { case: `${N / 1000}k creates + sync`, ours: rate(logged.createSync, 'MNT_LOG'), reference: rate(plain.createSync, 'no log') },
        { case: `${N / 1000}k unlinks`, ours: rate(logged.unlink, 'MNT_LOG'), reference: rate(plain.unlink, 'no log') },
        { case: `${N / 1000}k unlinks + sync`, ours: rate(logged.unlinkSync, 'MNT_LOG'), reference: rate(plain.unlinkSync, 'no log') },
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default { name: 'ffs-log', description: 'creates and unlinks per second with and without the WAPBL log', run };
