/**
 * Generic permission checks shared by every file system (genfs_access / kauth's vaccess), and the
 * access-mode bits VOP_ACCESS takes.
 */
import { errno, type Cred, MNT_NOEXEC, MNT_NOSUID, MNT_RDONLY, S_ISGID, S_ISUID, SF_APPEND, SF_IMMUTABLE, UF_APPEND, UF_IMMUTABLE } from '@rumpts/librump';
import type { Vnode } from './vnode.js';
import { VBLK, VCHR, VDIR, VFIFO, VLNK, VREG, VSOCK, type Vattr } from './vattr.js';

/** VOP_ACCESS mode: execute a file, or search a directory. */
export const VEXEC = 0o100;
/** VOP_ACCESS mode: write. */
export const VWRITE = 0o200;
/** VOP_ACCESS mode: read. */
export const VREAD = 0o400;
/** Append-only write (VAPPEND): allowed on SF/UF_APPEND files. */
export const VAPPEND = 0o40000;

export const IMMUTABLE = SF_IMMUTABLE | UF_IMMUTABLE;
export const APPEND = SF_APPEND | UF_APPEND;

/** groupmember(9): is `gid` the credential's group or one of its supplementary groups? */
export function groupmember(gid: number, cred: Cred): boolean {
  return cred.gid === gid || cred.groups.includes(gid);
}

/** vaccess(): the classic owner/group/other check against a vattr. Root passes, except exec of a file with no x bit. */
export function vaccess(va: Vattr, mode: number, cred: Cred): void {
  if (cred.uid === 0) {
    if ((mode & VEXEC) !== 0 && va.type !== VDIR && (va.mode & 0o111) === 0) throw errno('EACCES', 'no execute bit for anyone');
    return;
  }
  let bits: number;
  if (cred.uid === va.uid) bits = (va.mode >> 6) & 7;
  else if (groupmember(va.gid, cred)) bits = (va.mode >> 3) & 7;
  else bits = va.mode & 7;
  const want = ((mode & VREAD) !== 0 ? 4 : 0) | ((mode & VWRITE) !== 0 ? 2 : 0) | ((mode & VEXEC) !== 0 ? 1 : 0);
  if ((want & ~bits) !== 0) throw errno('EACCES');
}

/**
 * VOP_ACCESS as the VFS runs it: read-only mounts refuse writes to files, directories and links
 * (EROFS); immutable files refuse writes (EPERM); then the fs's own access op or vaccess.
 */
export function vn_access(vp: Vnode, mode: number, cred: Cred): Vattr {
  const va = vp.ops.getattr(vp);
  if ((mode & VWRITE) !== 0) {
    if ((vp.mount.flag & MNT_RDONLY) !== 0 && (va.type === VREG || va.type === VDIR || va.type === VLNK)) {
      throw errno('EROFS', 'file system is mounted read-only');
    }
    if ((va.flags & IMMUTABLE) !== 0) throw errno('EPERM', 'file is immutable');
    if ((va.flags & APPEND) !== 0 && (mode & VAPPEND) === 0 && va.type !== VDIR) throw errno('EPERM', 'file is append-only');
  }
  if (vp.ops.access) vp.ops.access(vp, mode & ~VAPPEND, { cred });
  else vaccess(va, mode & ~VAPPEND, cred);
  // MNT_NOEXEC: nothing on the file system is executable. NetBSD refuses it in execve (check_exec);
  // a rump kernel has no execve, so the question "may this be run?" is access(X_OK), and it is
  // refused here for regular files (as Linux's access(2) does) — directories stay searchable.
  if ((mode & VEXEC) !== 0 && va.type === VREG && (vp.mount.flag & MNT_NOEXEC) !== 0) {
    throw errno('EACCES', `file system is mounted noexec (${vp.mount.mntonname})`);
  }
  return va;
}

/**
 * check_exec's file rules (kern_exec.c), for anything that would run a file from the file system:
 * a regular file (EACCES otherwise), executable by `cred` (VOP_ACCESS VEXEC), not on a noexec mount
 * (EACCES). Returns the set-id bits that would apply: none on a nosuid mount, which ignores them.
 */
export function vn_exec_check(vp: Vnode, cred: Cred): {
  /** The file is set-user-id, and the mount honours it. */
  setuid: boolean;
  /** The file is set-group-id, and the mount honours it. */
  setgid: boolean;
} {
  if (vp.type !== VREG) throw errno('EACCES', 'only a regular file can be executed');
  const va = vn_access(vp, VEXEC, cred);
  const mode = (vp.mount.flag & MNT_NOSUID) !== 0 ? va.mode & ~(S_ISUID | S_ISGID) : va.mode;
  return { setuid: (mode & S_ISUID) !== 0, setgid: (mode & S_ISGID) !== 0 };
}

/** Is this a type whose data lives on the file system (so EROFS applies)? */
export function isFsData(t: number): boolean {
  return t === VREG || t === VDIR || t === VLNK;
}

export function isSpecial(t: number): boolean {
  return t === VBLK || t === VCHR || t === VFIFO || t === VSOCK;
}
