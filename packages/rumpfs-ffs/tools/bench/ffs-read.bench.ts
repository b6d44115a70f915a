/**
 * ffs-read: sequential read of a 512 MiB file from a makefs UFS2 image through the kernel
 * (mount -t ffs on a block device node, read(2) with 4 KiB and 64 KiB buffers), against `cat` of
 * the image file and sleuthkit's `icat` of the same file on a UFS1 image (sleuthkit cannot read
 * Debian makefs's UFS2 images). Shaped for the root runner (tools/bench/run.ts: Benchmark).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MNT_RDONLY, O_RDONLY, S_IFBLK, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import { devswOf, makedev } from '@rumpts/rumpvfs';
import * as ffs from '@rumpts/rumpfs-ffs';
import { FileBlockDevice } from '../../test/helpers.js';

interface Figure {
  value: number;
  unit: string;
  label: string;
}
interface BenchResult {
  rows: { case: string; ours: Figure; reference: Figure | null; target?: string }[];
}

const SIZE = 512 * 1024 * 1024;

function seconds(f: () => void): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function mbps(bytes: number, s: number, label: string): Figure {
  return { value: bytes / s / 1e6, unit: 'MB/s', label };
}

async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ffs-read-'));
  try {
    mkdirSync(join(dir, 'src'));
    execFileSync('sh', ['-c', `head -c ${SIZE} /dev/urandom > ${join(dir, 'src/file')}`]);
    const u2 = join(dir, 'u2.img');
    const u1 = join(dir, 'u1.img');
    execFileSync('makefs', ['-t', 'ffs', '-o', 'version=2', '-s', '540m', u2, join(dir, 'src')]);
    execFileSync('makefs', ['-t', 'ffs', '-o', 'version=1', '-s', '540m', u1, join(dir, 'src')]);
    writeFileSync(join(dir, 'src/file'), '');

    const k = await rump_init({ libraries: [rumpvfs, ffs] });
    const sw = devswOf(k);
    const maj = sw.freeMajor();
    const dev = new FileBlockDevice(u2);
    sw.attach(maj, { name: 'bench', open: () => dev }, null, null);
    k.proc.mknod('/dev/ffs0', S_IFBLK | 0o600, makedev(maj, 0));
    k.proc.mkdir('/mnt', 0o755);
    k.proc.mount('ffs', '/mnt', MNT_RDONLY, { fspec: '/dev/ffs0' });
    const readOnce = (bs: number): number => {
      const f = k.proc.open('/mnt/file', O_RDONLY);
      const buf = new Uint8Array(bs);
      let tot = 0;
      const s = seconds(() => {
        for (let n; (n = k.proc.read(f, buf)) > 0; ) tot += n;
      });
      k.proc.close(f);
      if (tot !== SIZE) throw new Error(`short read: ${tot}`);
      return s;
    };
    // One untimed pass at the same size first (the JIT's warm-up), then the timed one.
    const readAll = (bs: number): number => {
      readOnce(bs);
      return readOnce(bs);
    };
    readOnce(1 << 20); // warm the host page cache
    const cat = seconds(() => execFileSync('sh', ['-c', `cat ${u2} > /dev/null`]));
    const rows: BenchResult['rows'] = [];
    for (const bs of [4096, 65536]) {
      rows.push({ case: `read ${bs / 1024} KiB vs cat`, ours: mbps(SIZE, readAll(bs), `rumpts read(${bs})`), reference: mbps(SIZE, cat, 'cat image'), target: '≥ 0.5' });
    }
    if (spawnSync('icat', ['-V']).error === undefined) {
      const ino = execFileSync('sh', ['-c', `fls -f ufs1 ${u1} | awk '/file$/ {print $2}' | tr -d :`]).toString().trim();
      const icat = seconds(() => execFileSync('sh', ['-c', `icat -f ufs1 ${u1} ${ino} > /dev/null`]));
      rows.push({ case: 'read 64 KiB vs icat (UFS1)', ours: mbps(SIZE, readAll(65536), 'rumpts read(65536)'), reference: mbps(SIZE, icat, 'sleuthkit icat') });
    }
    k.halt();
    dev.close();
    return { rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default { name: 'ffs-read', description: 'sequential read of a 512 MiB file from a UFS2 image', run };
