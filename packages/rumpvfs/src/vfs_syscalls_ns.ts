/**
 * Namespace system calls (vfs_syscalls.c): mkdir, rmdir, unlink, rename, link, symlink, mknod,
 * mkfifo, readlink — with the generic checks the VFS does before the file system sees the call.
 */
import { ALLPERMS, errno, MAXPATHLEN, nameByteLength, type Proc, S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK, S_ISVTX } from '@rumpts/librump';
import { APPEND, IMMUTABLE, VWRITE, vn_access } from './genfs.js';
import { vref, vrele } from './mount.js';
import { CREATE, DELETE, LOOKUP, RENAME, namei, nameiDone } from './vfs_lookup.js';
import type { Vfs } from './vfs.js';
import type { Vnode } from './vnode.js';
import { VDIR, VLNK, type VType, VBLK, VCHR, VFIFO, VREG, VSOCK, type VattrCreate } from './vattr.js';

/** The parent directory and absent last component of a path to create (EEXIST if present). */
function lookupForCreate(vfs: Vfs, p: Proc, path: string, allowTrailingSlash: boolean): { dvp: Vnode; name: string } {
  const nd = namei(vfs, p, path, { op: CREATE, follow: false, wantParent: true });
  if (nd.vp) {
    nameiDone(nd);
    throw errno('EEXIST');
  }
  const dvp = nd.dvp as Vnode;
  if (nd.trailingSlash && !allowTrailingSlash) {
    vrele(dvp);
    throw errno('ENOENT', 'trailing slash on a name that does not exist');
  }
  try {
    vn_access(dvp, VWRITE, p.cred);
  } catch (e) {
    vrele(dvp);
    throw e;
  }
  return { dvp, name: nd.name };
}

function createAttrs(p: Proc, dvp: Vnode, type: VType, mode: number, rdev = 0): VattrCreate {
  // New files take the directory's group (BSD semantics).
  return { type, mode: mode & ALLPERMS & ~p.cmask, uid: p.cred.uid, gid: dvp.ops.getattr(dvp).gid, rdev };
}

export function sys_mkdir(vfs: Vfs, p: Proc, path: string, mode: number): void {
  const { dvp, name } = lookupForCreate(vfs, p, path, true);
  try {
    const vp = dvp.ops.mkdir(dvp, name, createAttrs(p, dvp, VDIR, mode & 0o1777), { cred: p.cred });
    vrele(vp);
  } finally {
    vrele(dvp);
  }
}

export function sys_mknod(vfs: Vfs, p: Proc, path: string, mode: number, dev: number): void {
  const fmt = mode & S_IFMT;
  let type: VType;
  if (fmt === S_IFCHR) type = VCHR;
  else if (fmt === S_IFBLK) type = VBLK;
  else if (fmt === S_IFIFO) type = VFIFO;
  else if (fmt === S_IFSOCK) type = VSOCK;
  else if (fmt === S_IFREG || fmt === 0) type = VREG;
  else throw errno('EINVAL', `bad file type ${fmt.toString(8)} for mknod`);
  // Device nodes need privilege (kauth KAUTH_SYSTEM_MKNOD); fifos and files do not.
  if ((type === VCHR || type === VBLK) && p.cred.uid !== 0) throw errno('EPERM', 'only root may make device nodes');
  const { dvp, name } = lookupForCreate(vfs, p, path, false);
  try {
    const va = createAttrs(p, dvp, type, mode, type === VCHR || type === VBLK ? dev : 0);
    const vp = type === VREG ? dvp.ops.create(dvp, name, va, { cred: p.cred }) : dvp.ops.mknod(dvp, name, va, { cred: p.cred });
    vrele(vp);
  } finally {
    vrele(dvp);
  }
}

export function sys_mkfifo(vfs: Vfs, p: Proc, path: string, mode: number): void {
  const { dvp, name } = lookupForCreate(vfs, p, path, false);
  try {
    vrele(dvp.ops.mknod(dvp, name, createAttrs(p, dvp, VFIFO, mode), { cred: p.cred }));
  } finally {
    vrele(dvp);
  }
}

