/**
 * Pass 2 — path names (fsck_ffs pass2.c): walk every directory's 512-byte chunks; a record with a
 * bad d_reclen or d_namlen ends the chunk (the rest becomes one empty record, fsck_readdir's
 * salvage); '.' and '..' must open the first chunk; names pointing at inode numbers out of range,
 * at free inodes or at inodes pass 1 condemned are removed; d_type must match the inode; a
 * directory may have one name only. Every name is counted as a reference for pass 4, and each
 * directory's '..' is then checked against the directory that names it.
 */
import { type Direct, decodeDirect, direntBad, encodeDirect } from '../../ondisk/direct.js';
import { DIRBLKSIZ, FFS_MAXNAMLEN, UFS_ROOTINO, UFS_WINO, blksize, fsbtob } from '../../ondisk/geometry.js';
import { DCLEAR, DSTATE, type DirInfo, FCLEAR, type FsckContext, USTATE } from './context.js';
import { addEntry, setDotdot } from './dirs.js';

const DT_WHT = 14;
const DT_DIR = 4;
const utf8 = new TextDecoder('utf-8');

/** Why a record is unusable beyond ufs_dirbadentry: its name holds '/' or NUL, or is empty while in use. */
function nameBad(b: Uint8Array, d: Direct): string | null {
  if (d.ino !== 0 && d.namlen === 0) return 'empty name';
  for (let i = 0; i < d.namlen; i++) {
    const c = b[d.nameOff + i];
    if (c === 0 || c === 0x2f) return `name has a ${c === 0 ? 'NUL' : "'/'"} byte`;
  }
  return null;
}

interface Walk {
  ctx: FsckContext;
  d: DirInfo;
  /** Records seen so far in the directory (0 = '.', 1 = '..'). */
  entryno: number;
}

/** Take a record out: the first of a chunk gets d_ino 0, any other merges into the one before. */
function removeEntry(dv: DataView, le: boolean, at: number, prev: number, reclen: number): void {
  if (prev < 0) dv.setUint32(at, 0, le);
  else dv.setUint16(prev + 4, dv.getUint16(prev + 4, le) + reclen, le);
}

/**
 * Check one record. Returns 'keep' (it stays and becomes the previous record), 'removed' (merged
 * away), or 'changed' (kept, bytes edited).
 */
