/**
 * The cylinder group free-fragment map as FFS reads it (ffs_subr.c): whole blocks, maximal free runs
 * inside a block (fragacct → cg_frsum), and the cluster map with its summary (ffs_clusteracct).
 * Fragment and block indexes here are relative to the start of the cylinder group (dtogd).
 */
import type { CgView } from './ondisk/cg.js';
import type { Fs } from './ondisk/fs.js';

/** ffs_isblock: are all fragments of block `h` free? */
export function isblock(fs: Fs, cgp: CgView, freeoff: number, h: number): boolean {
  const b = cgp.b;
  switch (fs.frag) {
    case 8:
      return b[freeoff + h] === 0xff;
    case 4: {
      const m = 0x0f << ((h & 1) << 2);
      return ((b[freeoff + (h >>> 1)] ?? 0) & m) === m;
    }
    case 2: {
      const m = 0x03 << ((h & 3) << 1);
      return ((b[freeoff + (h >>> 2)] ?? 0) & m) === m;
    }
    default:
      return cgp.bit(freeoff, h);
  }
}

/** ffs_setblock / ffs_clrblock: mark all fragments of block `h` free (or used). */
export function setblock(fs: Fs, cgp: CgView, freeoff: number, h: number, free: boolean): void {
  // 8 fragments a block: the block's map is one byte, cleared at once (taking a block is the
  // allocator's most common step). Freeing goes bit by bit: setBit keeps mapsearch's memo right.
  if (fs.frag === 8 && !free) {
    cgp.b[freeoff + h] = 0;
    return;
  }
  const base = h * fs.frag;
  for (let i = 0; i < fs.frag; i++) {
    if (free) cgp.setBit(freeoff, base + i);
    else cgp.clrBit(freeoff, base + i);
  }
}

/**
 * ffs_fragacct: add `cnt` to cg_frsum[n] for every maximal free run of n < frag fragments inside
 * the block starting at fragment `bbase` (a whole free block is counted in nbfree, not here).
 */
export function fragacct(fs: Fs, cgp: CgView, freeoff: number, bbase: number, cnt: number): void {
  let run = 0;
  for (let i = 0; i < fs.frag; i++) {
    if (cgp.bit(freeoff, bbase + i)) {
      run++;
    } else {
      if (run > 0 && run < fs.frag) cgp.addFrsum(run, cnt);
      run = 0;
    }
  }
  if (run > 0 && run < fs.frag) cgp.addFrsum(run, cnt);
}

/**
 * ffs_clusteracct: block `blkno` becomes free (cnt 1) or used (cnt -1) in the cluster map; the
 * cluster summary counts free runs by length, capped at fs_contigsumsize.
 */
export function clusteracct(fs: Fs, cgp: CgView, blkno: number, cnt: number): void {
  const csz = fs.contigsumsize;
  if (csz <= 0) return;
  const map = cgp.clusteroff();
  if (cnt > 0) cgp.setBit(map, blkno);
  else cgp.clrBit(map, blkno);
  const nblks = cgp.nclusterblks();
  const fstart = blkno + 1;
  const fend = Math.min(fstart + csz, nblks);
  let i = fstart;
  while (i < fend && cgp.bit(map, i)) i++;
  const forw = i - fstart;
  const bstart = blkno - 1;
  const bend = Math.max(bstart - csz, -1);
  i = bstart;
  while (i > bend && cgp.bit(map, i)) i--;
  const back = bstart - i;
  const len = Math.min(back + forw + 1, csz);
  cgp.addClusterSum(len, cnt);
  if (back > 0) cgp.addClusterSum(back, -cnt);
  if (forw > 0) cgp.addClusterSum(forw, -cnt);
}

/**
 * ffs_mapsearch: a free run for `allocsiz` fragments — a whole free block when allocsiz == frag,
 * else the start of a maximal free run of exactly allocsiz fragments inside a block (cg_frsum says
 * one exists) — searching blocks from `start` (a fragment index) round the cg. -1 if none.
 */
export function mapsearch(fs: Fs, cgp: CgView, start: number, allocsiz: number): number {
  const freeoff = cgp.freeoff();
  const ndblk = cgp.ndblk();
  const nblk = Math.ceil(ndblk / fs.frag);
  const first = Math.min(Math.max(0, Math.floor(start / fs.frag)), Math.max(nblk - 1, 0));
  if (fs.frag === 8) return mapsearch8(cgp, freeoff, ndblk, first, allocsiz);
  for (let k = 0; k < nblk; k++) {
    const h = (first + k) % nblk;
    const base = h * fs.frag;
    if (allocsiz === fs.frag) {
      if (base + fs.frag <= ndblk && isblock(fs, cgp, freeoff, h)) return base;
      continue;
    }
    let run = 0;
    for (let i = 0; i <= fs.frag; i++) {
      const free = i < fs.frag && base + i < ndblk && cgp.bit(freeoff, base + i);
      if (free) {
        run++;
      } else {
        if (run === allocsiz) return base + i - run;
        run = 0;
      }
    }
  }
  return -1;
}