export function sys_symlink(vfs: Vfs, p: Proc, target: string, path: string): void {
  checkPaths(target, path);
  if (nameByteLength(target) >= MAXPATHLEN) throw errno('ENAMETOOLONG', 'symbolic link target too long');
  const { dvp, name } = lookupForCreate(vfs, p, path, false);
  try {
    vrele(dvp.ops.symlink(dvp, name, createAttrs(p, dvp, VLNK, 0o777), target, { cred: p.cred }));
  } finally {
    vrele(dvp);
  }
}

export function sys_readlink(vfs: Vfs, p: Proc, path: string): string {
  const nd = namei(vfs, p, path, { op: LOOKUP, follow: false });
  try {
    const vp = nd.vp as Vnode;
    if (vp.type !== VLNK) throw errno('EINVAL', 'not a symbolic link');
    return vp.ops.readlink(vp);
  } finally {
    nameiDone(nd);
  }
}

export function sys_link(vfs: Vfs, p: Proc, existing: string, path: string): void {
  checkPaths(existing, path);
  const src = namei(vfs, p, existing, { op: LOOKUP, follow: true });
  const vp = src.vp as Vnode;
  try {
    if (vp.type === VDIR) throw errno('EPERM', 'cannot link a directory');
    const { dvp, name } = lookupForCreate(vfs, p, path, false);
    try {
      if (dvp.mount !== vp.mount) throw errno('EXDEV', 'link across file systems');
      const va = vp.ops.getattr(vp);
      if ((va.flags & (IMMUTABLE | APPEND)) !== 0) throw errno('EPERM', 'file is immutable or append-only');
      dvp.ops.link(dvp, vp, name, { cred: p.cred });
    } finally {
      vrele(dvp);
    }
  } finally {
    nameiDone(src);
  }
}

/** Sticky directories: only the owner of the file or of the directory (or root) may remove. */
function checkSticky(p: Proc, dvp: Vnode, vp: Vnode): void {
  if (p.cred.uid === 0) return;
  const dva = dvp.ops.getattr(dvp);
  if ((dva.mode & S_ISVTX) === 0) return;
  if (dva.uid === p.cred.uid || vp.ops.getattr(vp).uid === p.cred.uid) return;
  throw errno('EPERM', 'sticky directory: not the owner');
}

function checkRemovable(vp: Vnode, dvp: Vnode): void {
  if ((vp.ops.getattr(vp).flags & (IMMUTABLE | APPEND)) !== 0) throw errno('EPERM', 'file is immutable or append-only');
  if ((dvp.ops.getattr(dvp).flags & APPEND) !== 0) throw errno('EPERM', 'directory is append-only');
}

export function sys_unlink(vfs: Vfs, p: Proc, path: string): void {
  const nd = namei(vfs, p, path, { op: DELETE, follow: false, wantParent: true });
  try {
    const vp = nd.vp as Vnode;
    const dvp = nd.dvp;
    if (!dvp) throw errno('EISDIR', 'cannot unlink the root');
    if (vp.type === VDIR) throw errno('EPERM', 'unlink of a directory');
    vn_access(dvp, VWRITE, p.cred);
    checkSticky(p, dvp, vp);
    checkRemovable(vp, dvp);
    dvp.ops.remove(dvp, vp, nd.name, { cred: p.cred });
  } finally {
    nameiDone(nd);
  }
}

export function sys_rmdir(vfs: Vfs, p: Proc, path: string): void {
  const nd = namei(vfs, p, path, { op: DELETE, follow: false, wantParent: true });
  try {
    const vp = nd.vp as Vnode;
    const dvp = nd.dvp;
    if (vp.type !== VDIR) throw errno('ENOTDIR');
    if (nd.name === '.') throw errno('EINVAL', "rmdir of '.'");
    if (nd.name === '..') throw errno('ENOTEMPTY', "rmdir of '..'");
    if (!dvp || vp.isRoot || vp === vfs.rootvnode) throw errno('EBUSY', 'directory is a mount point or root');
    vn_access(dvp, VWRITE, p.cred);
    checkSticky(p, dvp, vp);
    checkRemovable(vp, dvp);
    dvp.ops.rmdir(dvp, vp, nd.name, { cred: p.cred });
  } finally {
    nameiDone(nd);
  }
}

