/**
 * Attribute system calls (vfs_syscalls.c): stat, access, chmod, chown, chflags, utimes, truncate,
 * fsync, getdents — each with NetBSD's privilege rules before the fs's setattr sees the change.
 */
import {
  ALLPERMS, type Dirent, errno, F_OK, FWRITE, MNT_RDONLY, nameByteLength, type Proc, R_OK, S_ISGID, S_ISUID, S_ISVTX, SF_APPEND,
  SF_ARCHIVED, SF_IMMUTABLE, type Stat, type Timespec, W_OK, X_OK,
} from '@rumpts/librump';
import { groupmember, IMMUTABLE, APPEND, VEXEC, VREAD, VWRITE, vn_access } from './genfs.js';
import { LOOKUP, namei, nameiDone } from './vfs_lookup.js';
import { vfsOf, type Vfs } from './vfs.js';
import type { Vnode } from './vnode.js';
import { fd_vnode, vn_stat } from './vfs_vnops.js';
import { VDIR, VREG, nanotime, type VattrChange, vttodt } from './vattr.js';
import { DirentStream, direntNameForLog } from './vfs_dirent.js';

/** Run fn on the vnode a path names (following symlinks or not), releasing it after. */
export function withPath<T>(vfs: Vfs, p: Proc, path: string, follow: boolean, fn: (vp: Vnode) => T): T {
  const nd = namei(vfs, p, path, { op: LOOKUP, follow });
  try {
    return fn(nd.vp as Vnode);
  } finally {
    nameiDone(nd);
  }
}

export function sys_stat(vfs: Vfs, p: Proc, path: string, follow: boolean): Stat {
  return withPath(vfs, p, path, follow, vn_stat);
}

export function sys_access(vfs: Vfs, p: Proc, path: string, mode: number): void {
  if ((mode & ~(R_OK | W_OK | X_OK)) !== 0 || !Number.isInteger(mode)) throw errno('EINVAL', `bad access mode ${mode}`);
  withPath(vfs, p, path, true, (vp) => {
    if (mode === F_OK) return;
    let m = 0;
    if ((mode & R_OK) !== 0) m |= VREAD;
    if ((mode & W_OK) !== 0) m |= VWRITE;
    if ((mode & X_OK) !== 0) m |= VEXEC;
    vn_access(vp, m, p.cred);
  });
}

function checkWritableFs(vp: Vnode): void {
  if ((vp.mount.flag & MNT_RDONLY) !== 0) throw errno('EROFS', 'file system is mounted read-only');
}

function isOwner(p: Proc, vp: Vnode): boolean {
  return p.cred.uid === 0 || vp.ops.getattr(vp).uid === p.cred.uid;
}

function setattr(p: Proc, vp: Vnode, ch: VattrChange): void {
  checkWritableFs(vp);
  vp.ops.setattr(vp, ch, { cred: p.cred });
}

export function vn_chmod(p: Proc, vp: Vnode, mode: number): void {
  checkWritableFs(vp);
  const va = vp.ops.getattr(vp);
  if (p.cred.uid !== 0) {
    if (va.uid !== p.cred.uid) throw errno('EPERM', 'not the owner');
    // NetBSD: only root may set the sticky bit on a file (EFTYPE); setgid needs group membership.
    if (va.type !== VDIR && (mode & S_ISVTX) !== 0) throw errno('EFTYPE', 'only root may set the sticky bit on a file');
    if ((mode & S_ISGID) !== 0 && !groupmember(va.gid, p.cred)) throw errno('EPERM', 'setgid on a group you are not in');
  }
  if ((va.flags & (IMMUTABLE | APPEND)) !== 0) throw errno('EPERM', 'file is immutable or append-only');
  setattr(p, vp, { mode: mode & ALLPERMS });
}

export function vn_chown(p: Proc, vp: Vnode, uid: number, gid: number): void {
  checkWritableFs(vp);
  const va = vp.ops.getattr(vp);
  const nuid = uid === -1 ? va.uid : uid;
  const ngid = gid === -1 ? va.gid : gid;
  if (!Number.isInteger(nuid) || !Number.isInteger(ngid) || nuid < 0 || ngid < 0) throw errno('EINVAL', 'bad owner');
  if ((va.flags & (IMMUTABLE | APPEND)) !== 0) throw errno('EPERM', 'file is immutable or append-only');
  const ch: VattrChange = {};
  if (p.cred.uid !== 0) {
    // The owner may only give the file to a group they belong to, never to another user.
    if (va.uid !== p.cred.uid || nuid !== va.uid || (ngid !== va.gid && !groupmember(ngid, p.cred))) throw errno('EPERM', 'not permitted to change owner');
    if ((va.mode & (S_ISUID | S_ISGID)) !== 0) ch.mode = va.mode & ~(S_ISUID | S_ISGID);
  }
  if (nuid !== va.uid) ch.uid = nuid;
  if (ngid !== va.gid) ch.gid = ngid;
  if (ch.uid === undefined && ch.gid === undefined && ch.mode === undefined) {
    // chown to the same owner still updates ctime.
    setattr(p, vp, { ctime: nanotime() });
    return;
  }
  setattr(p, vp, ch);
}