/**
 * RUNS[byte]: bit n set when the byte, as the free map of one 8-fragment block, holds a maximal
 * free run of exactly n fragments (NetBSD's fragtbl8, as a bit set of run lengths).
 */
const RUNS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let v = 0; v < 256; v++) {
    let run = 0;
    let set = 0;
    for (let i = 0; i <= 8; i++) {
      if (i < 8 && (v & (1 << i)) !== 0) run++;
      else {
        if (run > 0 && run < 8) set |= 1 << run;
        run = 0;
      }
    }
    t[v] = set;
  }
  return t;
})();

/**
 * mapsearch for fs_frag 8, where a block's free map is one byte (scanc over fragtbl in NetBSD):
 * a whole free block is a 0xff byte, found natively; a run of exactly `allocsiz` fragments is a
 * byte whose RUNS entry has that bit. Blocks are tried from `first` round the group, as mapsearch.
 */
function mapsearch8(cgp: CgView, freeoff: number, ndblk: number, first: number, allocsiz: number): number {
  const b = cgp.b;
  const full = Math.floor(ndblk / 8);
  if (allocsiz === 8) {
    // indexOf over the whole block (no subarrays made): a hit past the map's end is no hit.
    let h = first < full ? b.indexOf(0xff, freeoff + first) - freeoff : -1;
    if (h < 0 || h >= full) {
      h = b.indexOf(0xff, freeoff) - freeoff;
      if (h >= Math.min(first, full)) h = -1;
    }
    return h < 0 ? -1 : h * 8;
  }
  // Every fragment search of a group starts at its first data block (ffs_blkpref), and the blocks
  // behind the allocator are all used: the memo of that stretch lets the search start past it.
  if (cgp.memoMap === freeoff && cgp.memoFrom <= first && first < cgp.memoTo) {
    const r = fragsearch8(cgp, freeoff, ndblk, first, cgp.memoTo, cgp.memoFrom, allocsiz);
    if (r >= 0) return r;
    // Nothing past the memo: search it all (the memo cannot hide a run, but a miss costs little).
    cgp.memoMap = -1;
  }
  return fragsearch8(cgp, freeoff, ndblk, first, first, first, allocsiz);
}

/**
 * The fragment part of mapsearch8: blocks from `start` (>= first) to the end, then from the start
 * of the group round to `first`. Remembers (CgView.memoMap) how far the bytes from `zeroFrom` on
 * were wholly allocated.
 */
function fragsearch8(cgp: CgView, freeoff: number, ndblk: number, first: number, start: number, zeroFrom: number, allocsiz: number): number {
  const b = cgp.b;
  const dv = cgp.v.dv;
  const full = Math.floor(ndblk / 8);
  const nblk = Math.ceil(ndblk / 8);
  const want = 1 << allocsiz;
  // The last block may be partial: fragments past ndblk count as used.
  const tailMask = ndblk % 8 === 0 ? 0xff : (1 << (ndblk % 8)) - 1;
  // Where the wholly allocated bytes from zeroFrom end (-1: not yet).
  let zeroEnd = -1;
  let found = -1;
  // From `start` to the end, then from the start round to `first`.
  for (let pass = 0; pass < 2 && found < 0; pass++) {
    const to = pass === 0 ? nblk : Math.min(first, nblk);
    // Words of whole blocks only: the partial last block is looked at byte by byte (its tail mask).
    const wordsTo = Math.min(to, full) - 4;
    let h = pass === 0 ? start : 0;
    while (h < to) {
      // Four blocks wholly allocated (0x00 bytes) or wholly free (0xff: no partial run) are skipped
      // at once: an image being filled has long runs of both, which a fragment search crosses.
      if (h <= wordsTo) {
        const w = dv.getUint32(freeoff + h);
        if (w === 0 || w === 0xffffffff) {
          if (w !== 0 && zeroEnd < 0 && pass === 0) zeroEnd = h;
          h += 4;
          continue;
        }
      }
      let v = b[freeoff + h]!;
      if (h === nblk - 1) v &= tailMask;
      if (v !== 0 && zeroEnd < 0 && pass === 0) zeroEnd = h;
      if ((RUNS[v]! & want) !== 0) {
        let run = 0;
        for (let i = 0; i <= 8; i++) {
          if (i < 8 && (v & (1 << i)) !== 0) run++;
          else {
            if (run === allocsiz) {
              found = h * 8 + i - run;
              break;
            }
            run = 0;
          }
        }
        if (found >= 0) break;
      }
      h++;
    }
    if (pass === 0 && zeroEnd < 0) zeroEnd = nblk;
  }
  cgp.memoMap = freeoff;
  cgp.memoFrom = zeroFrom;
  cgp.memoTo = Math.max(zeroEnd, start);
  return found;
}
