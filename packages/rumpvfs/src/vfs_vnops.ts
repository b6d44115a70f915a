/**
 * Vnodes behind descriptors (vfs_vnops.c): vn_open's checks, and the file operations of a vnode
 * file — read/write at the file offset, seek, stat, close. Devices go to specfs, fifos to fifofs.
 */
import {
  errno, type FileOps, FREAD, FWRITE, MNT_RDONLY, O_ACCMODE, O_ASYNC, O_DIRECT, O_DSYNC, O_NONBLOCK, O_NOSIGPIPE, O_RSYNC, O_SYNC, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW,
  O_TRUNC, type Proc, RumpFile, SEEK_CUR, SEEK_END, SEEK_SET, type Stat, ALLPERMS, oflags as toOflags, fflags,
} from '@rumpts/librump';
import { APPEND, IMMUTABLE, VAPPEND, VREAD, VWRITE, vn_access } from './genfs.js';
import { vrele } from './mount.js';
import { CREATE, LOOKUP, namei, nameiDone } from './vfs_lookup.js';
import type { Vfs } from './vfs.js';
import type { Vnode } from './vnode.js';
import { VBLK, VCHR, VDIR, VFIFO, VLNK, VREG, VSOCK, vttoif, type VattrCreate } from './vattr.js';
import { spec_open } from './specfs.js';
import { fifo_open } from './fifofs.js';

/** The largest file offset we allow (2^53 - 1, where JS numbers stop being exact). */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

/** The open(2) flags a file keeps (FMASK): status flags, not O_CREAT/O_EXCL/O_TRUNC. */
const FMASK = O_ACCMODE | O_APPEND | O_NONBLOCK | O_ASYNC | O_SYNC | O_DSYNC | O_RSYNC | O_DIRECT | O_NOSIGPIPE;

/** vn_stat: vattr → struct stat. */
export function vn_stat(vp: Vnode): Stat {
  const va = vp.ops.getattr(vp);
  return {
    dev: vp.mount.fsid,
    ino: va.fileid,
    mode: vttoif(va.type) | (va.mode & ALLPERMS),
    nlink: va.nlink,
    uid: va.uid,
    gid: va.gid,
    rdev: va.rdev,
    size: va.size,
    blocks: Math.ceil(va.bytes / 512),
    blksize: va.blocksize,
    flags: va.flags,
    gen: va.gen,
    atime: { ...va.atime },
    mtime: { ...va.mtime },
    ctime: { ...va.ctime },
    birthtime: { ...va.birthtime },
  };
}

/** File operations of a descriptor open on a regular file or directory. */
export const vnfileops: FileOps = {
  read(fp, buf, offset) {
    const vp = fp.data as Vnode;
    if (vp.type === VDIR) throw errno('EISDIR', 'read on a directory');
    const at = offset ?? fp.offset;
    const n = vp.ops.read(vp, buf, at);
    if (offset === undefined) fp.offset = at + n;
    return n;
  },
  write(fp, buf, offset) {
    const vp = fp.data as Vnode;
    if (vp.type !== VREG) throw errno('EISDIR', 'write on a directory');
    if ((vp.mount.flag & MNT_RDONLY) !== 0) throw errno('EROFS');
    const va = vp.ops.getattr(vp);
    if ((va.flags & IMMUTABLE) !== 0) throw errno('EPERM', 'file is immutable');
    const append = (fp.flag & O_APPEND) !== 0;
    // pwrite on an O_APPEND descriptor appends too (NetBSD, like Linux, honours O_APPEND first).
    const at = append ? va.size : (offset ?? fp.offset);
    if ((va.flags & APPEND) !== 0 && at !== va.size) throw errno('EPERM', 'file is append-only');
    if (at + buf.length > MAX_OFFSET) throw errno('EFBIG', 'write past the largest supported offset');
    if (buf.length === 0) return 0;
    const n = vp.ops.write(vp, buf, at);
    if (offset === undefined || append) fp.offset = at + n;
    return n;
  },
  seek(fp, offset, whence) {
    const vp = fp.data as Vnode;
    let base = 0;
    if (whence === SEEK_CUR) base = fp.offset;
    else if (whence === SEEK_END) base = vp.ops.getattr(vp).size;
    else if (whence !== SEEK_SET) throw errno('EINVAL');
    const n = base + offset;
    if (n < 0 || n > MAX_OFFSET) throw errno('EINVAL', `offset ${n} out of range`);
    return n;
  },
  stat(fp) {
    return vn_stat(fp.data as Vnode);
  },
  ioctl(fp, cmd, arg) {
    const vp = fp.data as Vnode;
    if (!vp.ops.ioctl) throw errno('ENOTTY');
    return vp.ops.ioctl(vp, cmd, arg);
  },
  close(fp) {
    const vp = fp.data as Vnode;
    try {
      vp.ops.close?.(vp, fp.flag & (FREAD | FWRITE));
    } finally {
      vn_closed(fp.flag, vp);
    }
  },
};

