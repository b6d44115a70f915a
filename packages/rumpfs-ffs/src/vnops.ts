/**
 * The FFS vnode operations (ffs_vnodeop_p): each op is short and delegates to the file holding its
 * concern — reads here, changes in vnops_write.ts.
 */
import { nameByteLength } from '@rumpts/librump';
import type { DirEntry, ReaddirResult, Vattr, Vnode, VnodeOps } from '@rumpts/rumpvfs';
import { ffs_getattr } from './attr.js';
import { ffs_dirlookup, ffs_dirwalk } from './dir.js';
import { ffs_read as ffs_readcore } from './read.js';
import { ffs_readlink as ffs_readlinkcore } from './readlink.js';
import {
  VTOI, ffs_create, ffs_fsync, ffs_inactive, ffs_link, ffs_mkdir, ffs_reclaim, ffs_remove, ffs_rename, ffs_rmdir,
  ffs_setattr, ffs_symlink, ffs_write, markAccess,
} from './vnops_write.js';

export { VTOI };

/** Bytes a getdents record of this name takes (struct dirent: 13 + namlen + 1, aligned to 8). */
function direntSize(name: string): number {
  return (13 + nameByteLength(name) + 1 + 7) & ~7;
}

export function ffs_lookup(dvp: Vnode, name: string): Vnode | null {
  const ino = ffs_dirlookup(VTOI(dvp), name);
  return ino === 0 ? null : dvp.mount.vcacheGet(ino);
}

export function ffs_getattr_vop(vp: Vnode): Vattr {
  return ffs_getattr(VTOI(vp));
}

export function ffs_read(vp: Vnode, buf: Uint8Array, offset: number): number {
  const n = ffs_readcore(VTOI(vp), buf, offset);
  markAccess(vp);
  return n;
}

/** ufs_readdir: cookies are byte offsets in the directory (the offset of the next entry). */
export function ffs_readdir(vp: Vnode, cookie: number, count: number): ReaddirResult {
  const entries: DirEntry[] = [];
  let bytes = 0;
  let stopped = false;
  ffs_dirwalk(VTOI(vp), cookie, (e) => {
    const sz = direntSize(e.name);
    if (entries.length > 0 && bytes + sz > count) {
      stopped = true;
      return false;
    }
    entries.push({ fileno: e.ino, type: e.type, name: e.name, cookie: e.off + e.reclen });
    bytes += sz;
    return true;
  });
  markAccess(vp);
  return { entries, eof: !stopped };
}

export function ffs_readlink(vp: Vnode): string {
  return ffs_readlinkcore(VTOI(vp));
}

/**
 * The FFS vnode operations (ffs_vnodeop_p): lookup, create, read, write, readdir, rename and the rest, over
 * in-core inodes (VTOI).
 */
export const ffs_vnodeops: VnodeOps = {
  lookup: (dvp, name) => ffs_lookup(dvp, name),
  create: (dvp, name, va) => ffs_create(dvp, name, va),
  mknod: (dvp, name, va) => ffs_create(dvp, name, va),
  mkdir: (dvp, name, va) => ffs_mkdir(dvp, name, va),
  symlink: (dvp, name, va, target) => ffs_symlink(dvp, name, va, target),
  link: (dvp, vp, name) => ffs_link(dvp, vp, name),
  remove: (dvp, vp, name) => ffs_remove(dvp, vp, name),
  rmdir: (dvp, vp, name) => ffs_rmdir(dvp, vp, name),
  rename: (fdvp, fvp, fname, tdvp, tvp, tname) => ffs_rename(fdvp, fvp, fname, tdvp, tvp, tname),
  getattr: (vp) => ffs_getattr_vop(vp),
  setattr: (vp, ch) => ffs_setattr(vp, ch),
  read: ffs_read,
  write: (vp, buf, off) => ffs_write(vp, buf, off),
  fsync: (vp) => ffs_fsync(vp),
  readdir: (vp, cookie, count) => ffs_readdir(vp, cookie, count),
  readlink: (vp) => ffs_readlink(vp),
  inactive: (vp) => ffs_inactive(vp),
  reclaim: (vp) => ffs_reclaim(vp),
};
