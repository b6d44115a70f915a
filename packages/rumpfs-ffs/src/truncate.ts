/**
 * ffs_truncate: change a file's length. Shrinking frees every block past the new end — data and
 * indirect blocks, walked level by level (ffs_indirtrunc) — shrinks a fragment tail and zeroes the
 * bytes past the end in the last block, so growing again reads zeros. Growing allocates the new
 * last block (as NetBSD does) and leaves holes in between.
 */
import { errno, isRumpError } from '@rumpts/librump';
import { ffs_blkfree } from './alloc.js';
import { dataCached, ffs_balloc, setIndirPtr } from './balloc.js';
import { bwriteBytes, bwriteDirect } from './bio.js';
import { ffs_bmap, indirPtr } from './bmap.js';
import { type Inode, ffs_update } from './inode.js';
import { raInvalidate } from './readahead.js';
import { UFS_NDADDR, UFS_NIADDR, blkoff, blksize, fragroundup, fsbtob, lblkno, numfrags } from './ondisk/geometry.js';

/**
 * One shrink in progress. Without the log, the blocks it frees go back to the maps only after the
 * inode (and every indirect block it trimmed) is on disk: a block that a crash could find still
 * pointed to must not have been given to another file (ffs_truncate's UPDATE_WAIT and its
 * synchronous ffs_indirtrunc writes on a mount that is not async). Under the log, frees already
 * wait for the commit.
 */
interface Shrink {
  ip: Inode;
  /** Write trimmed metadata now (no log). */
  sync: boolean;
  /** [block, bytes] to free once the inode is written. */
  frees: [number, number][];
}

/** Free `size` bytes at `bno` that belonged to `ip` (a cached metadata block is dropped first). */
function freeblk(t: Shrink, bno: number, size: number, cached: boolean): void {
  const ip = t.ip;
  const ump = ip.ump;
  if (!Number.isSafeInteger(bno) || bno <= 0 || bno + size / ump.fs.fsize > ump.fs.size) {
    // A corrupt pointer: nothing of ours to free there (the inode lets go of it all the same).
    ump.warn(`inode ${ip.ino}: block ${bno} lies outside the file system: not freed`);
    ip.din.blocks = Math.max(0, ip.din.blocks - size / 512);
    return;
  }
  if (cached) ump.bio.invalidate(fsbtob(ump.fs, bno));
  t.frees.push([bno, size]);
  ip.din.blocks = Math.max(0, ip.din.blocks - size / 512);
}

/**
 * ffs_indirtrunc: in the indirect block `bn` of `level` (0 points at data), free everything mapping
 * logical blocks past `lastbn` (relative to this block; -1 = everything). An indirect pointer that
 * lies outside the file system is neither read nor freed (a kernel message says so, as NetBSD's
 * ffs_blkfree prints "bad block" and goes on): returns false for it, and the truncate completes.
 */
function indirtrunc(t: Shrink, bn: number, lastbn: number, level: number, depthGuard: number): boolean {
  const ip = t.ip;
  const ump = ip.ump;
  const fs = ump.fs;
  if (depthGuard > UFS_NIADDR) throw ump.corrupt(`inode ${ip.ino}: indirect blocks nest too deep`);
  if (!Number.isSafeInteger(bn) || bn <= 0 || bn + fs.frag > fs.size) {
    ump.warn(`inode ${ip.ino}: indirect block ${bn} lies outside the file system: not freed`);
    return false;
  }
  const factor = level === 0 ? 1 : level === 1 ? fs.nindir : fs.nindir * fs.nindir;
  const last = lastbn >= 0 ? Math.floor(lastbn / factor) : -1;
  const bp = ump.bio.bread(fsbtob(fs, bn), fs.bsize);
  const dv = new DataView(bp.data.buffer, bp.data.byteOffset, bp.data.byteLength);
  // Copy the pointers out so the buffer is not held while the children are read.
  const ptrs: number[] = [];
  for (let i = 0; i < fs.nindir; i++) ptrs.push(indirPtr(ip, dv, i));
  if (lastbn >= 0) {
    for (let i = last + 1; i < fs.nindir; i++) setIndirPtr(ip, dv, i, 0);
    if (t.sync) ump.bio.bwrite(bp);
    else ump.bio.bdwrite(bp);
  } else {
    ump.bio.brelse(bp);
  }
  const cached = dataCached(ip);
  for (let i = fs.nindir - 1; i > last; i--) {
    const nb = ptrs[i] ?? 0;
    if (nb === 0) continue;
    if (level > 0) {
      if (indirtrunc(t, nb, -1, level - 1, depthGuard + 1)) freeblk(t, nb, fs.bsize, true);
    } else {
      freeblk(t, nb, fs.bsize, cached);
    }
  }
  if (level > 0 && last >= 0) {
    const nb = ptrs[last] ?? 0;
    if (nb !== 0) indirtrunc(t, nb, lastbn % factor, level - 1, depthGuard + 1);
  }
  return true;
}

/** Zero the bytes of logical block `lbn` from `from` to its end (the part past the new EOF). */
function zeroTail(ip: Inode, lbn: number, from: number, bsz: number): void {
  const ump = ip.ump;
  const addr = ffs_bmap(ip, lbn);
  if (addr === 0 || from >= bsz) return;
  const off = fsbtob(ump.fs, addr);
  if (dataCached(ip)) {
    const bp = ump.bio.bread(off, bsz);
    bp.data.fill(0, from);
    ump.bio.bwrite(bp);
  } else {
    bwriteBytes(ump.dev, new Uint8Array(bsz - from), off + from);
  }
}

