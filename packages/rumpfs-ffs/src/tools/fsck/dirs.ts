/**
 * Directory editing for fsck (dir.c: makeentry, expanddir, mkentry, linkup): add a name to a
 * directory — into the slack of a 512-byte chunk, else a new chunk, growing the directory's last
 * block (in place or moved to a free run) — make lost+found, and the fragment/inode allocation
 * these need, taken from fsck's own maps so pass 5 writes the bitmaps to match.
 */
import { encodeName } from '@rumpts/librump';
import { type Dinode, emptyDinode } from '../../ondisk/dinode.js';
import { decodeDirect, encodeDirect } from '../../ondisk/direct.js';
import {
  DEV_BSIZE, DIRBLKSIZ, UFS_NDADDR, UFS_ROOTINO, blksize, cgdmin, dirsiz, fragroundup, fsbtob, numfrags,
} from '../../ondisk/geometry.js';
import { DSTATE, type DirInfo, type FsckContext, USTATE } from './context.js';

const utf8 = new TextEncoder();
const DT_DIR = 4;

/** A free run of `n` fragments inside one block, claimed; 0 if there is none. */
export function allocFrags(ctx: FsckContext, n: number): number {
  const fs = ctx.fs;
  for (let c = 0; c < fs.ncg; c++) {
    const start = cgdmin(fs, c);
    const end = Math.min(fs.fpg * (c + 1), fs.size);
    for (let f = start; f + n <= end; f++) {
      if (ctx.badRange(f, n)) continue;
      let ok = true;
      for (let i = 0; i < n && ok; i++) ok = (ctx.bmap[f + i] ?? 0) === 0;
      if (ok) {
        ctx.claim(f, n);
        return f;
      }
    }
  }
  return 0;
}

/** A free inode (past the reserved ones, within a UFS2 group's initialised inodes); 0 if none. */
export function allocInode(ctx: FsckContext): number {
  const fs = ctx.fs;
  for (let ino = UFS_ROOTINO + 1; ino < ctx.maxino; ino++) {
    if (ctx.state[ino] !== USTATE) continue;
    if (ino % fs.ipg >= (ctx.inited[Math.floor(ino / fs.ipg)] ?? 0)) continue;
    return ino;
  }
  return 0;
}

/** The bytes of logical block `lbn` of a directory, with its address and size. */
function dirBlock(ctx: FsckContext, d: DirInfo, lbn: number): { addr: number; bytes: Uint8Array } | null {
  const addr = d.blocks[lbn] ?? 0;
  if (addr === 0) return null;
  return { addr, bytes: ctx.read(fsbtob(ctx.fs, addr), blksize(ctx.fs, d.din.size, lbn)) };
}

/**
 * Make room for one more 512-byte chunk at the end of directory `d` (expanddir). The last block
 * grows in place when the fragments after it are free, else moves to a free run; a full last
 * block gets a new block after it. Returns false when no room can be made.
 */
function growDir(ctx: FsckContext, d: DirInfo): boolean {
  const fs = ctx.fs;
  const din = d.din;
  const size = din.size;
  const lbn = Math.floor(size / fs.bsize);
  const inblk = size % fs.bsize;
  if (inblk === 0) {
    if (lbn >= UFS_NDADDR) return false;
    const n = numfrags(fs, fragroundup(fs, DIRBLKSIZ));
    const f = allocFrags(ctx, n);
    if (f === 0) return false;
    ctx.write(new Uint8Array(n * fs.fsize), fsbtob(fs, f));
    din.db[lbn] = f;
    d.blocks[lbn] = f;
    din.blocks += (n * fs.fsize) / DEV_BSIZE;
  } else {
    const cur = numfrags(fs, fragroundup(fs, inblk));
    const want = numfrags(fs, fragroundup(fs, inblk + DIRBLKSIZ));
    const addr = din.db[lbn] ?? 0;
    if (addr === 0 || lbn >= UFS_NDADDR) return false;
    if (want > cur) {
      let inPlace = (addr % fs.frag) + want <= fs.frag;
      for (let i = cur; i < want && inPlace; i++) inPlace = (ctx.bmap[addr + i] ?? 0) === 0;
      if (inPlace) {
        ctx.claim(addr + cur, want - cur);
        ctx.write(new Uint8Array((want - cur) * fs.fsize), fsbtob(fs, addr + cur));
      } else {
        const to = allocFrags(ctx, want);
        if (to === 0) return false;
        const old = ctx.read(fsbtob(fs, addr), cur * fs.fsize);
        const nb = new Uint8Array(want * fs.fsize);
        nb.set(old);
        ctx.write(nb, fsbtob(fs, to));
        ctx.release(addr, cur);
        din.db[lbn] = to;
        d.blocks[lbn] = to;
      }
      din.blocks += ((want - cur) * fs.fsize) / DEV_BSIZE;
    }
  }
  din.size = size + DIRBLKSIZ;
  // The new chunk is one empty record.
  const at = fsbtob(fs, din.db[lbn] ?? 0) + (size % fs.bsize);
  const chunk = new Uint8Array(DIRBLKSIZ);
  new DataView(chunk.buffer).setUint16(4, DIRBLKSIZ, ctx.le);
  ctx.write(chunk, at);
  ctx.writeDinode(d.ino, din);
  return true;
}

