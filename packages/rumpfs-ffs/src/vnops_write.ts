/**
 * The mutating vnode operations of FFS (ufs_vnops.c): create, mknod, mkdir, symlink, link, remove,
 * rmdir, rename, setattr, write, fsync, and the last-reference path that frees an unlinked inode.
 * Each allocates first and links last, undoing its allocations if a later step fails (ENOSPC), so
 * a failed op leaves the file system as it was.
 */
import {
  S_IFDIR, S_IFLNK, S_IFMT, SF_APPEND, SF_IMMUTABLE, UF_APPEND, UF_IMMUTABLE, MNT_NOATIME, MNT_RDONLY, type Timespec, encodeName, errno,
} from '@rumpts/librump';
import { type VattrChange, type VattrCreate, type Vnode, VDIR, iftovt, nanotime, vttoif } from '@rumpts/rumpvfs';
import { ffs_valloc, ffs_vfree } from './alloc.js';
import { ffs_balloc } from './balloc.js';
import { dirTemplate, ffs_direnter, ffs_dirempty, ffs_dirremove, ffs_dirrewrite, nameLen } from './dirops.js';
import { Inode, ffs_update } from './inode.js';
import { emptyDinode } from './ondisk/dinode.js';
import { DIRBLKSIZ, fragroundup, fsbtob } from './ondisk/geometry.js';
import { ffs_truncate } from './truncate.js';
import { ffs_write as ffs_writecore } from './write.js';
import type { Ufsmount } from './ufsmount.js';

/** LINK_MAX for FFS (di_nlink is a 16-bit signed count). */
export const UFS_LINK_MAX = 32767;
const IMMUTABLE = UF_IMMUTABLE | SF_IMMUTABLE;
const APPEND = UF_APPEND | SF_APPEND;

export function VTOI(vp: Vnode): Inode {
  const ip = vp.data;
  if (!(ip instanceof Inode)) throw errno('EBADF', `ffs: vnode ${vp.key} is not an FFS vnode`);
  return ip;
}

function writable(ump: Ufsmount): void {
  if (ump.ronly) throw errno('EROFS', 'ffs: file system is mounted read-only');
}

/** d_type of a mode (IFTODT). */
function iftodt(mode: number): number {
  return (mode & S_IFMT) >>> 12;
}

/** Set the times named in `which` to `now` (ufs_itimes). Each field gets its own Timespec. */
export function itimes(ip: Inode, which: { a?: boolean; m?: boolean; c?: boolean }, now: Timespec = nanotime()): void {
  const d = ip.din;
  if (which.a) d.atime = { sec: now.sec, nsec: now.nsec };
  if (which.m) d.mtime = { sec: now.sec, nsec: now.nsec };
  if (which.c) d.ctime = { sec: now.sec, nsec: now.nsec };
  ip.dirty = true;
}

/** Free an inode that never got a name (or lost its last one): blocks, then the inode itself. */
function freeInode(ip: Inode): void {
  const ump = ip.ump;
  const isdir = (ip.din.mode & S_IFMT) === S_IFDIR;
  ffs_truncate(ip, 0);
  const gen = ip.din.gen;
  // (The short-link bytes are an accessor, which Object.assign does not copy: clear them here.)
  if ((ip.din.mode & S_IFMT) === S_IFLNK) ip.din.shortlink.fill(0);
  Object.assign(ip.din, emptyDinode(ump.ufs2));
  ip.din.gen = gen;
  ip.dirty = true;
  ip.fresh = true;
  ffs_update(ip);
  ffs_vfree(ump, ip.ino, isdir);
  ip.dirhash = null;
}

/** ufs_makeinode: a new inode of `mode` with no name yet, its times all `now`. */
function makeinode(dp: Inode, mode: number, va: VattrCreate, nlink: number, now: Timespec): Inode {
  const ump = dp.ump;
  const isdir = (mode & S_IFMT) === S_IFDIR;
  const ino = ffs_valloc(dp, isdir);
  const din = emptyDinode(ump.ufs2);
  din.mode = mode;
  din.nlink = nlink;
  din.uid = va.uid;
  din.gid = va.gid;
  din.atime = { sec: now.sec, nsec: now.nsec };
  din.mtime = { sec: now.sec, nsec: now.nsec };
  din.ctime = { sec: now.sec, nsec: now.nsec };
  if (ump.ufs2) din.birthtime = { sec: now.sec, nsec: now.nsec };
  din.gen = ump.nextgen = (ump.nextgen + 1) & 0x7fffffff || 1;
  const ip = new Inode(ump, ino, din);
  ip.dirty = true;
  ip.fresh = true;
  return ip;
}

