/**
 * Directory entry changes (ufs_lookup.c: ufs_direnter, ufs_dirremove, ufs_dirrewrite,
 * ufs_dirempty). Entries stay inside their 512-byte chunk: an insert takes the slack after an
 * entry or a free first record, or appends a new chunk — never moving an entry, unlike NetBSD's
 * compaction, so readdir cookies (byte offsets) stay valid; a removal merges the entry into the one
 * before it (the first entry of a chunk just gets d_ino 0). The dirhash is updated in step.
 */
import { encodeName, errno, nameText } from '@rumpts/librump';
import type { Buf } from '@rumpts/rumpdev-disk';
import { ffs_balloc } from './balloc.js';
import { ffs_bmap } from './bmap.js';
import { type Dirhash, chunkRoom, dirhashOf } from './dirhash.js';
import { ffs_truncate } from './truncate.js';
import { type Inode, ffs_update } from './inode.js';
import { direntIno, direntNamlen, direntReclen, encodeDirect, encodeDirectName, nameLength } from './ondisk/direct.js';
import { DIRBLKSIZ, blkoff, blksize, dirsiz, fsbtob, lblkno } from './ondisk/geometry.js';

const utf8 = new TextEncoder();

/** The buffer holding directory offset `off` (its position in the buffer is blkoff(fs, off)). */
function dirblk(dp: Inode, off: number): Buf {
  const ump = dp.ump;
  const fs = ump.fs;
  const lbn = lblkno(fs, off);
  const addr = ffs_bmap(dp, lbn);
  if (addr === 0) throw ump.corrupt(`directory inode ${dp.ino} has a hole at offset ${off}`);
  return ump.bio.bread(fsbtob(fs, addr), blksize(fs, dp.din.size, lbn));
}

/** The bytes of a name (encodeName: escaped bytes as themselves), refusing what FFS cannot store. */
export function nameBytes(name: string): Uint8Array {
  const b = encodeName(name);
  if (b.length === 0 || b.length > 255) throw errno('ENAMETOOLONG', `ffs: name of ${b.length} bytes`);
  return b;
}

/** The byte length of a name, refusing what FFS cannot store (nameBytes without the bytes). */
export function nameLen(name: string): number {
  const n = nameLength(name);
  if (n === 0 || n > 255) throw errno('ENAMETOOLONG', `ffs: name of ${n} bytes`);
  return n;
}

/** ufs_direnter: add `name` → `ino` (d_type `type`) to directory `dp`. */
export function ffs_direnter(dp: Inode, name: string, ino: number, type: number): void {
  const ump = dp.ump;
  const le = ump.le;
  const newfmt = ump.dtype;
  const dtype = newfmt ? type : 0;
  const namlen = nameLen(name);
  const need = dirsiz(namlen);
  const h = dirhashOf(dp);
  const c = h.findRoom(need);
  if (c < 0) {
    // Append a chunk: one entry spanning all 512 bytes.
    const off = dp.din.size;
    const fs = ump.fs;
    const lbn = lblkno(fs, off);
    const r = ffs_balloc(dp, lbn, blkoff(fs, off) + DIRBLKSIZ);
    const bsz = blksize(fs, off + DIRBLKSIZ, lbn);
    const bp = r.fresh ? ump.bio.getblk(fsbtob(fs, r.addr), bsz) : ump.bio.bread(fsbtob(fs, r.addr), bsz);
    if (r.fresh) bp.data.fill(0);
    const at = blkoff(fs, off);
    bp.data.fill(0, at, at + DIRBLKSIZ);
    encodeDirectName(bp.data, bp.view(), at, le, newfmt, ino, DIRBLKSIZ, dtype, name, namlen);
    // Without the log the new chunk is on disk before the size that covers it (ufs_direnter's
    // VOP_BWRITE): a crash never shows the directory with a chunk of stale bytes.
    if (ump.ordered) ump.bio.bwrite(bp);
    else ump.bio.bdwrite(bp);
    dp.din.size = off + DIRBLKSIZ;
    dp.dirty = true;
    // The new size goes to the inode block with the entry's block, so whatever writes the buffers
    // back (an fsync of the new file, the syncer) makes the name reachable (ufs_direnter's
    // UPDATE_DIROP).
    ffs_update(dp);
    h.names.set(name, off, ino);
    h.setFree(off / DIRBLKSIZ, DIRBLKSIZ - need);
    return;
  }
  enterInChunk(dp, h, c, name, namlen, need, ino, dtype);
  shrinkDir(dp, h);
}

/**
 * The trailing chunks left empty by removals go when an entry is added, as ufs_direnter truncates
 * a directory to ulr_endoff (ufsdirhash_enduseful): directories shrink again. ffs_truncate puts the
 * inode on disk before the freed blocks can be reused (without the log): were a crash to find the
 * old inode pointing at a block since given to a file, fsck would read that file's bytes as
 * directory entries.
 */
function shrinkDir(dp: Inode, h: Dirhash): void {
  const end = h.endUseful();
  if (end >= dp.din.size) return;
  ffs_truncate(dp, end);
  h.truncate(end / DIRBLKSIZ);
}