/** Put `name` → `ino` (d_type `type`) into directory `d` (makeentry). False if there is no room. */
export function addEntry(ctx: FsckContext, d: DirInfo, name: string, ino: number, type: number): boolean {
  const fs = ctx.fs;
  const nb = encodeName(name);
  const need = dirsiz(nb.length);
  const dt = ctx.dtype ? type : 0;
  for (let pass = 0; pass < 2; pass++) {
    const nblk = Math.ceil(d.din.size / fs.bsize);
    for (let lbn = 0; lbn < nblk; lbn++) {
      const blk = dirBlock(ctx, d, lbn);
      if (!blk) continue;
      const b = blk.bytes;
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const len = Math.min(b.length, d.din.size - lbn * fs.bsize);
      for (let chunk = 0; chunk + DIRBLKSIZ <= len; chunk += DIRBLKSIZ) {
        let off = chunk;
        while (off < chunk + DIRBLKSIZ) {
          const e = decodeDirect(b, dv, off, ctx.le, ctx.dtype);
          if (e.reclen < 8 || off + e.reclen > chunk + DIRBLKSIZ) break;
          const used = e.ino === 0 ? 0 : dirsiz(e.namlen);
          if (e.reclen - used >= need) {
            if (e.ino === 0) {
              encodeDirect(b, dv, off, ctx.le, ctx.dtype, ino, e.reclen, dt, nb);
            } else {
              dv.setUint16(off + 4, used, ctx.le);
              encodeDirect(b, dv, off + used, ctx.le, ctx.dtype, ino, e.reclen - used, dt, nb);
            }
            ctx.write(b, fsbtob(fs, blk.addr));
            return true;
          }
          off += e.reclen;
        }
      }
    }
    if (pass === 0 && !growDir(ctx, d)) return false;
  }
  return false;
}

/**
 * Take every name of inode `ino` out of directory `d` ('.' and '..' aside), as fsck_ffs's
 * deleteentry does for the name that closed an orphaned directory loop. Returns how many went.
 */
export function removeNames(ctx: FsckContext, d: DirInfo, ino: number): number {
  const fs = ctx.fs;
  let removed = 0;
  const nblk = Math.ceil(d.din.size / fs.bsize);
  for (let lbn = 0; lbn < nblk; lbn++) {
    const blk = dirBlock(ctx, d, lbn);
    if (!blk) continue;
    const b = blk.bytes;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const len = Math.min(b.length, d.din.size - lbn * fs.bsize);
    let changed = false;
    for (let chunk = 0; chunk + DIRBLKSIZ <= len; chunk += DIRBLKSIZ) {
      let prev = -1;
      for (let off = chunk; off < chunk + DIRBLKSIZ; ) {
        const e = decodeDirect(b, dv, off, ctx.le, ctx.dtype);
        if (e.reclen < 12 || off + e.reclen > chunk + DIRBLKSIZ) break;
        const dot = e.namlen <= 2 && b[e.nameOff] === 0x2e && (e.namlen === 1 || b[e.nameOff + 1] === 0x2e);
        if (e.ino === ino && !dot) {
          if (prev < 0) dv.setUint32(off, 0, ctx.le);
          else dv.setUint16(prev + 4, dv.getUint16(prev + 4, ctx.le) + e.reclen, ctx.le);
          removed++;
          changed = true;
          if (prev < 0) prev = off;
        } else {
          prev = off;
        }
        off += e.reclen;
      }
    }
    if (changed) ctx.write(b, fsbtob(fs, blk.addr));
  }
  return removed;
}

/** Point the '..' entry of `d` (the second entry of its first chunk) at `parent` (changeino). */
export function setDotdot(ctx: FsckContext, d: DirInfo, parent: number): boolean {
  const blk = dirBlock(ctx, d, 0);
  if (!blk) return false;
  const b = blk.bytes;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dot = decodeDirect(b, dv, 0, ctx.le, ctx.dtype);
  if (dot.reclen < 12 || dot.reclen + 12 > DIRBLKSIZ) return false;
  const dd = decodeDirect(b, dv, dot.reclen, ctx.le, ctx.dtype);
  if (dd.namlen !== 2 || b[dd.nameOff] !== 0x2e || b[dd.nameOff + 1] !== 0x2e) return false;
  dv.setUint32(dot.reclen, parent >>> 0, ctx.le);
  if (ctx.dtype) b[dot.reclen + 6] = DT_DIR;
  ctx.write(b, fsbtob(ctx.fs, blk.addr));
  return true;
}

/**
 * Write a new, empty directory at inode `ino` (one chunk: '.' and '..' → `parent`), claiming a
 * fragment run for it, and record it as pass 1 would have. Null when there is no room.
 */
