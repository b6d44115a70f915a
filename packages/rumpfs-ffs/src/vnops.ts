/**
 * The FFS vnode operations (ffs_vnodeop_p), read-only for now: each op is short and delegates to
 * the file holding its concern. Every mutating op answers EROFS (part 2 brings the write path).
 */
import { errno } from '@rumpts/librump';
import type { DirEntry, ReaddirResult, Vattr, Vnode, VnodeOps } from '@rumpts/rumpvfs';
import { ffs_getattr } from './attr.js';
import { ffs_dirlookup, ffs_dirwalk } from './dir.js';
import { Inode } from './inode.js';
import { ffs_read as ffs_readcore } from './read.js';
import { ffs_readlink as ffs_readlinkcore } from './readlink.js';

/** VTOI: the inode behind a vnode of this file system. */
export function VTOI(vp: Vnode): Inode {
  const ip = vp.data;
  if (!(ip instanceof Inode)) throw errno('EBADF', `ffs: vnode ${vp.key} is not an FFS vnode`);
  return ip;
}

function erofs(op: string): never {
  throw errno('EROFS', `ffs: ${op}: read-write mounts are not supported yet`);
}

/** Bytes a getdents record of this name takes (struct dirent: 13 + namlen + 1, aligned to 8). */
function direntSize(name: string): number {
  return (13 + Buffer.byteLength(name) + 1 + 7) & ~7;
}

export function ffs_lookup(dvp: Vnode, name: string): Vnode | null {
  const ino = ffs_dirlookup(VTOI(dvp), name);
  return ino === 0 ? null : dvp.mount.vcacheGet(ino);
}

export function ffs_getattr_vop(vp: Vnode): Vattr {
  return ffs_getattr(VTOI(vp));
}

export function ffs_read(vp: Vnode, buf: Uint8Array, offset: number): number {
  return ffs_readcore(VTOI(vp), buf, offset);
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
  return { entries, eof: !stopped };
}

export function ffs_readlink(vp: Vnode): string {
  return ffs_readlinkcore(VTOI(vp));
}

export const ffs_vnodeops: VnodeOps = {
  lookup: (dvp, name) => ffs_lookup(dvp, name),
  create: () => erofs('create'),
  mknod: () => erofs('mknod'),
  mkdir: () => erofs('mkdir'),
  symlink: () => erofs('symlink'),
  link: () => erofs('link'),
  remove: () => erofs('remove'),
  rmdir: () => erofs('rmdir'),
  rename: () => erofs('rename'),
  getattr: (vp) => ffs_getattr_vop(vp),
  setattr: () => erofs('setattr'),
  read: (vp, buf, off) => ffs_read(vp, buf, off),
  write: () => erofs('write'),
  fsync: () => {
    // Nothing is ever dirty on a read-only mount.
  },
  readdir: (vp, cookie, count) => ffs_readdir(vp, cookie, count),
  readlink: (vp) => ffs_readlink(vp),
  // Keep unreferenced inodes cached: nothing to free on a read-only mount.
  inactive: () => false,
  reclaim: (vp) => {
    const ip = VTOI(vp);
    ip.dirhash = null;
    ip.indirBuf.fill(null);
  },
};