export function ffs_truncate(ip: Inode, length: number): void {
  const ump = ip.ump;
  const fs = ump.fs;
  const din = ip.din;
  const osize = din.size;
  if (!Number.isSafeInteger(length) || length < 0) throw errno('EINVAL', `ffs: bad length ${length}`);
  raInvalidate(ip);
  if (ip.isShortLink()) {
    if (length > osize) throw errno('EINVAL', 'ffs: cannot grow a short symlink');
    din.shortlink.fill(0, length);
    din.size = length;
    ip.dirty = true;
    return;
  }
  if (length === osize) return;
  if (length > osize) {
    const lbn = lblkno(fs, length - 1);
    let r;
    try {
      r = ffs_balloc(ip, lbn, blkoff(fs, length - 1) + 1);
    } catch (e) {
      // ffs_balloc may have made the old fragment tail a full block first: undo that too.
      if (din.size !== osize) ffs_truncate(ip, osize);
      throw e;
    }
    if (r.fresh) {
      const bsz = blksize(fs, length, lbn);
      if (dataCached(ip)) {
        const bp = ump.bio.getblk(fsbtob(fs, r.addr), bsz);
        bp.data.fill(0);
        ump.bio.bdwrite(bp);
      } else {
        bwriteDirect(ump.dev, new Uint8Array(bsz), fsbtob(fs, r.addr));
      }
    }
    din.size = length;
    ip.dirty = true;
    return;
  }
  const t: Shrink = { ip, sync: ump.ordered, frees: [] };
  shrink(t, length, osize);
  if (t.frees.length === 0) return;
  if (t.sync) ffs_update(ip, true);
  // The inode no longer points at these: a free the maps refuse (a corrupt pointer, a block already
  // free) is reported and skipped — the truncate is done, and fsck gets back what leaks (NetBSD's
  // ffs_blkfree prints "bad block" / "freeing free block" the same way).
  for (const [bno, size] of t.frees) {
    try {
      ffs_blkfree(ump, bno, size);
    } catch (e) {
      if (!isRumpError(e) || e.code !== 'EIO') throw e;
      ump.warn(`inode ${ip.ino}: truncate: ${e.detail ?? e.message}`);
    }
  }
}

function shrink(t: Shrink, length: number, osize: number): void {
  const ip = t.ip;
  const ump = ip.ump;
  const fs = ump.fs;
  const din = ip.din;
  // Shrink. The new last block must exist (as NetBSD's ufs_balloc_range on length - 1 makes sure):
  // only a file's last block may be a fragment run, and its size follows from di_size.
  const cached = dataCached(ip);
  if (length > 0) {
    const lbn = lblkno(fs, length - 1);
    if (ffs_bmap(ip, lbn) === 0) {
      const r = ffs_balloc(ip, lbn, blkoff(fs, length - 1) + 1);
      const bsz = blksize(fs, osize, lbn);
      if (cached) {
        const bp = ump.bio.getblk(fsbtob(fs, r.addr), bsz);
        bp.data.fill(0);
        ump.bio.bdwrite(bp);
      } else {
        bwriteDirect(ump.dev, new Uint8Array(bsz), fsbtob(fs, r.addr));
      }
    }
  }
  // The partial last block: zero past the end, give back whole fragments.
  const boff = blkoff(fs, length);
  if (boff !== 0) {
    const lbn = lblkno(fs, length);
    const obsz = blksize(fs, osize, lbn);
    zeroTail(ip, lbn, boff, obsz);
    if (lbn < UFS_NDADDR) {
      const addr = din.db[lbn] ?? 0;
      const nsz = fragroundup(fs, boff);
      if (addr !== 0 && nsz < obsz) {
        // The old buffer (written above) is dropped; only the freed tail's logged copies go.
        if (cached) ump.bio.invalidate(fsbtob(fs, addr), nsz);
        t.frees.push([addr + numfrags(fs, nsz), obsz - nsz]);
        din.blocks = Math.max(0, din.blocks - (obsz - nsz) / 512);
      }
    }
  }
  const lastblock = lblkno(fs, length + fs.bsize - 1) - 1;
  for (let i = UFS_NDADDR - 1; i > lastblock; i--) {
    const nb = din.db[i] ?? 0;
    if (nb === 0) continue;
    din.db[i] = 0;
    freeblk(t, nb, blksize(fs, osize, i), cached);
  }
  const n = fs.nindir;
  const lastiblock = [lastblock - UFS_NDADDR, lastblock - UFS_NDADDR - n, lastblock - UFS_NDADDR - n - n * n];
  for (let level = UFS_NIADDR - 1; level >= 0; level--) {
    const bn = din.ib[level] ?? 0;
    if (bn === 0) continue;
    const lib = lastiblock[level]!;
    const ok = indirtrunc(t, bn, lib < 0 ? -1 : lib, level, 0);
    if (lib < 0) {
      din.ib[level] = 0;
      if (ok) freeblk(t, bn, fs.bsize, true);
    }
  }
  ip.invalIndir();
  din.size = length;
  if (length === 0) din.blocks = 0;
  ip.dirty = true;
}
