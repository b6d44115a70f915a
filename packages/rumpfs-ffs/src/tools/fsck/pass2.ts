/**
 * Pass 2 — path names (fsck_ffs pass2.c): the root must be a directory (else it is made afresh);
 * walk every directory's 512-byte chunks; a record with a bad d_reclen or d_namlen ends the chunk
 * (the rest becomes one empty record, fsck_readdir's salvage — joined to the record before when
 * too short for one); a sound record whose name holds '/' or NUL or is empty loses that entry only;
 * '.' and '..' must be the first two records, '.' 12 bytes long (they are remade there, whatever
 * held their place); names pointing at inode numbers out of range, at free inodes or at inodes
 * pass 1 condemned are removed; d_type must match the inode; a directory may have one name only,
 * and never its own. Every name is counted as a reference for pass 4, and each directory's '..' is
 * then checked against the directory that names it. Every step moves on or makes the record at hand
 * sound, so the walk ends.
 */
import { decodeName, nameText } from '@rumpts/librump';
import { DIRECT_MIN, type Direct, decodeDirect, direntBad, encodeDirect } from '../../ondisk/direct.js';
import { DIRBLKSIZ, FFS_MAXNAMLEN, UFS_ROOTINO, UFS_WINO, blksize, fsbtob } from '../../ondisk/geometry.js';
import { DCLEAR, DSTATE, type DirInfo, FCLEAR, type FsckContext, USTATE } from './context.js';
import { makeRoot, setDotdot } from './dirs.js';
import { clri } from './pass4.js';

const DT_WHT = 14;
const DT_DIR = 4;

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

const DOT = new Uint8Array([0x2e]);
const DOTDOT = new Uint8Array([0x2e, 0x2e]);

