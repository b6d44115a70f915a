/**
 * Read-ahead (readahead.ts) never serves stale bytes: small sequential reads of several files at
 * once, interleaved with writes, truncates and re-extensions, always read what a host model holds.
 * Large reads (mapped a run of blocks at a time) read the same bytes across holes, fragment tails,
 * blocks out of order on disk and the indirect-block boundaries.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { O_CREAT, O_RDWR, type Proc } from '@rumpts/librump';
import { pattern, tempDir } from './helpers.js';
import { mountImage } from './rwhelpers.js';
import { newfsImage } from './wapblhelpers.js';

/** A seeded LCG, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
}

function preadAll(p: Proc, fd: number, size: number, bs: number): Uint8Array {
  const out = new Uint8Array(size);
  const b = new Uint8Array(bs);
  for (let off = 0; off < size; ) {
    p.lseek(fd, off, 0);
    const n = p.read(fd, b);
    if (n <= 0) break;
    out.set(b.subarray(0, n), off);
    off += n;
  }
  return out;
}

describe('read-ahead', () => {
  for (const seed of [3, 17]) {
    it(`small sequential reads stay coherent with writes and truncates (seed ${seed})`, async () => {
      const t = tempDir('ra');
      try {
        const img = join(t.path, 'img');
        newfsImage(img, { version: 2, endian: 'le', dev: 48 << 20 });
        const env = await mountImage(img);
        const p = env.k.proc;
        const rnd = lcg(seed);
        const files = [0, 1, 2, 3, 4, 5].map((i) => {
          const size = 200_000 + i * 50_000;
          const model = Uint8Array.from(pattern(`ra${seed}.${i}`, size));
          const fd = p.open(`/mnt/f${i}`, O_CREAT | O_RDWR, 0o644);
          p.write(fd, model);
          return { fd, model };
        });
        // The plain case first: read ahead, write inside the window, read again.
        const f0 = files[0]!;
        expect(Buffer.compare(preadAll(p, f0.fd, 8192, 4096), f0.model.subarray(0, 8192))).toBe(0);
        const patch = pattern(`patch${seed}`, 3000);
        p.lseek(f0.fd, 5000, 0);
        p.write(f0.fd, patch);
        f0.model.set(patch, 5000);
        expect(Buffer.compare(preadAll(p, f0.fd, f0.model.length, 4096), f0.model)).toBe(0);
        // Cut inside the window and grow again: the new tail reads as zeros.
        expect(Buffer.compare(preadAll(p, f0.fd, 8192, 4096), f0.model.subarray(0, 8192))).toBe(0);
        p.ftruncate(f0.fd, 6000);
        p.ftruncate(f0.fd, 20_000);
        const cut = new Uint8Array(20_000);
        cut.set(f0.model.subarray(0, 6000));
        f0.model = cut;
        expect(Buffer.compare(preadAll(p, f0.fd, f0.model.length, 4096), f0.model)).toBe(0);
        for (let step = 0; step < 60; step++) {
          const f = files[rnd() % files.length]!;
          const op = rnd() % 4;
          if (op === 0) {
            // A write somewhere inside (or just past) the file.
            const off = rnd() % (f.model.length + 1000);
            const data = pattern(`w${seed}.${step}`, 1 + (rnd() % 20_000));
            p.lseek(f.fd, off, 0);
            p.write(f.fd, data);
            const grown = new Uint8Array(Math.max(f.model.length, off + data.length));
            grown.set(f.model);
            grown.set(data, off);
            f.model = grown;
          } else if (op === 1) {
            const len = rnd() % (f.model.length + 50_000);
            p.ftruncate(f.fd, len);
            const m = new Uint8Array(len);
            m.set(f.model.subarray(0, Math.min(len, f.model.length)));
            f.model = m;
          } else {
            const bs = [512, 4096, 5000, 16384][rnd() % 4]!;
            const got = preadAll(p, f.fd, f.model.length, bs);
            expect(Buffer.compare(got, f.model), `seed ${seed} step ${step} bs ${bs}`).toBe(0);
          }
        }
        for (const f of files) {
          expect(Buffer.compare(preadAll(p, f.fd, f.model.length, 4096), f.model)).toBe(0);
          p.close(f.fd);
        }
        env.done();
      } finally {
        t.cleanup();
      }
    }, 120_000);
  }

  it('large reads map runs of blocks: holes, interleaved files, fragment tails, indirect boundaries', async () => {
    const t = tempDir('rarun');
    try {
      const img = join(t.path, 'img');
      newfsImage(img, { version: 2, endian: 'le', dev: 48 << 20 });
      const env = await mountImage(img);
      const p = env.k.proc;
      const rnd = lcg(99);
      // Two files written in turns, 20,000 bytes at a time: their blocks alternate in runs on disk.
      const models = [new Uint8Array(0), new Uint8Array(0)];
      const fds = [0, 1].map((i) => p.open(`/mnt/i${i}`, O_CREAT | O_RDWR, 0o644));
      for (let step = 0; step < 40; step++) {
        const i = step % 2;
        const data = pattern(`i${i}.${step}`, 20_000);
        p.write(fds[i]!, data);
        const m = new Uint8Array(models[i]!.length + data.length);
        m.set(models[i]!);
        m.set(data, models[i]!.length);
        models[i] = m;
      }
      // A sparse file: data in the direct blocks, a hole, data across the single/double indirect
      // boundary (12 + 1024 blocks of 8 KiB), and a short tail.
      const sparse = new Uint8Array(9 << 20);
      const fdS = p.open('/mnt/sparse', O_CREAT | O_RDWR, 0o644);
      for (const [off, len] of [[0, 70_000], [(12 + 1024) * 8192 - 30_000, 60_000], [(9 << 20) - 5000, 5000]] as const) {
        const data = pattern(`s${off}`, len);
        p.lseek(fdS, off, 0);
        p.write(fdS, data);
        sparse.set(data, off);
      }
      // A small file whose last block is a fragment run.
      const tail = Uint8Array.from(pattern('tail', 8192 * 3 + 2500));
      const fdT = p.open('/mnt/tail', O_CREAT | O_RDWR, 0o644);
      p.write(fdT, tail);
      const all = [...fds.map((fd, i) => ({ fd, model: models[i]! })), { fd: fdS, model: sparse }, { fd: fdT, model: tail }];
      for (const f of all) {
        for (const bs of [32768, 131072, 1 << 20]) expect(Buffer.compare(preadAll(p, f.fd, f.model.length, bs), f.model), `bs ${bs}`).toBe(0);
        for (let k = 0; k < 30; k++) {
          const off = rnd() % f.model.length;
          const b = new Uint8Array(32768 + (rnd() % 300_000));
          p.lseek(f.fd, off, 0);
          const n = p.read(f.fd, b);
          expect(n).toBe(Math.min(b.length, f.model.length - off));
          expect(Buffer.compare(b.subarray(0, n), f.model.subarray(off, off + n)), `read of ${b.length} at ${off}`).toBe(0);
        }
        p.close(f.fd);
      }
      env.done();
    } finally {
      t.cleanup();
    }
  }, 120_000);
});