function checkEntry(w: Walk, b: Uint8Array, dv: DataView, at: number, prev: number, dirOff: number, e: Direct): 'keep' | 'removed' | 'changed' {
  const { ctx, d } = w;
  const le = ctx.le;
  const name = utf8.decode(b.subarray(e.nameOff, e.nameOff + e.namlen));
  const n = w.entryno++;
  const where = `DIR I=${d.ino} OFFSET ${dirOff}`;
  if (n === 0) {
    if (name === '.') {
      if (e.ino !== d.ino) {
        if (ctx.problem(2, 'dir-dot', `BAD INODE NUMBER FOR '.' ${where} (${e.ino}): FIX`, d.ino)) {
          dv.setUint32(at, d.ino, le);
          ctx.refs[d.ino] = (ctx.refs[d.ino] ?? 0) + 1;
          return 'changed';
        }
        return 'keep';
      }
      ctx.refs[d.ino] = (ctx.refs[d.ino] ?? 0) + 1;
      return 'keep';
    }
    if (ctx.problem(2, 'dir-dot', `MISSING '.' ${where}: FIX`, d.ino)) {
      if (e.ino === 0 && e.reclen >= 12) {
        // '.' takes 12 bytes; the rest stays an empty record where '..' can go.
        encodeDirect(b, dv, at, le, ctx.dtype, d.ino, 12, ctx.dtype ? DT_DIR : 0, new Uint8Array([0x2e]));
        if (e.reclen > 12) {
          dv.setUint32(at + 12, 0, le);
          dv.setUint16(at + 16, e.reclen - 12, le);
          dv.setUint16(at + 18, 0, le);
        }
        ctx.refs[d.ino] = (ctx.refs[d.ino] ?? 0) + 1;
        return 'changed';
      }
      ctx.unfixed(`the first record holds '${name}'`);
    }
    // Not '.': check it as an ordinary record.
  } else if (n === 1 && name === '..') {
    d.dotdot = e.ino;
    if (e.ino > 0 && e.ino < ctx.maxino && ctx.state[e.ino] !== USTATE) ctx.refs[e.ino] = (ctx.refs[e.ino] ?? 0) + 1;
    else d.dotdot = -e.ino || -1;
    return 'keep';
  }
  if (e.ino === 0) return 'keep';
  if (name === '.' || name === '..') {
    if (ctx.problem(2, 'dir-entry', `EXTRA '${name}' ENTRY ${where}: REMOVE`, d.ino)) {
      removeEntry(dv, le, at, prev, e.reclen);
      return 'removed';
    }
    return 'keep';
  }
  if (e.ino === UFS_WINO && e.type === DT_WHT) return 'keep';
  if (e.ino < UFS_ROOTINO || e.ino >= ctx.maxino) {
    if (ctx.problem(2, 'dir-entry', `BAD INODE NUMBER ${e.ino} FOR '${name}' ${where}: REMOVE`, d.ino)) {
      removeEntry(dv, le, at, prev, e.reclen);
      return 'removed';
    }
    return 'keep';
  }
  const st = ctx.state[e.ino];
  if (st === USTATE || st === FCLEAR || st === DCLEAR) {
    const what = st === USTATE ? 'UNALLOCATED' : 'DUP/BAD';
    if (ctx.problem(2, st === USTATE ? 'dir-unallocated' : 'dir-clear', `${what} I=${e.ino} NAMED '${name}' ${where}: REMOVE`, e.ino)) {
      removeEntry(dv, le, at, prev, e.reclen);
      return 'removed';
    }
    return 'keep';
  }
  let out: 'keep' | 'changed' = 'keep';
  if (ctx.dtype && e.type !== ctx.ftype[e.ino]) {
    if (ctx.problem(2, 'dir-type', `BAD TYPE VALUE ${e.type} FOR '${name}' I=${e.ino} ${where}: FIX`, e.ino)) {
      b[at + 6] = ctx.ftype[e.ino] ?? 0;
      out = 'changed';
    }
  }
  if (st === DSTATE) {
    const child = ctx.dirs.get(e.ino);
    if (child && child.parent !== 0) {
      if (ctx.problem(2, 'dir-extra-link', `'${name}' I=${e.ino} IS AN EXTRANEOUS HARD LINK TO DIRECTORY ${where}: REMOVE`, e.ino)) {
        removeEntry(dv, le, at, prev, e.reclen);
        return 'removed';
      }
      return out;
    }
    if (child) {
      child.parent = d.ino;
      d.subdirs.push(e.ino);
    }
  }
  ctx.refs[e.ino] = (ctx.refs[e.ino] ?? 0) + 1;
  if (d.names) d.names.set(name, e.ino);
  return out;
}

/** Walk one chunk; returns true if its bytes changed. */
function checkChunk(w: Walk, b: Uint8Array, dv: DataView, at: number, dirOff: number): boolean {
  const ctx = w.ctx;
  let changed = false;
  let off = at;
  let prev = -1;
  const end = at + DIRBLKSIZ;
  while (off < end) {
    const e = decodeDirect(b, dv, off, ctx.le, ctx.dtype);
    let bad = end - off < 12 ? `only ${end - off} bytes left in the chunk` : direntBad(e, off - at);
    if (!bad && e.namlen > FFS_MAXNAMLEN) bad = `d_namlen ${e.namlen}`;
    if (!bad) bad = nameBad(b, e);
    if (bad) {
      if (ctx.problem(2, 'dir-entry', `DIRECTORY CORRUPTED I=${w.d.ino} OFFSET ${dirOff + off - at}: ${bad}: SALVAGE`, w.d.ino)) {
        // The rest of the chunk becomes one empty record.
        dv.setUint32(off, 0, ctx.le);
        dv.setUint16(off + 4, end - off, ctx.le);
        dv.setUint16(off + 6, 0, ctx.le);
        changed = true;
        // Go on with the (now empty) record: a first chunk still needs its '.'.
        continue;
      }
      return changed;
    }
    const r = checkEntry(w, b, dv, off, prev, dirOff + off - at, e);
    if (r !== 'keep') changed = true;
    if (r !== 'removed') prev = off;
    // A record that was fixed may have been split ('.' made in an empty record).
    off += r === 'removed' ? e.reclen : dv.getUint16(off + 4, ctx.le);
  }
  return changed;
}

