/**
 * makefs's host I/O machinery: the staging device (gathered image writes) and the I/O thread
 * (host files read straight into the image, image written behind). Images built with the thread
 * and without are both checked by our fsck and, when present, sleuthkit (verify_ffs_image.sh).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRumpError } from '@rumpts/librump';
import { HostFileBlockDevice, MemoryBlockDevice, WindowBlockDevice } from '@rumpts/rumpdev-disk';
import { fsck, makefs, makefsSize, type MakefsOptions } from '../src/index.js';
import { MakefsIo } from '../src/tools/iothread.js';
import { StagingDevice } from '../src/tools/stage.js';
import { runFsck } from './fsckhelpers.js';
import { pattern, tempDir, writeTree } from './helpers.js';
import { HAVE_TSK } from './rwhelpers.js';

const VERIFY = resolve(import.meta.dirname, '../../../tools/ffs/verify_ffs_image.sh');
const HAVE_VERIFY = existsSync(VERIFY) && HAVE_TSK;
const MiB = 1024 * 1024;

/** A seeded LCG, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
}

describe('StagingDevice', () => {
  it('reads back every write, keeps what it never wrote, and writes it all out (seeded)', () => {
    for (const seed of [1, 7, 42]) {
      const size = 6 * MiB;
      const dev = new MemoryBlockDevice(size);
      const before = pattern(`old${seed}`, size);
      dev.write(before, 0);
      const model = Uint8Array.from(before);
      // Two chunks resident: most writes evict, and many land in a chunk written before.
      const st = new StagingDevice(dev, { maxBytes: 2 * MiB, hostSync: false });
      const rnd = lcg(seed);
      for (let i = 0; i < 400; i++) {
        const off = (rnd() % (size / 512 - 40)) * 512;
        const len = (1 + (rnd() % 32)) * 512;
        const data = pattern(`w${seed}.${i}`, len);
        if (i % 3 === 0) {
          // A fresh fragment: some bytes, then zeros to the end of the run.
          const used = 1 + (rnd() % len);
          st.writePadded(data.subarray(0, used), off, len);
          model.set(data.subarray(0, used), off);
          model.fill(0, off + used, off + len);
        } else {
          st.write(data, off);
          model.set(data, off);
        }
        if (i % 50 === 0) {
          const r = new Uint8Array(64 * 512);
          const at = (rnd() % (size / 512 - 64)) * 512;
          st.read(r, at);
          expect(Buffer.compare(r, model.subarray(at, at + r.length)), `seed ${seed} read at ${at}`).toBe(0);
        }
      }
      st.drain();
      const out = new Uint8Array(size);
      dev.read(out, 0);
      expect(Buffer.compare(out, model), `seed ${seed}`).toBe(0);
    }
  });

  it('on a zeroed device, sends a chunk first as one write (gaps as zeros), later only its staged runs (seeded)', () => {
    for (const seed of [3, 11]) {
      const size = 6 * MiB;
      const writes: [number, number][] = [];
      const dev = new MemoryBlockDevice(size);
      const write = dev.write.bind(dev);
      dev.write = (b: Uint8Array, off: number): void => {
        writes.push([off, b.length]);
        write(b, off);
      };
      const model = new Uint8Array(size);
      // Every chunk stays staged until drain(): its first trip out.
      const st = new StagingDevice(dev, { maxBytes: 8 * MiB, hostSync: false, zeroed: true });
      const rnd = lcg(seed);
      const stage = (i: number): void => {
        const off = (rnd() % (size / 512 - 40)) * 512;
        const len = (1 + (rnd() % 32)) * 512;
        const data = pattern(`z${seed}.${i}`, len);
        if (i % 2 === 0) {
          // File bytes put in place by a reader, then zeros to the end of the run.
          const used = 1 + (rnd() % len);
          st.stageFill(off, used, len, (dst, at, done, n) => dst.set(data.subarray(done, done + n), at));
          model.set(data.subarray(0, used), off);
          model.fill(0, off + used, off + len);
        } else {
          st.write(data, off);
          model.set(data, off);
        }
      };
      for (let i = 0; i < 200; i++) stage(i);
      st.drain();
      expect(writes.length, `seed ${seed}: one write per chunk`).toBe(6);
      // The chunks go out again, now over bytes of their own: only what is staged may be written.
      for (let i = 200; i < 400; i++) stage(i);
      st.drain();
      expect(writes.length).toBeGreaterThan(6 + 50);
      const out = new Uint8Array(size);
      dev.read(out, 0);
      expect(Buffer.compare(out, model), `seed ${seed}`).toBe(0);
    }
  });
});

function build(src: string, img: string, o: MakefsOptions): ReturnType<typeof makefs> {
  const plan = makefsSize(src, o);
  const fd = openSync(img, 'w');
  ftruncateSync(fd, plan.size);
  closeSync(fd);
  const dev = new HostFileBlockDevice(img);
  try {
    return makefs(dev, src, { ...o, plan });
  } finally {
    dev.close();
  }
}

/** The usual tree plus 300 small files (enough for the I/O thread) and a 3 MiB file (several chunks). */
function bigTree(root: string): void {
  writeTree(root, { bsize: 8192, big: false, bigdir: 50 });
  mkdirSync(join(root, 'many'));
  for (let i = 0; i < 300; i++) writeFileSync(join(root, 'many', `f${i}`), pattern(`many${i}`, (i * 977) % 9000));
  writeFileSync(join(root, 'many', 'three-mib'), pattern('three', 3 * MiB + 123));
}