/** Is `dir` equal to `ancestor` or below it (walking '..' up to the mount's root)? */
function isBelow(dir: Vnode, ancestor: Vnode, cred: Proc['cred']): boolean {
  let cur = dir;
  vref(cur);
  try {
    for (let depth = 0; depth < 4096; depth++) {
      if (cur === ancestor) return true;
      if (cur.isRoot) return false;
      const up = cur.ops.lookup(cur, '..', { cred });
      if (!up) return false;
      if (up === cur) {
        vrele(up);
        return false;
      }
      vrele(cur);
      cur = up;
    }
    throw errno('ELOOP', 'directory tree too deep while checking rename');
  } finally {
    vrele(cur);
  }
}

function checkPaths(...paths: unknown[]): void {
  for (const x of paths) if (typeof x !== 'string') throw errno('EFAULT', 'path argument is not a string');
}

export function sys_rename(vfs: Vfs, p: Proc, from: string, to: string): void {
  checkPaths(from, to);
  const fnd = namei(vfs, p, from, { op: DELETE, follow: false, wantParent: true });
  try {
    const fvp = fnd.vp as Vnode;
    const fdvp = fnd.dvp;
    if (!fdvp || fnd.name === '.' || fnd.name === '..') throw errno('EINVAL', "cannot rename '.', '..' or '/'");
    if (fvp.isRoot) throw errno('EBUSY', 'cannot rename a mount point');
    const tnd = namei(vfs, p, to, { op: RENAME, follow: false, wantParent: true });
    try {
      const tvp = tnd.vp;
      const tdvp = tnd.dvp;
      if (!tdvp || tnd.name === '..') throw errno('EINVAL', 'bad rename target');
      if (tnd.name === '.') throw errno('EISDIR', "rename onto '.'");
      if (tvp?.isRoot) throw errno('EBUSY', 'target is a mount point');
      if (fdvp.mount !== tdvp.mount || (tvp && tvp.mount !== fvp.mount) || fvp.mount !== fdvp.mount) throw errno('EXDEV', 'rename across file systems');
      if (fvp.type === VDIR) {
        if (tvp && tvp.type !== VDIR) throw errno('ENOTDIR', 'cannot replace a non-directory with a directory');
        if (isBelow(tdvp, fvp, p.cred)) throw errno('EINVAL', 'cannot move a directory into itself');
      } else if (tvp && tvp.type === VDIR) {
        throw errno('EISDIR', 'cannot replace a directory with a non-directory');
      }
      vn_access(fdvp, VWRITE, p.cred);
      if (tdvp !== fdvp) vn_access(tdvp, VWRITE, p.cred);
      // Moving a directory to a new parent rewrites its '..': it must be writable.
      if (fvp.type === VDIR && tdvp !== fdvp && p.cred.uid !== 0) vn_access(fvp, VWRITE, p.cred);
      checkSticky(p, fdvp, fvp);
      checkRemovable(fvp, fdvp);
      if (tvp) {
        checkSticky(p, tdvp, tvp);
        checkRemovable(tvp, tdvp);
      }
      if (tvp === fvp) {
        // NetBSD (genfs_rename): two names of one file — the source name goes away.
        if (fdvp === tdvp && fnd.name === tnd.name) return;
        fdvp.ops.remove(fdvp, fvp, fnd.name, { cred: p.cred });
        return;
      }
      fdvp.ops.rename(fdvp, fvp, fnd.name, tdvp, tvp, tnd.name, { cred: p.cred });
    } finally {
      nameiDone(tnd);
    }
  } finally {
    nameiDone(fnd);
  }
}