function checkDir(ctx: FsckContext, d: DirInfo): void {
  const fs = ctx.fs;
  const size = d.din.size;
  const w: Walk = { ctx, d, entryno: 0 };
  const nblk = Math.ceil(size / fs.bsize);
  for (let lbn = 0; lbn < nblk; lbn++) {
    const addr = d.blocks[lbn] ?? 0;
    const len = Math.min(blksize(fs, size, lbn), size - lbn * fs.bsize);
    if (addr === 0) {
      ctx.problem(2, 'dir-entry', `HOLE IN DIRECTORY I=${d.ino} AT OFFSET ${lbn * fs.bsize}`, d.ino);
      ctx.unfixed('directory holes are not filled');
      if (lbn === 0) w.entryno = 2;
      continue;
    }
    const bytes = blksize(fs, size, lbn);
    const b = ctx.read(fsbtob(fs, addr), bytes);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let changed = false;
    for (let chunk = 0; chunk + DIRBLKSIZ <= len; chunk += DIRBLKSIZ) {
      if (checkChunk(w, b, dv, chunk, lbn * fs.bsize + chunk)) changed = true;
      // '.' and '..' belong to the first chunk only.
      if (w.entryno < 2) w.entryno = 2;
    }
    if (changed && ctx.repair) ctx.write(b, fsbtob(fs, addr));
  }
}

export function pass2(ctx: FsckContext): void {
  ctx.log('** Phase 2 - Check Pathnames');
  const root = ctx.dirs.get(UFS_ROOTINO);
  if (root) root.names = new Map();
  const order = [...ctx.dirs.keys()].sort((a, b) => a - b);
  for (const ino of order) {
    const d = ctx.dirs.get(ino)!;
    if (ctx.state[ino] !== DSTATE) continue;
    checkDir(ctx, d);
  }
  // Each directory's '..' must name the directory holding its name (pass2.c, second half).
  for (const ino of order) {
    const d = ctx.dirs.get(ino)!;
    if (ctx.state[ino] !== DSTATE || d.parent === 0 || d.dotdot === d.parent) continue;
    if (d.dotdot === 0) {
      if (ctx.problem(2, 'dir-dotdot', `MISSING '..' DIR I=${ino}: FIX`, ino)) {
        if (addEntry(ctx, d, '..', d.parent, DT_DIR)) {
          d.dotdot = d.parent;
          ctx.refs[d.parent] = (ctx.refs[d.parent] ?? 0) + 1;
        } else {
          ctx.unfixed('no room for it');
        }
      }
      continue;
    }
    const old = d.dotdot;
    if (ctx.problem(2, 'dir-dotdot', `BAD INODE NUMBER FOR '..' DIR I=${ino} (${Math.abs(old)} should be ${d.parent}): FIX`, ino)) {
      if (setDotdot(ctx, d, d.parent)) {
        if (old > 0) ctx.refs[old] = (ctx.refs[old] ?? 0) - 1;
        ctx.refs[d.parent] = (ctx.refs[d.parent] ?? 0) + 1;
        d.dotdot = d.parent;
      } else {
        ctx.unfixed("'..' is not the second record");
      }
    }
  }
}