/** Put the entry into chunk `c`, which the dirhash says has room. */
function enterInChunk(dp: Inode, h: Dirhash, c: number, name: string, namlen: number, need: number, ino: number, dtype: number): void {
  const ump = dp.ump;
  const le = ump.le;
  const newfmt = ump.dtype;
  const coff = c * DIRBLKSIZ;
  const bp = dirblk(dp, coff);
  const at = blkoff(ump.fs, coff);
  const b = bp.data;
  const dv = bp.view();
  try {
    // The first record with room (ufs_direnter's slot search, without compaction); the whole chain
    // is checked before anything changes, and the chunk's largest other slack is noted for the dirhash.
    let off = at;
    const end = at + DIRBLKSIZ;
    let slot = -1;
    let slotUsed = 0;
    let slotReclen = 0;
    let room = 0;
    while (off < end) {
      const reclen = direntReclen(dv, off, le);
      if (reclen <= 0 || off + reclen > end) throw ump.corrupt(`directory inode ${dp.ino}: bad d_reclen ${reclen} at ${coff + off - at}`);
      const used = direntIno(dv, off, le) === 0 ? 0 : dirsiz(direntNamlen(b, dv, off, le, newfmt));
      if (slot < 0 && reclen - used >= need) {
        slot = off;
        slotUsed = used;
        slotReclen = reclen;
      } else {
        room = Math.max(room, reclen - used);
      }
      off += reclen;
    }
    if (slot < 0) throw ump.corrupt(`directory inode ${dp.ino}: chunk at ${coff} has less room than its index says`);
    if (slotUsed === 0) {
      encodeDirectName(b, dv, slot, le, newfmt, ino, slotReclen, dtype, name, namlen);
    } else {
      dv.setUint16(slot + 4, slotUsed, le);
      encodeDirectName(b, dv, slot + slotUsed, le, newfmt, ino, slotReclen - slotUsed, dtype, name, namlen);
    }
    h.names.set(name, coff + slot + slotUsed - at, ino);
    h.setFree(c, Math.max(room, slotReclen - slotUsed - need));
  } catch (e) {
    ump.bio.brelse(bp);
    throw e;
  }
  ump.bio.bdwrite(bp);
  dp.dirty = true;
}

/** ufs_dirremove: take `name` out of directory `dp`. */
export function ffs_dirremove(dp: Inode, name: string): void {
  const ump = dp.ump;
  const le = ump.le;
  const h = dirhashOf(dp);
  const slot = h.names.find(name);
  if (slot < 0) throw errno('ENOENT', `ffs: ${nameText(name)} is not in directory inode ${dp.ino}`);
  const eoff = h.names.offAt(slot);
  const coff = eoff - (eoff % DIRBLKSIZ);
  const bp = dirblk(dp, coff);
  const at = blkoff(ump.fs, coff);
  const b = bp.data;
  const dv = bp.view();
  const target = at + (eoff - coff);
  const reclen = direntReclen(dv, target, le);
  if (target === at) {
    dv.setUint32(target, 0, le);
  } else {
    let off = at;
    let prev = -1;
    while (off < target) {
      const r = direntReclen(dv, off, le);
      if (r <= 0) break;
      prev = off;
      off += r;
    }
    if (off !== target || prev < 0) {
      ump.bio.brelse(bp);
      throw ump.corrupt(`directory inode ${dp.ino}: entry ${nameText(name)} at ${eoff} is not on the chunk's record chain`);
    }
    dv.setUint16(prev + 4, dv.getUint16(prev + 4, le) + reclen, le);
  }
  h.setFree(coff / DIRBLKSIZ, chunkRoom(b, dv, at, le, ump.dtype));
  ump.bio.bdwrite(bp);
  h.names.delete(name);
  dp.dirty = true;
}

/** ufs_dirrewrite: point the existing entry `name` of `dp` at `ino` (d_type `type`). */
export function ffs_dirrewrite(dp: Inode, name: string, ino: number, type: number): void {
  const ump = dp.ump;
  const h = dirhashOf(dp);
  const slot = h.names.find(name);
  if (slot < 0) throw errno('ENOENT', `ffs: ${nameText(name)} is not in directory inode ${dp.ino}`);
  const eoff = h.names.offAt(slot);
  const bp = dirblk(dp, eoff);
  const at = blkoff(ump.fs, eoff);
  const dv = bp.view();
  dv.setUint32(at, ino >>> 0, ump.le);
  if (ump.dtype) bp.data[at + 6] = type;
  ump.bio.bdwrite(bp);
  h.names.setInoAt(slot, ino);
  dp.dirty = true;
}

/** ufs_dirempty: does directory `ip` hold nothing but `.` and `..`? */
export function ffs_dirempty(ip: Inode): boolean {
  const h = dirhashOf(ip);
  const names = h.names;
  // An entry whose name cannot be looked up still makes the directory non-empty.
  return h.skipped === 0 && names.size - (names.has('.') ? 1 : 0) - (names.has('..') ? 1 : 0) === 0;
}

/** The first chunk of a new directory: `.` (reclen 12) and `..` taking the rest (dir.h template). */
export function dirTemplate(ip: Inode, dst: Uint8Array, dv: DataView, at: number, self: number, parent: number, dtDir: number): void {
  const ump = ip.ump;
  dst.fill(0, at, at + DIRBLKSIZ);
  const dot = utf8.encode('.');
  const dotdot = utf8.encode('..');
  encodeDirect(dst, dv, at, ump.le, ump.dtype, self, dirsiz(1), ump.dtype ? dtDir : 0, dot);
  encodeDirect(dst, dv, at + dirsiz(1), ump.le, ump.dtype, parent, DIRBLKSIZ - dirsiz(1), ump.dtype ? dtDir : 0, dotdot);
}