function newDir(ctx: FsckContext, ino: number, parent: number, mode: number): DirInfo | null {
  const fs = ctx.fs;
  const n = numfrags(fs, fragroundup(fs, DIRBLKSIZ));
  const f = allocFrags(ctx, n);
  if (!f) return null;
  const din: Dinode = emptyDinode(ctx.ufs2);
  const now = { sec: Math.floor(Date.now() / 1000), nsec: 0 };
  din.mode = mode;
  din.nlink = 2;
  din.size = DIRBLKSIZ;
  din.blocks = (n * fs.fsize) / DEV_BSIZE;
  din.db[0] = f;
  din.atime = { ...now };
  din.mtime = { ...now };
  din.ctime = { ...now };
  if (ctx.ufs2) din.birthtime = { ...now };
  din.gen = (Math.random() * 0x7fffffff) | 0;
  const blk = new Uint8Array(n * fs.fsize);
  const dv = new DataView(blk.buffer);
  encodeDirect(blk, dv, 0, ctx.le, ctx.dtype, ino, 12, ctx.dtype ? DT_DIR : 0, utf8.encode('.'));
  encodeDirect(blk, dv, 12, ctx.le, ctx.dtype, parent, DIRBLKSIZ - 12, ctx.dtype ? DT_DIR : 0, utf8.encode('..'));
  for (let c = DIRBLKSIZ; c < blk.length; c += DIRBLKSIZ) dv.setUint16(c + 4, DIRBLKSIZ, ctx.le);
  ctx.write(blk, fsbtob(fs, f));
  // UFS2: the inode must lie below its group's cg_initediblk to be read (pass 5 writes the new mark).
  // The inodes the mark newly covers were unallocated to this check: they are zeroed on disk, as the
  // kernel initialises inode blocks, so no stale bytes there turn into inodes on the next run.
  const c = Math.floor(ino / fs.ipg);
  const rel = ino % fs.ipg;
  const old = ctx.inited[c] ?? 0;
  if (old <= rel) {
    const now = Math.min(fs.ipg, Math.ceil((rel + 1) / fs.inopb) * fs.inopb);
    const isz = ctx.ufs2 ? 256 : 128;
    ctx.write(new Uint8Array((now - old) * isz), ctx.inodeOffset(c * fs.ipg + old));
    ctx.inited[c] = now;
  }
  ctx.writeDinode(ino, din);
  ctx.state[ino] = DSTATE;
  ctx.ftype[ino] = 4;
  ctx.nlink[ino] = 2;
  ctx.claimed[ino] = din.size + 1;
  const info: DirInfo = { ino, din, blocks: [f], parent, dotdot: parent, subdirs: [], names: new Map() };
  ctx.dirs.set(ino, info);
  return info;
}

/**
 * The root directory is unallocated, not a directory or condemned (fsck_ffs pass 2: "ROOT INODE
 * UNALLOCATED: ALLOCATE", "… REALLOCATE"): make a new, empty one at inode 2 (what the old one
 * named is reconnected to lost+found by passes 3 and 4). The caller cleared the old inode.
 */
export function makeRoot(ctx: FsckContext): boolean {
  return newDir(ctx, UFS_ROOTINO, UFS_ROOTINO, 0o040755) !== null;
}

/** Find lost+found in the root, or make it (repairing); 0 when there is none and none can be made. */
export function lostFound(ctx: FsckContext): number {
  if (ctx.lostfound) return ctx.lostfound;
  const root = ctx.dirs.get(UFS_ROOTINO);
  if (!root || ctx.state[UFS_ROOTINO] !== DSTATE) return 0;
  const found = root.names?.get('lost+found');
  if (found !== undefined && ctx.state[found] === DSTATE) return (ctx.lostfound = found);
  if (found !== undefined) {
    ctx.problem(3, 'lost+found', `lost+found I=${found} IS NOT A DIRECTORY`, found);
    ctx.unfixed('lost+found is in the way');
    return 0;
  }
  if (!ctx.problem(3, 'lost+found', 'NO lost+found DIRECTORY: CREATE')) return 0;
  const ino = allocInode(ctx);
  const info = ino ? newDir(ctx, ino, UFS_ROOTINO, 0o040700) : null;
  if (!info) {
    ctx.unfixed('no free inode or fragment');
    return 0;
  }
  if (!addEntry(ctx, root, 'lost+found', ino, DT_DIR)) {
    ctx.unfixed('no room in the root directory');
    return 0;
  }
  root.names?.set('lost+found', ino);
  root.subdirs.push(ino);
  ctx.refs[ino] = (ctx.refs[ino] ?? 0) + 2;
  ctx.refs[UFS_ROOTINO] = (ctx.refs[UFS_ROOTINO] ?? 0) + 1;
  return (ctx.lostfound = ino);
}

/** Give an unreferenced inode the name #ino in lost+found (linkup). */
export function linkup(ctx: FsckContext, ino: number, isdir: boolean): boolean {
  const lf = lostFound(ctx);
  const d = lf ? ctx.dirs.get(lf) : undefined;
  if (!d) return false;
  if (!addEntry(ctx, d, `#${ino}`, ino, ctx.ftype[ino] ?? 0)) return false;
  ctx.refs[ino] = (ctx.refs[ino] ?? 0) + 1;
  if (isdir) d.subdirs.push(ino);
  return true;
}
