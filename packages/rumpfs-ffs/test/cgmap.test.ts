/**
 * mapsearch for 8-fragment blocks (one map byte a block, skipped a word at a time over wholly used or
 * wholly free blocks) finds what a plain fragment-by-fragment search of the map finds.
 */
import { describe, expect, it } from 'vitest';
import { mapsearch } from '../src/cgmap.js';
import type { CgView } from '../src/ondisk/cg.js';
import type { Fs } from '../src/ondisk/fs.js';
import { DiskView } from '../src/ondisk/bswap.js';

/** The fragment map as NetBSD's ffs_mapsearch reads it, one fragment at a time. */
function plain(map: Uint8Array, ndblk: number, start: number, allocsiz: number): number {
  const nblk = Math.ceil(ndblk / 8);
  const first = Math.min(Math.max(0, Math.floor(start / 8)), nblk - 1);
  const free = (f: number): boolean => f < ndblk && (map[f >> 3]! & (1 << (f & 7))) !== 0;
  for (let k = 0; k < nblk; k++) {
    const base = ((first + k) % nblk) * 8;
    if (allocsiz === 8) {
      if (base + 8 <= ndblk && map[base >> 3] === 0xff) return base;
      continue;
    }
    let run = 0;
    for (let i = 0; i <= 8; i++) {
      if (i < 8 && free(base + i)) run++;
      else {
        if (run === allocsiz) return base + i - run;
        run = 0;
      }
    }
  }
  return -1;
}

describe('mapsearch, 8 fragments a block', () => {
  it('finds the run a plain search finds, over maps of used, free and partial blocks', () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed % n;
    };
    const fs = { frag: 8 } as Fs;
    let found = 0;
    for (let t = 0; t < 3000; t++) {
      const ndblk = 8 + rnd(600);
      const freeoff = 1 + rnd(7);
      const b = new Uint8Array(freeoff + Math.ceil(ndblk / 8) + 8);
      // Whole free blocks' bytes (0xff) all round the map: a search must not take one from outside it.
      b.fill(0xff);
      const mixed = rnd(3) === 0;
      for (let i = 0; i < Math.ceil(ndblk / 8); i++) {
        const r = rnd(10);
        b[freeoff + i] = mixed ? rnd(256) : r < 4 ? 0 : r < 8 ? 0xff : rnd(256);
      }
      const cgp = { b, v: new DiskView(b, true), freeoff: () => freeoff, ndblk: () => ndblk } as unknown as CgView;
      const map = b.subarray(freeoff);
      for (let k = 0; k < 4; k++) {
        const start = rnd(ndblk + 16);
        const allocsiz = 1 + rnd(8);
        const want = plain(map, ndblk, start, allocsiz);
        if (want >= 0) found++;
        expect(mapsearch(fs, cgp, start, allocsiz), `ndblk ${ndblk} start ${start} allocsiz ${allocsiz}`).toBe(want);
      }
    }
    expect(found).toBeGreaterThan(1000);
  });
});
