/**
 * vfs-stat: in-process stat(2) through the rump kernel (namei + getattr on rumpfs) next to the host's
 * fs.statSync on a real file, measured in the same run. Target: ≤ 2 µs per stat (NetBSD's C rump kernel
 * measured 2.1 µs on rumpfs here).
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { O_CREAT, O_WRONLY, rump_init } from '@rumpts/librump';
import * as rumpvfs from '@rumpts/rumpvfs';
import type { Benchmark } from './run.js';

const bench: Benchmark = {
  name: 'vfs-stat',
  description: 'stat of /tmp/dir/file: rump kernel vs host fs.statSync',
  async run() {
    const k = await rump_init({ libraries: [rumpvfs] });
    const p = k.proc;
    p.mkdir('/tmp/dir', 0o755);
    p.close(p.open('/tmp/dir/file', O_CREAT | O_WRONLY, 0o644));
    const hostDir = mkdtempSync(join(tmpdir(), 'rumpts-bench-'));
    const hostFile = join(hostDir, 'file');
    writeFileSync(hostFile, '');
    const b = new Bench({ time: 1000, warmupTime: 200 });
    b.add('rump stat', () => {
      p.stat('/tmp/dir/file');
    });
    b.add('host statSync', () => {
      statSync(hostFile);
    });
    await b.run();
    rmSync(hostDir, { recursive: true, force: true });
    k.halt();
    const us = (name: string): number => {
      const t = b.getTask(name)?.result;
      const mean = t && 'latency' in t ? t.latency.mean : NaN;
      return mean * 1000; // ms → µs
    };
    return {
      rows: [
        {
          case: 'stat',
          ours: { value: us('rump stat'), unit: 'µs/op', label: 'rump stat' },
          reference: { value: us('host statSync'), unit: 'µs/op', label: 'host fs.statSync' },
          target: '≤ 2 µs (NetBSD C rump: 2.1 µs)',
        },
      ],
    };
  },
};
export default bench;
