/** ufs_getattr: struct vattr from the in-core inode. */
import { S_IFBLK, S_IFCHR, S_IFMT } from '@rumpts/librump';
import { type Vattr, iftovt } from '@rumpts/rumpvfs';
import { DEV_BSIZE } from './ondisk/geometry.js';
import type { Inode } from './inode.js';

/**
 * ufs_getattr: the struct vattr of an in-core inode (di_rdev is di_db[0] for devices; va_bytes is di_blocks ×
 * DEV_BSIZE).
 */
export function ffs_getattr(ip: Inode): Vattr {
  const d = ip.din;
  const fmt = d.mode & S_IFMT;
  const isdev = fmt === S_IFBLK || fmt === S_IFCHR;
  return {
    type: iftovt(d.mode),
    mode: d.mode & 0o7777,
    nlink: d.nlink,
    uid: d.uid,
    gid: d.gid,
    fileid: ip.ino,
    size: d.size,
    bytes: d.blocks * DEV_BSIZE,
    blocksize: ip.ump.fs.bsize,
    atime: { sec: d.atime.sec, nsec: d.atime.nsec },
    mtime: { sec: d.mtime.sec, nsec: d.mtime.nsec },
    ctime: { sec: d.ctime.sec, nsec: d.ctime.nsec },
    birthtime: { sec: d.birthtime.sec, nsec: d.birthtime.nsec },
    gen: d.gen,
    flags: d.flags,
    // di_rdev shares di_db[0]; NetBSD's dev_t is 32 bits wide in practice.
    rdev: isdev ? (d.db[0] ?? 0) >>> 0 : 0,
  };
}