export function vn_chflags(p: Proc, vp: Vnode, flags: number): void {
  checkWritableFs(vp);
  const va = vp.ops.getattr(vp);
  if (!isOwner(p, vp)) throw errno('EPERM', 'not the owner');
  if (p.cred.uid !== 0) {
    // Users may change only the UF_ flags, and not while a system flag is set.
    const sys = SF_ARCHIVED | SF_IMMUTABLE | SF_APPEND | 0xffff0000;
    if ((va.flags & (SF_IMMUTABLE | SF_APPEND)) !== 0) throw errno('EPERM', 'system immutable/append flag set');
    if ((flags & sys & ~SF_ARCHIVED) !== (va.flags & sys & ~SF_ARCHIVED)) throw errno('EPERM', 'only root may change system flags');
  }
  setattr(p, vp, { flags });
}

function checkTime(t: Timespec | null, what: string): void {
  if (t === null) return;
  if (!Number.isSafeInteger(t.sec) || !Number.isInteger(t.nsec) || t.nsec < 0 || t.nsec >= 1e9) throw errno('EINVAL', `bad ${what}`);
}

export function vn_utimes(p: Proc, vp: Vnode, atime: Timespec | null, mtime: Timespec | null): void {
  checkTime(atime, 'atime');
  checkTime(mtime, 'mtime');
  checkWritableFs(vp);
  const va = vp.ops.getattr(vp);
  if ((va.flags & (IMMUTABLE | APPEND)) !== 0) throw errno('EPERM', 'file is immutable or append-only');
  if (p.cred.uid !== 0 && va.uid !== p.cred.uid) {
    // Setting "now" needs only write access; explicit times need ownership.
    if (atime !== null || mtime !== null) throw errno('EPERM', 'not the owner');
    vn_access(vp, VWRITE, p.cred);
  }
  const now = nanotime();
  // do_sys_utimens: an explicit mtime older than the birth time pulls the birth time back to it.
  const older = mtime !== null && (mtime.sec < va.birthtime.sec || (mtime.sec === va.birthtime.sec && mtime.nsec < va.birthtime.nsec));
  setattr(p, vp, { atime: atime ?? now, mtime: mtime ?? now, ...(older ? { birthtime: mtime } : {}) });
}

export function vn_truncate(p: Proc, vp: Vnode, length: number, viaFd: boolean): void {
  if (!Number.isSafeInteger(length) || length < 0) throw errno('EINVAL', `bad length ${length}`);
  if (vp.type === VDIR) throw errno('EISDIR');
  if (vp.type !== VREG) throw errno('EINVAL', 'not a regular file');
  checkWritableFs(vp);
  const va = vp.ops.getattr(vp);
  if ((va.flags & (IMMUTABLE | APPEND)) !== 0) throw errno('EPERM', 'file is immutable or append-only');
  if (!viaFd) vn_access(vp, VWRITE, p.cred);
  setattr(p, vp, { size: length });
}

export function sys_ftruncate(p: Proc, fd: number, length: number): void {
  const fp = p.getfile(fd);
  if ((fp.flag & FWRITE) === 0) throw errno('EINVAL', 'descriptor not open for writing');
  vn_truncate(p, fd_vnode(p, fd), length, true);
}

/** NetBSD struct dirent record length: (13 + namlen + 1 + 7) & ~7. */
export function direntReclen(namelen: number): number {
  return (13 + namelen + 1 + 7) & ~7;
}

/** The '.'/'..' placement state of each open directory (vfs_dirent.ts). */
const streams = new WeakMap<object, DirentStream>();

/**
 * getdents(2): entries from the descriptor's offset (the fs's cookie) fitting in `count` bytes.
 * An entry whose name no directory may hold (empty, with '/' or NUL, a misplaced '.'/'..') is
 * skipped with a kernel message, whatever the file system (vfs_dirent.ts).
 */
export function sys_getdents(p: Proc, fd: number, count: number): Dirent[] {
  const fp = p.getfile(fd);
  const vp = fd_vnode(p, fd);
  if (vp.type !== VDIR) throw errno('ENOTDIR');
  if ((fp.flag & 1) === 0) throw errno('EBADF', 'descriptor not open for reading');
  if (!Number.isInteger(count) || count <= 0) throw errno('EINVAL', 'bad count');
  let stream = streams.get(fp);
  if (!stream) streams.set(fp, (stream = new DirentStream()));
  if (fp.offset === 0) stream.rewind();
  const out: Dirent[] = [];
  let used = 0;
  let cookie = fp.offset;
  // Ask for a little more than count; stop at what fits. A batch of nothing but skipped entries
  // asks again (bounded: cookies must advance).
  for (let rounds = 0; rounds < 1_000_000; rounds++) {
    const r = vp.ops.readdir(vp, cookie, count - used);
    let stopped = false;
    const before = cookie;
    for (const e of r.entries) {
      const bad = stream.check(e.name);
      if (bad) {
        vfsOf(vp.mount.kernel).direntsSkipped++;
        vp.mount.kernel.printf(`vfs: getdents: ${vp.mount.mntonname}: directory ${vp.key}: entry ${direntNameForLog(e.name)} (file ${e.fileno}) skipped: ${bad}`);
        cookie = e.cookie;
        continue;
      }
      const reclen = direntReclen(nameByteLength(e.name));
      if (used + reclen > count) {
        if (out.length === 0) throw errno('EINVAL', 'buffer too small for the next entry');
        stream.uncheck(e.name);
        stopped = true;
        break;
      }
      out.push({ fileno: e.fileno, type: e.type, name: e.name, reclen });
      used += reclen;
      cookie = e.cookie;
    }
    if (stopped || r.eof || r.entries.length === 0 || out.length > 0 || cookie === before) break;
  }
  fp.offset = cookie;
  return out;
}

export { vttodt };