describe('makefs I/O thread', () => {
  for (const ioThread of [true, false]) {
    it(`${ioThread ? 'with' : 'without'} the thread: fsck-clean, and the readers see exactly the tree`, () => {
      const t = tempDir(`mkio${ioThread}`);
      try {
        const src = join(t.path, 'src');
        mkdirSync(src);
        bigTree(src);
        const img = join(t.path, 'img');
        const r = build(src, img, { version: 2, ioThread });
        if (ioThread) expect(r.threadJobs).toBeGreaterThan(0);
        else expect(r.threadJobs).toBe(0);
        expect(runFsck(img, false).problems.map((p) => p.message)).toEqual([]);
        if (HAVE_VERIFY) {
          const v = spawnSync(VERIFY, [img, src], { encoding: 'utf8', env: { ...process.env, READERS: 'tsk' }, timeout: 300_000 });
          expect(v.status, v.stderr).toBe(0);
        }
      } finally {
        t.cleanup();
      }
    }, 300_000);
  }

  it('into a partition (a window of the image file): the thread writes inside the window only', () => {
    const t = tempDir('mkiowin');
    try {
      const src = join(t.path, 'src');
      mkdirSync(src);
      bigTree(src);
      const plan = makefsSize(src, { version: 2, ioThread: true });
      const img = join(t.path, 'img');
      const start = MiB;
      const total = start + plan.size + MiB;
      writeFileSync(img, Buffer.alloc(total, 0xab));
      const host = new HostFileBlockDevice(img);
      try {
        const part = new WindowBlockDevice(host, start, plan.size, { name: 'img-a' });
        const r = makefs(part, src, { version: 2, plan, ioThread: true });
        expect(r.threadJobs).toBeGreaterThan(0);
        const f = fsck(new WindowBlockDevice(host, start, plan.size), { repair: false });
        expect(f.problems.map((p) => p.message)).toEqual([]);
      } finally {
        host.close();
      }
      const bytes = readFileSync(img);
      expect(bytes.subarray(0, start).every((b) => b === 0xab)).toBe(true);
      expect(bytes.subarray(start + plan.size).every((b) => b === 0xab)).toBe(true);
    } finally {
      t.cleanup();
    }
  }, 120_000);

  it('a file gone or shrunk after the scan is a clear EIO naming it, not a hang', () => {
    const t = tempDir('mkiogone');
    try {
      const src = join(t.path, 'src');
      mkdirSync(src);
      bigTree(src);
      for (const [name, change, ioThread] of [
        ['f200', (p: string) => rmSync(p), true],
        ['f201', (p: string) => truncateSync(p, 10), true],
        ['f200', (p: string) => rmSync(p), false],
        ['f201', (p: string) => truncateSync(p, 10), false],
      ] as const) {
        const o = { version: 2 as const, ioThread };
        const plan = makefsSize(src, o);
        change(join(src, 'many', name));
        const img = join(t.path, `img-${name}-${ioThread}`);
        const fd = openSync(img, 'w');
        ftruncateSync(fd, plan.size);
        closeSync(fd);
        const dev = new HostFileBlockDevice(img);
        let err: unknown = null;
        try {
          makefs(dev, src, { ...o, plan });
        } catch (e) {
          err = e;
        } finally {
          dev.close();
        }
        expect(isRumpError(err) && err.code).toBe('EIO');
        expect((err as Error).message).toContain(join('many', name));
        // Put it back for the next case.
        writeFileSync(join(src, 'many', name), pattern(name, 5000));
      }
    } finally {
      t.cleanup();
    }
  }, 120_000);
});