/** Give `ip` its name in `dp` (whose times become `now`); on failure free it and rethrow. */
function enterOrFree(dp: Inode, name: string, ip: Inode, now: Timespec): void {
  try {
    ffs_direnter(dp, name, ip.ino, iftodt(ip.din.mode));
  } catch (e) {
    ip.din.nlink = 0;
    freeInode(ip);
    throw e;
  }
  ffs_update(ip);
  itimes(dp, { m: true, c: true }, now);
}

function checkDir(dp: Inode): void {
  writable(dp.ump);
  if (dp.din.nlink <= 0) throw errno('ENOENT', 'ffs: the directory has been removed');
}

export function ffs_create(dvp: Vnode, name: string, va: VattrCreate): Vnode {
  const dp = VTOI(dvp);
  checkDir(dp);
  nameLen(name);
  const now = nanotime();
  const ip = makeinode(dp, vttoif(va.type) | (va.mode & 0o7777), va, 1, now);
  if (va.type !== 1 /* VREG */ && va.rdev) ip.din.db[0] = va.rdev >>> 0;
  enterOrFree(dp, name, ip, now);
  return dvp.mount.vcacheNew(ip.ino, va.type, ip);
}

export function ffs_mkdir(dvp: Vnode, name: string, va: VattrCreate): Vnode {
  const dp = VTOI(dvp);
  checkDir(dp);
  nameLen(name);
  if (dp.din.nlink >= UFS_LINK_MAX) throw errno('EMLINK', 'ffs: too many subdirectories');
  const ump = dp.ump;
  const fs = ump.fs;
  const now = nanotime();
  const ip = makeinode(dp, S_IFDIR | (va.mode & 0o7777), va, 2, now);
  try {
    const r = ffs_balloc(ip, 0, DIRBLKSIZ);
    const bp = ump.bio.getblk(fsbtob(fs, r.addr), fragroundup(fs, DIRBLKSIZ));
    bp.data.fill(0);
    dirTemplate(ip, bp.data, new DataView(bp.data.buffer, bp.data.byteOffset, bp.data.byteLength), 0, ip.ino, dp.ino, iftodt(S_IFDIR));
    // Without the log, '.' and '..' are on disk before anything names the directory (ufs_mkdir).
    if (ump.ordered) ump.bio.bwrite(bp);
    else ump.bio.bdwrite(bp);
    ip.din.size = DIRBLKSIZ;
  } catch (e) {
    ip.din.nlink = 0;
    freeInode(ip);
    throw e;
  }
  dp.din.nlink++;
  dp.dirty = true;
  try {
    enterOrFree(dp, name, ip, now);
  } catch (e) {
    dp.din.nlink--;
    throw e;
  }
  return dvp.mount.vcacheNew(ip.ino, VDIR, ip);
}

export function ffs_symlink(dvp: Vnode, name: string, va: VattrCreate, target: string): Vnode {
  const dp = VTOI(dvp);
  checkDir(dp);
  nameLen(name);
  const ump = dp.ump;
  const bytes = encodeName(target);
  const now = nanotime();
  const ip = makeinode(dp, S_IFLNK | (va.mode & 0o7777), va, 1, now);
  if (bytes.length < ump.maxsymlinklen) {
    ip.din.shortlink.set(bytes);
    ip.din.size = bytes.length;
  } else {
    try {
      ffs_writecore(ip, bytes, 0);
    } catch (e) {
      ip.din.nlink = 0;
      freeInode(ip);
      throw e;
    }
  }
  enterOrFree(dp, name, ip, now);
  return dvp.mount.vcacheNew(ip.ino, va.type, ip);
}