/** An empty record (d_ino 0, no name) of `reclen` bytes at `at`. */
function emptyRecord(dv: DataView, le: boolean, at: number, reclen: number): void {
  dv.setUint32(at, 0, le);
  dv.setUint16(at + 4, reclen, le);
  dv.setUint16(at + 6, 0, le);
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
  // Names are bytes: decodeName keeps them exact; messages show escaped bytes as \xNN (nameText).
  const name = decodeName(b.subarray(e.nameOff, e.nameOff + e.namlen));
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
    if (ctx.problem(2, 'dir-dot', `MISSING '.' ${where}${e.ino !== 0 ? ` (THE FIRST RECORD HOLDS '${nameText(name)}', WHICH IS DROPPED)` : ''}: FIX`, d.ino)) {
      // '.' takes 12 bytes; the rest stays an empty record where '..' can go. A name that held the
      // first record is not counted: pass 3/4 reconnect its inode to lost+found (NetBSD gives up here).
      encodeDirect(b, dv, at, le, ctx.dtype, d.ino, e.reclen >= 24 ? 12 : e.reclen, ctx.dtype ? DT_DIR : 0, DOT);
      if (e.reclen >= 24) emptyRecord(dv, le, at + 12, e.reclen - 12);
      ctx.refs[d.ino] = (ctx.refs[d.ino] ?? 0) + 1;
      return 'changed';
    }
    // Not '.': check it as an ordinary record.
  } else if (n === 1 && name === '..') {
    d.dotdot = e.ino;
    if (e.ino > 0 && e.ino < ctx.maxino && ctx.state[e.ino] !== USTATE) ctx.refs[e.ino] = (ctx.refs[e.ino] ?? 0) + 1;
    else d.dotdot = -e.ino || -1;
    return 'keep';
  } else if (n === 1) {
    if (ctx.problem(2, 'dir-dotdot', `MISSING '..' ${where}${e.ino !== 0 ? ` (THE SECOND RECORD HOLDS '${nameText(name)}', WHICH IS DROPPED)` : ''}: FIX`, d.ino)) {
      // The second record becomes '..' with no inode yet: the end of pass 2 (or pass 3) points it
      // at the parent. A name it held is not counted, as for '.'.
      encodeDirect(b, dv, at, le, ctx.dtype, 0, e.reclen, ctx.dtype ? DT_DIR : 0, DOTDOT);
      d.dotdot = -1;
      return 'changed';
    }
  }
  if (e.ino === 0) return 'keep';
  if (name === '.' || name === '..') {
    if (ctx.problem(2, 'dir-entry', `EXTRA '${nameText(name)}' ENTRY ${where}: REMOVE`, d.ino)) {
      removeEntry(dv, le, at, prev, e.reclen);
      return 'removed';
    }
    return 'keep';
  }
  if (e.ino === UFS_WINO && e.type === DT_WHT) return 'keep';
  if (e.ino < UFS_ROOTINO || e.ino >= ctx.maxino) {
    if (ctx.problem(2, 'dir-entry', `BAD INODE NUMBER ${e.ino} FOR '${nameText(name)}' ${where}: REMOVE`, d.ino)) {
      removeEntry(dv, le, at, prev, e.reclen);
      return 'removed';
    }
    return 'keep';
  }
  const st = ctx.state[e.ino];
  if (st === USTATE || st === FCLEAR || st === DCLEAR) {
    const what = st === USTATE ? 'UNALLOCATED' : 'DUP/BAD';
    if (ctx.problem(2, st === USTATE ? 'dir-unallocated' : 'dir-clear', `${what} I=${e.ino} NAMED '${nameText(name)}' ${where}: REMOVE`, e.ino)) {
      removeEntry(dv, le, at, prev, e.reclen);
      return 'removed';
    }
    return 'keep';
  }
  let out: 'keep' | 'changed' = 'keep';
  if (ctx.dtype && e.type !== ctx.ftype[e.ino]) {
    if (ctx.problem(2, 'dir-type', `BAD TYPE VALUE ${e.type} FOR '${nameText(name)}' I=${e.ino} ${where}: FIX`, e.ino)) {
      b[at + 6] = ctx.ftype[e.ino] ?? 0;
      out = 'changed';
    }
  }
  if (st === DSTATE) {
    const child = ctx.dirs.get(e.ino);
    // A directory naming itself (other than '.') is a link it can never have.
    if (child && (child.parent !== 0 || e.ino === d.ino)) {
      if (ctx.problem(2, 'dir-extra-link', `'${nameText(name)}' I=${e.ino} IS AN EXTRANEOUS HARD LINK TO DIRECTORY ${where}: REMOVE`, e.ino)) {
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

/**
 * Walk one chunk; returns true if its bytes changed. Every step moves `off` forward or turns the
 * record at `off` into a sound one, so the walk ends after at most a few steps per record.
 */
function checkChunk(w: Walk, b: Uint8Array, dv: DataView, at: number, dirOff: number): boolean {
  const ctx = w.ctx;
  let changed = false;
  let off = at;
  /** The last record kept (names merge into it when removed). */
  let prev = -1;
  /** The record before `off` in the chain, kept or emptied (a salvage too short for a record of its own extends it). */
  let last = -1;
  const end = at + DIRBLKSIZ;
  while (off < end) {
    const e = decodeDirect(b, dv, off, ctx.le, ctx.dtype);
    let bad = end - off < DIRECT_MIN ? `only ${end - off} bytes left in the chunk` : direntBad(e, off - at);
    if (!bad && e.namlen > FFS_MAXNAMLEN) bad = `d_namlen ${e.namlen}`;
    // A sound record whose only fault is its name loses that entry alone (fsck_ffs's dircheck would
    // salvage the rest of the chunk with it); its inode is reconnected if it has no other name.
    const badName = bad || e.ino === 0 ? null : nameBad(b, e);
    if (badName && w.entryno >= 2) {
      w.entryno++;
      if (ctx.problem(2, 'dir-entry', `BAD NAME I=${e.ino} DIR I=${w.d.ino} OFFSET ${dirOff + off - at}: ${badName}: REMOVE`, w.d.ino)) {
        removeEntry(dv, ctx.le, off, prev, e.reclen);
        changed = true;
        last = prev >= 0 ? prev : off;
      } else {
        prev = last = off;
      }
      off += e.reclen;
      continue;
    }
    // (In the first two records a bad name is no '.'/'..': checkEntry puts those in its place.)
    if (bad) {
      if (!ctx.problem(2, 'dir-entry', `DIRECTORY CORRUPTED I=${w.d.ino} OFFSET ${dirOff + off - at}: ${bad}: SALVAGE`, w.d.ino)) return changed;
      changed = true;
      if (end - off < DIRECT_MIN) {
        // Too short for a record (fsck_readdir's salvage would write one under DIRSIZ(0)): the bytes
        // go to the record before, which exists since off > at here.
        dv.setUint16(last + 4, end - last, ctx.le);
        break;
      }
      // The rest of the chunk becomes one empty record.
      emptyRecord(dv, ctx.le, off, end - off);
      // A first chunk that still needs its '.' or '..' goes on with the (now sound, empty) record; else the chunk is done.
      if (w.entryno <= 1) continue;
      break;
    }
    // '..' must be the second record, right after a 12-byte '.': room left in the '.' record would
    // let a new name in between (the kernel inserts into any record's slack).
    if (w.entryno === 1 && off > at + DIRECT_MIN) {
      const slack = off - (at + DIRECT_MIN);
      const isDotdot = e.ino !== 0 && e.namlen === 2 && b[e.nameOff] === 0x2e && b[e.nameOff + 1] === 0x2e;
      const what = isDotdot ? "'.' HAS ROOM BEFORE '..'" : `MISSING '..'${e.ino !== 0 && slack < DIRECT_MIN ? ` (THE SECOND RECORD HOLDS '${nameText(decodeName(b.subarray(e.nameOff, e.nameOff + e.namlen)))}', WHICH IS DROPPED)` : ''}`;
      if (ctx.problem(2, 'dir-dotdot', `${what} DIR I=${w.d.ino} OFFSET ${dirOff + DIRECT_MIN}: FIX`, w.d.ino)) {
        changed = true;
        dv.setUint16(at + 4, DIRECT_MIN, ctx.le);
        const dt = ctx.dtype ? DT_DIR : 0;
        if (isDotdot) {
          // '..' moves back to follow '.', taking the room: it is checked there next.
          encodeDirect(b, dv, at + DIRECT_MIN, ctx.le, ctx.dtype, e.ino, slack + e.reclen, dt, DOTDOT);
          off = at + DIRECT_MIN;
          continue;
        }
        if (slack >= DIRECT_MIN) {
          // A '..' with no inode yet in the room; this record stays, as the third.
          encodeDirect(b, dv, at + DIRECT_MIN, ctx.le, ctx.dtype, 0, slack, dt, DOTDOT);
          w.d.dotdot = -1;
          w.entryno = 2;
          prev = at + DIRECT_MIN;
        } else {
          // Too little room on its own: '..' takes it and this record (whose name is not counted).
          encodeDirect(b, dv, at + DIRECT_MIN, ctx.le, ctx.dtype, 0, slack + e.reclen, dt, DOTDOT);
          w.d.dotdot = -1;
          w.entryno = 2;
          prev = last = at + DIRECT_MIN;
          off += e.reclen;
          continue;
        }
      }
    }
    const r = checkEntry(w, b, dv, off, prev, dirOff + off - at, e);
    if (r !== 'keep') changed = true;
    if (r !== 'removed') prev = off;
    // A removed record merged into `prev` (or, first in the chunk, became an empty record).
    last = r === 'removed' && prev >= 0 ? prev : off;
    // A record that was fixed may have been split ('.' made in an empty record).
    off += r === 'removed' ? e.reclen : dv.getUint16(off + 4, ctx.le);
  }
  if (w.entryno === 1 && last === at) {
    // The first chunk holds nothing but '.': '..' is made in its slack.
    const reclen = dv.getUint16(at + 4, ctx.le);
    if (ctx.problem(2, 'dir-dotdot', `MISSING '..' DIR I=${w.d.ino} OFFSET ${dirOff + 12}: FIX`, w.d.ino)) {
      if (reclen >= 24) {
        dv.setUint16(at + 4, 12, ctx.le);
        encodeDirect(b, dv, at + 12, ctx.le, ctx.dtype, 0, reclen - 12, ctx.dtype ? DT_DIR : 0, DOTDOT);
        w.d.dotdot = -1;
        changed = true;
      } else {
        ctx.unfixed("no room for '..' after '.'");
      }
    }
    w.entryno = 2;
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

/**
 * The root must be a usable directory before names are checked (fsck_ffs pass 2): unallocated,
 * condemned or not a directory, it is cleared and made afresh, empty (passes 3 and 4 reconnect
 * what it held to lost+found).
 */
function checkRoot(ctx: FsckContext): void {
  const st = ctx.state[UFS_ROOTINO];
  if (st === DSTATE) return;
  const what = st === USTATE ? 'UNALLOCATED: ALLOCATE' : st === DCLEAR ? 'HAS BAD OR DUPLICATE BLOCKS: REALLOCATE' : 'IS NOT A DIRECTORY: REALLOCATE';
  if (!ctx.problem(2, 'bad-inode', `ROOT INODE ${UFS_ROOTINO} ${what}`, UFS_ROOTINO)) return;
  if (st !== USTATE) clri(ctx, UFS_ROOTINO);
  if (!makeRoot(ctx)) ctx.unfixed('no free fragment for a new root directory');
}

export function pass2(ctx: FsckContext): void {
  ctx.log('** Phase 2 - Check Pathnames');
  checkRoot(ctx);
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
      // No '..' record could be made in the walk (not repairing, or no room): nothing to point.
      if (ctx.problem(2, 'dir-dotdot', `MISSING '..' DIR I=${ino}: FIX`, ino)) ctx.unfixed("no '..' record after '.'");
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