describe('MakefsIo', () => {
  for (const alone of [true, false]) {
    it(alone ? 'a thread that never starts: the jobs run on the calling thread, and the bytes land' : 'with its thread: the same bytes land, written by the thread', () => {
      const t = tempDir('mkioalone');
      try {
        const files = [0, 1, 2].map((i) => {
          const p = join(t.path, `h${i}`);
          writeFileSync(p, pattern(`host${i}`, 3000 + i * 5000));
          return p;
        });
        const img = join(t.path, 'img');
        writeFileSync(img, Buffer.alloc(4 * MiB, 0xee));
        const dev = new HostFileBlockDevice(img);
        const io = alone ? new MakefsIo({ workerUrl: new URL('file:///nonexistent/rumpts-no-such-worker.mjs'), startTimeoutMs: 100 }) : new MakefsIo();
        try {
          io.begin(files, dev);
          const st = new StagingDevice(dev, { store: io, hostSync: false });
          expect(st.stagesHost).toBe(true);
          // File 0 whole at 64 KiB (padded to 4 KiB); file 2 from byte 1000 at 1 MiB - 4 KiB, across a
          // chunk boundary; a metadata write in between.
          st.stageHost(0, 0, 64 * 1024, 3000, 4096);
          st.stageHost(2, 1000, MiB - 4096, 12_000, 12_288);
          st.write(pattern('meta', 1024), 2 * MiB);
          st.drain();
          if (alone) expect(io.threadJobs).toBe(0);
          else expect(io.threadJobs).toBeGreaterThan(0);
        } finally {
          io.close();
          dev.close();
        }
        const b = readFileSync(img);
        const f0 = readFileSync(files[0]!);
        const f2 = readFileSync(files[2]!);
        expect(Buffer.compare(b.subarray(64 * 1024, 64 * 1024 + 3000), f0)).toBe(0);
        expect(b.subarray(64 * 1024 + 3000, 64 * 1024 + 4096).every((x) => x === 0)).toBe(true);
        expect(Buffer.compare(b.subarray(MiB - 4096, MiB - 4096 + 12_000), f2.subarray(1000, 13_000))).toBe(0);
        expect(b.subarray(MiB - 4096 + 12_000, MiB - 4096 + 12_288).every((x) => x === 0)).toBe(true);
        expect(Buffer.compare(b.subarray(2 * MiB, 2 * MiB + 1024), pattern('meta', 1024))).toBe(0);
        expect(b.subarray(0, 64 * 1024).every((x) => x === 0xee)).toBe(true);
      } finally {
        t.cleanup();
      }
    }, 60_000);
  }
});