export function ffs_link(dvp: Vnode, vp: Vnode, name: string): void {
  const dp = VTOI(dvp);
  const ip = VTOI(vp);
  checkDir(dp);
  nameLen(name);
  if (ip.din.nlink >= UFS_LINK_MAX) throw errno('EMLINK', `ffs: ${ip.din.nlink} links`);
  if ((ip.din.flags & (IMMUTABLE | APPEND)) !== 0) throw errno('EPERM', 'ffs: the file is immutable or append-only');
  ip.din.nlink++;
  itimes(ip, { c: true });
  try {
    ffs_direnter(dp, name, ip.ino, iftodt(ip.din.mode));
  } catch (e) {
    ip.din.nlink--;
    throw e;
  }
  itimes(dp, { m: true, c: true });
}

export function ffs_remove(dvp: Vnode, vp: Vnode, name: string): void {
  const dp = VTOI(dvp);
  const ip = VTOI(vp);
  writable(dp.ump);
  if ((ip.din.flags & (IMMUTABLE | APPEND)) !== 0 || (dp.din.flags & APPEND) !== 0) throw errno('EPERM', 'ffs: immutable or append-only');
  ffs_dirremove(dp, name);
  ip.din.nlink--;
  itimes(ip, { c: true });
  itimes(dp, { m: true, c: true });
}

export function ffs_rmdir(dvp: Vnode, vp: Vnode, name: string): void {
  const dp = VTOI(dvp);
  const ip = VTOI(vp);
  writable(dp.ump);
  if ((ip.din.flags & (IMMUTABLE | APPEND)) !== 0 || (dp.din.flags & APPEND) !== 0) throw errno('EPERM', 'ffs: immutable or append-only');
  if (!ffs_dirempty(ip)) throw errno('ENOTEMPTY', 'ffs: directory not empty');
  ffs_dirremove(dp, name);
  dp.din.nlink--;
  itimes(dp, { m: true, c: true });
  // The directory loses '.' and its name at once; its blocks go now, the inode on last release.
  ip.din.nlink = 0;
  ffs_truncate(ip, 0);
  ip.dirhash = null;
  itimes(ip, { c: true });
}

export function ffs_rename(fdvp: Vnode, fvp: Vnode, fname: string, tdvp: Vnode, tvp: Vnode | null, tname: string): void {
  const fdp = VTOI(fdvp);
  const fip = VTOI(fvp);
  const tdp = VTOI(tdvp);
  const tip = tvp ? VTOI(tvp) : null;
  writable(fdp.ump);
  if ((fip.din.flags & (IMMUTABLE | APPEND)) !== 0 || (fdp.din.flags & APPEND) !== 0) throw errno('EPERM', 'ffs: source is immutable or append-only');
  if (tip && ((tip.din.flags & (IMMUTABLE | APPEND)) !== 0 || (tdp.din.flags & APPEND) !== 0)) throw errno('EPERM', 'ffs: target is immutable or append-only');
  const isdir = (fip.din.mode & S_IFMT) === S_IFDIR;
  const moved = isdir && fdp !== tdp;
  nameLen(tname);
  if (tip) {
    if ((tip.din.mode & S_IFMT) === S_IFDIR && !ffs_dirempty(tip)) throw errno('ENOTEMPTY', 'ffs: target directory not empty');
  } else if (moved && tdp.din.nlink >= UFS_LINK_MAX) {
    throw errno('EMLINK', 'ffs: too many subdirectories');
  }
  // The only step that can allocate (a new directory chunk) comes first.
  if (tip) ffs_dirrewrite(tdp, tname, fip.ino, iftodt(fip.din.mode));
  else ffs_direnter(tdp, tname, fip.ino, iftodt(fip.din.mode));
  if (tip) {
    if ((tip.din.mode & S_IFMT) === S_IFDIR) {
      tdp.din.nlink--;
      tip.din.nlink = 0;
      ffs_truncate(tip, 0);
      tip.dirhash = null;
    } else {
      tip.din.nlink--;
    }
    itimes(tip, { c: true });
  }
  if (moved) {
    ffs_dirrewrite(fip, '..', tdp.ino, iftodt(S_IFDIR));
    fdp.din.nlink--;
    tdp.din.nlink++;
  }
  ffs_dirremove(fdp, fname);
  itimes(fip, { c: true });
  itimes(fdp, { m: true, c: true });
  if (tdp !== fdp) itimes(tdp, { m: true, c: true });
}

