/**
 * ffs_balloc: make logical block `lbn` of a file exist on disk, allocating indirect blocks on
 * demand, growing a fragment tail in place or moving it (ffs_realloccg), and turning the old last
 * block into a full block before the file grows past it — so only the last block of a file that
 * ends within the direct blocks is ever a run of fragments.
 */
import { S_IFMT, S_IFREG, errno } from '@rumpts/librump';
import { ffs_alloc, ffs_blkfree, ffs_blkpref, ffs_realloccg } from './alloc.js';
import { breadInto, bwriteDirect } from './bio.js';
import { indirPtr } from './bmap.js';
import { type Inode, ffs_update } from './inode.js';
import { setI64At } from './ondisk/bswap.js';
import { UFS_NDADDR, blkoff, blksize, fragroundup, fsbtob, indirectSpans, lblkno } from './ondisk/geometry.js';

export interface Balloc {
  /** Fragment address of the block. */
  addr: number;
  /** Newly allocated with undefined contents: the caller writes all of it (data or zeros). */
  fresh: boolean;
}

/** Store pointer `i` of an indirect block. */
export function setIndirPtr(ip: Inode, dv: DataView, i: number, v: number): void {
  if (ip.ump.ufs2) setI64At(dv, i * 8, v, ip.ump.le);
  else dv.setInt32(i * 4, v, ip.ump.le);
}

/** Is this inode's data kept in the buffer cache (directories, symlinks) rather than written direct? */
export function dataCached(ip: Inode): boolean {
  return (ip.din.mode & S_IFMT) !== S_IFREG;
}

/**
 * The tail at `from` grew from osize to nsize bytes and now lives at `to`: carry the old bytes over
 * and zero the rest, through the path this inode's data takes.
 */
function moveTail(ip: Inode, from: number, to: number, osize: number, nsize: number): void {
  const ump = ip.ump;
  const fs = ump.fs;
  const bio = ump.bio;
  if (dataCached(ip)) {
    if (from === to) {
      const bp = bio.bread(fsbtob(fs, from), nsize);
      bp.data.fill(0, osize);
      bio.bdwrite(bp);
      return;
    }
    const old = bio.bread(fsbtob(fs, from), osize);
    const nb = bio.getblk(fsbtob(fs, to), nsize);
    nb.data.set(old.data);
    nb.data.fill(0, osize);
    bio.brelse(old);
    bio.invalidate(fsbtob(fs, from));
    // Without the log the copy reaches the disk before the inode can point at it.
    if (ump.ordered) bio.bwrite(nb);
    else bio.bdwrite(nb);
  } else if (from === to) {
    bwriteDirect(ump.dev, new Uint8Array(nsize - osize), fsbtob(fs, from) + osize);
  } else {
    const b = new Uint8Array(nsize);
    breadInto(ump.dev, b.subarray(0, osize), fsbtob(fs, from));
    bwriteDirect(ump.dev, b, fsbtob(fs, to));
  }
}

/**
 * A new indirect block, zeroed through the cache. Without the log it is written at once, so an
 * inode or indirect block on disk never points at garbage (ffs_balloc's synchronous write).
 */
function newIndir(ip: Inode, lbn: number, prev: number): number {
  const ump = ip.ump;
  const fs = ump.fs;
  const nb = ffs_alloc(ip, ffs_blkpref(ip, lbn, prev), fs.bsize);
  const bp = ump.bio.getblk(fsbtob(fs, nb), fs.bsize);
  bp.data.fill(0);
  if (ump.ordered) ump.bio.bwrite(bp);
  else ump.bio.bdwrite(bp);
  return nb;
}

/**
 * Grow a fragment-run block `lbn` (at `nb`, osize bytes) to nsize bytes. When ffs_realloccg moved
 * it, the old run is freed only once nothing on disk points at it: under the log the free waits for
 * the commit; without it the inode, now pointing at the new place (which already holds the bytes),
 * is written first — else a crash could leave the file on disk pointing at fragments since given to
 * another file (a duplicate block, or the other file's bytes in this one).
 */
function growTail(ip: Inode, lbn: number, nb: number, osize: number, nsize: number): number {
  const ump = ip.ump;
  const db = ip.din.db;
  const pref = ffs_blkpref(ip, lbn, lbn > 0 ? (db[lbn - 1] ?? 0) : 0);
  const to = ffs_realloccg(ip, nb, pref, osize, nsize);
  moveTail(ip, nb, to, osize, nsize);
  db[lbn] = to;
  ip.dirty = true;
  if (to !== nb) {
    if (ump.ordered) ffs_update(ip, true);
    ffs_blkfree(ump, nb, osize);
  }
  return to;
}

/**
 * Allocate logical block `lbn` of `ip` so that it holds at least `size` bytes (the offset within the
 * block plus the bytes about to be written). ip.size is still the size before the write.
 */