/** Common end of every vnode-backed descriptor: drop the write count and the reference. */
export function vn_closed(flag: number, vp: Vnode): void {
  if ((flag & FWRITE) !== 0 && vp.writecount > 0) vp.writecount--;
  vrele(vp);
}

/** The vnode behind a descriptor (EBADF if it is not a vnode file). */
export function fd_vnode(p: Proc, fd: number): Vnode {
  const fp = p.getfile(fd);
  const vp = fp.data as Vnode | undefined;
  if (!vp || typeof vp !== 'object' || !('mount' in vp)) throw errno('EBADF', 'descriptor does not refer to a vnode');
  return vp;
}

/** open(2) (vn_open + fd allocation). */
export function vn_open(vfs: Vfs, p: Proc, path: string, oflags: number, cmode: number): number {
  const fmode = fflags(oflags);
  if ((fmode & (FREAD | FWRITE)) === 0 && (oflags & O_TRUNC) !== 0) throw errno('EINVAL', 'O_TRUNC without write access');
  const creat = (oflags & O_CREAT) !== 0;
  const excl = creat && (oflags & O_EXCL) !== 0;
  const follow = !excl && (oflags & O_NOFOLLOW) === 0;
  const nd = namei(vfs, p, path, { op: creat ? CREATE : LOOKUP, follow, wantParent: creat });
  let vp = nd.vp;
  let fresh = false;
  try {
    if (vp === null) {
      const dvp = nd.dvp as Vnode;
      if (nd.trailingSlash) throw errno('EISDIR', 'cannot create a file with a trailing slash');
      // The attributes the access check read give the new file its group (the directory's).
      const dva = vn_access(dvp, VWRITE, p.cred);
      const va: VattrCreate = { type: VREG, mode: cmode & ALLPERMS & ~p.cmask & ~0o1000, uid: p.cred.uid, gid: dva.gid, rdev: 0 };
      vp = dvp.ops.create(dvp, nd.name, va, { cred: p.cred });
      nd.vp = vp;
      fresh = true;
    } else if (excl) {
      throw errno('EEXIST');
    }
    if (vp.type === VLNK) throw errno('EFTYPE', 'O_NOFOLLOW: the last component is a symbolic link');
    if ((oflags & O_DIRECTORY) !== 0 && vp.type !== VDIR) throw errno('ENOTDIR');
    if (vp.type === VSOCK) throw errno('EOPNOTSUPP', 'cannot open a socket');
    if (!fresh) {
      if ((fmode & FWRITE) !== 0 && vp.type === VDIR) throw errno('EISDIR', 'directory opened for writing');
      let mode = 0;
      if ((fmode & FREAD) !== 0) mode |= VREAD;
      if ((fmode & FWRITE) !== 0 || (oflags & O_TRUNC) !== 0) mode |= VWRITE | ((oflags & O_APPEND) !== 0 && (oflags & O_TRUNC) === 0 ? VAPPEND : 0);
      if (mode !== 0) vn_access(vp, mode, p.cred);
    }
    let fops: FileOps = vnfileops;
    if (vp.type === VBLK || vp.type === VCHR) fops = spec_open(vfs, vp, fmode);
    else if (vp.type === VFIFO) fops = fifo_open(vp, fmode);
    else {
      vp.ops.open?.(vp, fmode & (FREAD | FWRITE), { cred: p.cred });
      if ((oflags & O_TRUNC) !== 0 && vp.type === VREG && !fresh) vp.ops.setattr(vp, { size: 0 }, { cred: p.cred });
    }
    if ((fmode & FWRITE) !== 0) vp.writecount++;
    const fp = new RumpFile(fops, vp, toOflags(fmode) & FMASK);
    nd.vp = null; // the file owns the reference now
    try {
      return p.falloc(fp, oflags);
    } catch (e) {
      fp.hold();
      fp.release();
      throw e;
    }
  } finally {
    nameiDone(nd);
  }
}