export function ffs_setattr(vp: Vnode, ch: VattrChange): void {
  const ip = VTOI(vp);
  writable(ip.ump);
  const d = ip.din;
  if (ch.size !== undefined && ch.size !== d.size) {
    if (iftovt(d.mode) === VDIR) throw errno('EISDIR', 'ffs: cannot truncate a directory');
    ffs_truncate(ip, ch.size);
    itimes(ip, { m: true, c: true });
  }
  if (ch.flags !== undefined) d.flags = ch.flags >>> 0;
  if (ch.mode !== undefined) d.mode = (d.mode & S_IFMT) | (ch.mode & 0o7777);
  if (ch.uid !== undefined) d.uid = ch.uid >>> 0;
  if (ch.gid !== undefined) d.gid = ch.gid >>> 0;
  if (ch.atime) d.atime = { ...ch.atime };
  if (ch.mtime) d.mtime = { ...ch.mtime };
  if (ch.birthtime) d.birthtime = ip.ump.ufs2 ? { ...ch.birthtime } : { sec: 0, nsec: 0 };
  if (ch.ctime) d.ctime = { ...ch.ctime };
  else itimes(ip, { c: true });
  ip.dirty = true;
}

export function ffs_write(vp: Vnode, buf: Uint8Array, offset: number): number {
  const ip = VTOI(vp);
  writable(ip.ump);
  if ((ip.din.flags & IMMUTABLE) !== 0) throw errno('EPERM', 'ffs: the file is immutable');
  if ((ip.din.flags & APPEND) !== 0 && offset !== ip.din.size) throw errno('EPERM', 'ffs: the file is append-only');
  const w = ip.ump.wapbl;
  if (!w || buf.length <= LOG_WRITE_PIECE) {
    const n = ffs_writecore(ip, buf, offset);
    if (n > 0) itimes(ip, { m: true, c: true });
    return n;
  }
  // A large write under the log goes in pieces, each ending as an operation would, so the log may
  // commit between them (the block maps and indirect blocks of a huge write could outgrow it). A
  // failure undoes every piece, as one write would be undone (IO_UNIT).
  const osize = ip.din.size;
  try {
    for (let done = 0; done < buf.length; done += LOG_WRITE_PIECE) {
      if (done > 0) {
        w.end();
        w.begin();
      }
      ffs_writecore(ip, buf.subarray(done, Math.min(buf.length, done + LOG_WRITE_PIECE)), offset + done);
      itimes(ip, { m: true, c: true });
    }
  } catch (e) {
    if (ip.din.size !== osize) {
      try {
        ffs_truncate(ip, osize);
      } catch {
        // The original error is the one to report.
      }
    }
    throw e;
  }
  return buf.length;
}

/** Bytes of one piece of a large write on a logged mount (see ffs_write). */
const LOG_WRITE_PIECE = 8 * 1024 * 1024;

/**
 * Mark an access (IN_ACCESS) unless the mount says not to. While logging the new atime is lazy
 * (Inode.lazyAccess): it goes out with the inode's next change, or at fsync, sync, reclaim or
 * unmount in transactions of bounded size, so reads never grow the log's transaction.
 */
export function markAccess(vp: Vnode): void {
  if ((vp.mount.flag & (MNT_NOATIME | MNT_RDONLY)) !== 0) return;
  const ip = VTOI(vp);
  if (ip.ump.ronly) return;
  if (!ip.ump.wapbl) {
    itimes(ip, { a: true });
    return;
  }
  const now = nanotime();
  ip.din.atime = { sec: now.sec, nsec: now.nsec };
  ip.lazyAccess = true;
}

export function ffs_fsync(vp: Vnode): void {
  const ip = VTOI(vp);
  if (ip.ump.ronly) return;
  ffs_update(ip);
  ip.ump.bio.flush();
}

/** The last reference went: an unlinked inode is freed now (via reclaim). */
export function ffs_inactive(vp: Vnode): boolean {
  const ip = VTOI(vp);
  return !ip.ump.ronly && ip.din.nlink <= 0;
}

export function ffs_reclaim(vp: Vnode): void {
  const ip = VTOI(vp);
  if (!ip.ump.ronly) {
    if (ip.din.nlink <= 0 && ip.din.mode !== 0) freeInode(ip);
    else ffs_update(ip);
  }
  ip.dirhash = null;
  ip.invalIndir();
}