export function ffs_balloc(ip: Inode, lbn: number, size: number): Balloc {
  const ump = ip.ump;
  const fs = ump.fs;
  const din = ip.din;
  const db = din.db;
  // The old last block is a fragment run and the file grows past it: make it a full block.
  const lastlbn = lblkno(fs, din.size);
  if (lastlbn < UFS_NDADDR && lastlbn < lbn) {
    const osize = blksize(fs, din.size, lastlbn);
    const nb = db[lastlbn] ?? 0;
    if (nb !== 0 && osize < fs.bsize && osize > 0) {
      growTail(ip, lastlbn, nb, osize, fs.bsize);
      din.size = (lastlbn + 1) * fs.bsize;
      ip.dirty = true;
    }
  }
  if (lbn < UFS_NDADDR) {
    const nb = db[lbn] ?? 0;
    if (nb !== 0 && din.size >= (lbn + 1) * fs.bsize) return { addr: nb, fresh: false };
    if (nb !== 0) {
      const osize = fragroundup(fs, blkoff(fs, din.size));
      const nsize = fragroundup(fs, size);
      if (nsize <= osize) return { addr: nb, fresh: false };
      return { addr: growTail(ip, lbn, nb, osize, nsize), fresh: false };
    }
    const nsize = din.size < (lbn + 1) * fs.bsize ? fragroundup(fs, size) : fs.bsize;
    const addr = ffs_alloc(ip, ffs_blkpref(ip, lbn, lbn > 0 ? (db[lbn - 1] ?? 0) : 0), nsize);
    db[lbn] = addr;
    ip.dirty = true;
    return { addr, fresh: true };
  }
  const spans = indirectSpans(fs);
  let rel = lbn - UFS_NDADDR;
  let level = 0;
  while (level < 3 && rel >= spans[level]!) {
    rel -= spans[level]!;
    level++;
  }
  if (level === 3) throw errno('EFBIG', `ffs: logical block ${lbn} is beyond the triple indirect block`);
  // bmap's copies of the indirect blocks stay valid unless a pointer is set below (a directory
  // growing by a chunk within its last block walks here on every append).
  // Indirect blocks made by this call, undone if a later allocation fails (ffs_balloc's "fail:").
  const made: number[] = [];
  let undo: (() => void) | null = null;
  try {
    let nb = din.ib[level] ?? 0;
    if (nb === 0) {
      nb = newIndir(ip, lbn, 0);
      made.push(nb);
      din.ib[level] = nb;
      ip.dirty = true;
      ip.invalIndir();
      undo = () => {
        din.ib[level] = 0;
      };
    }
    for (let d = level; d >= 0; d--) {
      const span = d === 0 ? 1 : spans[d - 1]!;
      const idx = Math.floor(rel / span) % fs.nindir;
      const bp = ump.bio.bread(fsbtob(fs, nb), fs.bsize);
      const dv = new DataView(bp.data.buffer, bp.data.byteOffset, bp.data.byteLength);
      let ptr = indirPtr(ip, dv, idx);
      if (ptr !== 0) {
        ump.bio.brelse(bp);
        if (ptr < 0 || ptr >= fs.size) throw errno('EIO', `ffs: inode ${ip.ino}: indirect pointer ${ptr} lies outside the file system`);
        if (d === 0) return { addr: ptr, fresh: false };
        nb = ptr;
        continue;
      }
      try {
        const prev = idx > 0 ? indirPtr(ip, dv, idx - 1) : 0;
        ptr = d === 0 ? ffs_alloc(ip, ffs_blkpref(ip, lbn, prev), fs.bsize) : newIndir(ip, lbn, prev);
      } catch (e) {
        ump.bio.brelse(bp);
        throw e;
      }
      setIndirPtr(ip, dv, idx, ptr);
      ump.bio.bdwrite(bp);
      ip.invalIndir();
      if (d === 0) return { addr: ptr, fresh: true };
      made.push(ptr);
      if (!undo) {
        const parent = nb;
        undo = () => {
          const pb = ump.bio.bread(fsbtob(fs, parent), fs.bsize);
          setIndirPtr(ip, new DataView(pb.data.buffer, pb.data.byteOffset, pb.data.byteLength), idx, 0);
          // The delayed parent may have gone out with the pointer (eviction): without the log its
          // removal is on disk before the blocks it named can be reused. (A pointer in the inode
          // itself never reached the disk: nothing writes the inode within this call.)
          if (ump.ordered) ump.bio.bwrite(pb);
          else ump.bio.bdwrite(pb);
        };
      }
      nb = ptr;
    }
  } catch (e) {
    if (undo) {
      undo();
      for (const b of made) {
        ump.bio.invalidate(fsbtob(fs, b));
        ffs_blkfree(ump, b, fs.bsize);
        din.blocks -= fs.bsize / 512;
      }
      ip.invalIndir();
    }
    throw e;
  }
  throw errno('EIO', 'ffs_balloc: unreachable');
}
