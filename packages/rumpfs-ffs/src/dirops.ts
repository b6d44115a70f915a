/**
 * Directory entry changes (ufs_lookup.c: ufs_direnter, ufs_dirremove, ufs_dirrewrite,
 * ufs_dirempty). Entries stay inside their 512-byte chunk: an insert takes the slack after an
 * entry or a free first record, or appends a new chunk — never moving an entry, unlike NetBSD's
 * compaction, so readdir cookies (byte offsets) stay valid; a removal merges the entry into the one
 * before it (the first entry of a chunk just gets d_ino 0). The dirhash is updated in step.
 */
import { errno } from '@rumpts/librump';
import type { Buf } from '@rumpts/rumpdev-disk';
import { ffs_balloc } from './balloc.js';
import { ffs_bmap } from './bmap.js';
import { chunkRoom, dirhashOf } from './dirhash.js';
import type { Inode } from './inode.js';
import { decodeDirect, encodeDirect } from './ondisk/direct.js';
import { DIRBLKSIZ, blkoff, blksize, dirsiz, fsbtob, lblkno } from './ondisk/geometry.js';

const utf8 = new TextEncoder();

/** The buffer holding directory offset `off`, and where in it `off` is. */
function dirblk(dp: Inode, off: number): { bp: Buf; at: number } {
  const ump = dp.ump;
  const fs = ump.fs;
  const lbn = lblkno(fs, off);
  const addr = ffs_bmap(dp, lbn);
  if (addr === 0) throw errno('EIO', `ffs: directory inode ${dp.ino} has a hole at offset ${off}`);
  const bp = ump.bio.bread(fsbtob(fs, addr), blksize(fs, dp.din.size, lbn));
  return { bp, at: blkoff(fs, off) };
}

function viewOf(bp: Buf): DataView {
  return new DataView(bp.data.buffer, bp.data.byteOffset, bp.data.byteLength);
}

/** Encode a name, refusing what FFS cannot store. */
export function nameBytes(name: string): Uint8Array {
  const b = utf8.encode(name);
  if (b.length === 0 || b.length > 255) throw errno('ENAMETOOLONG', `ffs: name of ${b.length} bytes`);
  return b;
}

/** ufs_direnter: add `name` → `ino` (d_type `type`) to directory `dp`. */
export function ffs_direnter(dp: Inode, name: string, ino: number, type: number): void {
  const ump = dp.ump;
  const le = ump.le;
  const newfmt = ump.dtype;
  const dtype = newfmt ? type : 0;
  const nb = nameBytes(name);
  const need = dirsiz(nb.length);
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
    encodeDirect(bp.data, viewOf(bp), at, le, newfmt, ino, DIRBLKSIZ, dtype, nb);
    ump.bio.bdwrite(bp);
    dp.din.size = off + DIRBLKSIZ;
    dp.dirty = true;
    h.names.set(name, { off, ino });
    h.setFree(off / DIRBLKSIZ, DIRBLKSIZ - need);
    return;
  }
  const coff = c * DIRBLKSIZ;
  const { bp, at } = dirblk(dp, coff);
  const b = bp.data;
  const dv = viewOf(bp);
  try {
    let off = at;
    const end = at + DIRBLKSIZ;
    let placed = -1;
    while (off < end) {
      const d = decodeDirect(b, dv, off, le, newfmt);
      if (d.reclen <= 0 || off + d.reclen > end) throw errno('EIO', `ffs: directory inode ${dp.ino}: bad d_reclen ${d.reclen} at ${coff + off - at}`);
      const used = d.ino === 0 ? 0 : dirsiz(d.namlen);
      if (d.reclen - used >= need) {
        if (d.ino === 0) {
          encodeDirect(b, dv, off, le, newfmt, ino, d.reclen, dtype, nb);
          placed = off;
        } else {
          dv.setUint16(off + 4, used, le);
          encodeDirect(b, dv, off + used, le, newfmt, ino, d.reclen - used, dtype, nb);
          placed = off + used;
        }
        break;
      }
      off += d.reclen;
    }
    if (placed < 0) throw errno('EIO', `ffs: directory inode ${dp.ino}: chunk at ${coff} has less room than its index says`);
    h.names.set(name, { off: coff + placed - at, ino });
    h.setFree(c, chunkRoom(b, dv, at, le, newfmt));
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
  const e = h.names.get(name);
  if (!e) throw errno('ENOENT', `ffs: ${name} is not in directory inode ${dp.ino}`);
  const coff = e.off - (e.off % DIRBLKSIZ);
  const { bp, at } = dirblk(dp, coff);
  const b = bp.data;
  const dv = viewOf(bp);
  const target = at + (e.off - coff);
  const d = decodeDirect(b, dv, target, le, ump.dtype);
  if (target === at) {
    dv.setUint32(target, 0, le);
  } else {
    let off = at;
    let prev = -1;
    while (off < target) {
      const p = decodeDirect(b, dv, off, le, ump.dtype);
      if (p.reclen <= 0) break;
      prev = off;
      off += p.reclen;
    }
    if (off !== target || prev < 0) {
      ump.bio.brelse(bp);
      throw errno('EIO', `ffs: directory inode ${dp.ino}: entry ${name} at ${e.off} is not on the chunk's record chain`);
    }
    dv.setUint16(prev + 4, dv.getUint16(prev + 4, le) + d.reclen, le);
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
  const e = h.names.get(name);
  if (!e) throw errno('ENOENT', `ffs: ${name} is not in directory inode ${dp.ino}`);
  const { bp, at } = dirblk(dp, e.off);
  const dv = viewOf(bp);
  dv.setUint32(at, ino >>> 0, ump.le);
  if (ump.dtype) bp.data[at + 6] = type;
  ump.bio.bdwrite(bp);
  e.ino = ino;
  dp.dirty = true;
}

/** ufs_dirempty: does directory `ip` hold nothing but `.` and `..`? */
export function ffs_dirempty(ip: Inode): boolean {
  for (const n of dirhashOf(ip).names.keys()) {
    if (n !== '.' && n !== '..') return false;
  }
  return true;
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
