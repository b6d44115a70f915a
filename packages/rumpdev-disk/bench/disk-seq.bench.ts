/**
 * disk-seq: read a 512 MiB host-backed block device sequentially through the buffer cache (64 KiB
 * bread + brelse, as FFS reads big files) and compare with `cat FILE > /dev/null` of the same host
 * file in the same run. Target: ≥ 0.5× cat's throughput. Best of three for each, page cache warm.
 *
 * Shaped for tools/bench/run.ts (default export { name, description, run }); run it alone with
 * `pnpm exec tsx packages/rumpdev-disk/bench/disk-seq.bench.ts`.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import * as disk from '@rumpts/rumpdev-disk';

interface Figure {
  value: number;
  unit: string;
  label: string;
}
interface BenchResult {
  rows: { case: string; ours: Figure; reference: Figure | null; target?: string }[];
}

const SIZE = Number(process.env['DISK_SEQ_MIB'] ?? 512) * 1024 * 1024;
const BS = 65536;

function makeImage(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = new Uint8Array(1 << 20);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24;
  for (let off = 0; off < SIZE; off += chunk.length) {
    chunk[0] = off >>> 20; // not all chunks identical
    writeSync(fd, chunk, 0, chunk.length, off);
  }
  closeSync(fd);
}

function best(n: number, fn: () => void): number {
  let t = Infinity;
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint();
    fn();
    t = Math.min(t, Number(process.hrtime.bigint() - s) / 1e9);
  }
  return t;
}

async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'disk-seq-'));
  const img = join(dir, 'disk.img');
  try {
    makeImage(img);
    const cat = () => execFileSync('sh', ['-c', `cat "$1" > /dev/null`, 'sh', img]);
    cat(); // warm the host page cache
    const k = await rump_init({ libraries: [rumpvfs, disk] });
    const dev = new disk.HostFileBlockDevice(img, { readonly: true });
    const u = disk.disk_attach(k, dev);
    const part = u.partition('d');
    const cache = disk.bufcacheOf(k);
    let sum = 0;
    const ours = best(3, () => {
      cache.invalidate(part);
      for (let blk = 0; blk < SIZE / 512; blk += BS / 512) {
        const bp = cache.bread(part, blk, BS);
        sum += bp.data[0] ?? 0;
        cache.brelse(bp);
      }
    });
    const ref = best(3, cat);
    const reads = cache.stats.reads;
    k.halt();
    dev.close();
    const mib = SIZE / (1 << 20);
    return {
      rows: [
        {
          case: `${mib} MiB, ${BS / 1024} KiB bread (${reads} device reads, checksum ${sum})`,
          ours: { value: mib / ours, unit: 'MiB/s', label: 'rumpts bread' },
          reference: { value: mib / ref, unit: 'MiB/s', label: 'cat' },
          target: '≥ 0.5',
        },
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const bench = { name: 'disk-seq', description: 'sequential reads of a host-backed disk through the buffer cache vs cat', run };
export default bench;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await run();
  for (const row of r.rows) {
    const ratio = row.reference ? (row.ours.value / row.reference.value).toFixed(2) : '-';
    console.log(`disk-seq  ${row.case}  ours ${row.ours.value.toFixed(0)} ${row.ours.unit}  cat ${row.reference?.value.toFixed(0)} ${row.reference?.unit}  ratio ${ratio}  target ${row.target}`);
  }
}
