/**
 * Mount-level system calls (vfs_mount.c, vfs_syscalls.c): mount, unmount (with vflush and
 * MNT_FORCE), statvfs, getvfsstat, sync — and the shutdown path halt uses.
 */
import {
  errno, FREAD, FWRITE, type Kernel, MNT_ASYNC, MNT_FORCE, MNT_LOCAL, MNT_LOG, MNT_NOATIME, MNT_NODEV, MNT_NOEXEC,
  MNT_NOSUID, MNT_RDONLY, MNT_SYNCHRONOUS, MNT_UPDATE, MNT_WAIT, MNT_NOWAIT, type MountData, type Proc, type Statvfs,
  MNT_RELATIME, MNT_NOCOREDUMP, MNT_UNION, MNT_SYMPERM, MNT_NODEVMTIME, MNT_EXTATTR, MNT_DISCARD, MNT_IGNORE, isRumpError,
} from '@rumpts/librump';
import { type BlockDevice, minor } from './devsw.js';
import { Mount, vrele } from './mount.js';
import { LOOKUP, namei, nameiDone } from './vfs_lookup.js';
import type { Vfs } from './vfs.js';
import type { MountContext } from './vfsops.js';
import type { Vnode } from './vnode.js';
import { VBLK, VDIR } from './vattr.js';
import { cwdinfo } from './cwd.js';
import { spec_nodev } from './specfs.js';
import { sys_getcwd } from './vfs_cwd.js';

/** Flags a caller may set on a mount (MNT_VISFLAGMASK less the ones the kernel owns). */
const USER_FLAGS =
  MNT_RDONLY | MNT_SYNCHRONOUS | MNT_NOEXEC | MNT_NOSUID | MNT_NODEV | MNT_UNION | MNT_ASYNC | MNT_NOCOREDUMP | MNT_RELATIME |
  MNT_IGNORE | MNT_DISCARD | MNT_EXTATTR | MNT_LOG | MNT_NOATIME | MNT_SYMPERM | MNT_NODEVMTIME;

function requireRoot(p: Proc, what: string): void {
  if (p.cred.uid !== 0) throw errno('EPERM', `${what} needs privilege`);
}

/** A lexically clean absolute path for mntonname. */
export function cleanPath(p: Proc, vfs: Vfs, path: string): string {
  const abs = path.startsWith('/') ? path : `${sys_getcwd(vfs, p)}/${path}`;
  const out: string[] = [];
  for (const c of abs.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return `/${out.join('/')}`;
}

export function sys_mount(vfs: Vfs, kernel: Kernel, p: Proc, type: string, dir: string, flags: number, data: MountData): void {
  requireRoot(p, 'mount');
  if (typeof type !== 'string') throw errno('EINVAL', 'file system type must be a string');
  if ((flags & MNT_UPDATE) !== 0) {
    updateMount(vfs, kernel, p, dir, flags, data);
    return;
  }
  const t = vfs.types.get(type);
  if (!t) throw errno('ENODEV', `file system type '${type}' is not available (load its module first)`);
  const nd = namei(vfs, p, dir, { op: LOOKUP, follow: true });
  const vp = nd.vp as Vnode;
  try {
    if (vp.type !== VDIR) throw errno('ENOTDIR', 'mount point is not a directory');
    if (vp.mountedhere || vp.isRoot) throw errno('EBUSY', 'something is already mounted here');
  } catch (e) {
    nameiDone(nd);
    throw e;
  }
  // MNT_FORCE is visible to the fs's mount op (ffs: mount an unclean or unknown-flags image), then cleared.
  const mp = new Mount(kernel, t.ops, flags & (USER_FLAGS | MNT_FORCE), vp, cleanPath(p, vfs, dir), vfs.allocFsid());
  try {
    t.ops.mount(mp, data, mountContext(vfs, kernel, p, mp));
    mp.flag &= ~MNT_FORCE;
    try {
      vrele(mp.root());
    } catch (e) {
      // The fs mounted but its root cannot be loaded: undo the mount before reporting.
      abandonMount(mp);
      throw e;
    }
  } catch (e) {
    closeDevice(vfs, mp);
    vrele(vp);
    throw e;
  }
  vp.mountedhere = mp;
  vfs.mounts.push(mp);
  t.refcount++;
}

/** A mount that never became visible: its vnodes are reclaimed and the fs lets go (errors logged). */
function abandonMount(mp: Mount): void {
  mp.unmounting = true;
  for (const v of mp.vnodes()) mp.reclaim(v);
  try {
    mp.ops.unmount(mp, MNT_FORCE);
  } catch (e) {
    if (!isRumpError(e)) throw e;
    mp.kernel.printf(`vfs: mount of ${mp.mntfromname} on ${mp.mntonname} abandoned: ${e.message}`);
  }
}

function updateMount(vfs: Vfs, kernel: Kernel, p: Proc, dir: string, flags: number, data: MountData): void {
  const nd = namei(vfs, p, dir, { op: LOOKUP, follow: true });
  const vp = nd.vp as Vnode;
  try {
    if (!vp.isRoot) throw errno('EINVAL', 'not a mount point');
    const mp = vp.mount;
    const old = mp.flag;
    if ((old & MNT_RDONLY) === 0 && (flags & MNT_RDONLY) !== 0 && (flags & MNT_FORCE) === 0) {
      // rw → ro: refused while files are open for writing or unlinked files are still open (t_rwtoro).
      const busy = mp.vnodes().some((v) => v.writecount > 0 || (v.usecount > 0 && !v.dead && safeNlink(v) === 0));
      if (busy) throw errno('EBUSY', 'files are open for writing (or unlinked but open) on this file system');
    }
    mp.flag = (old & ~USER_FLAGS) | (flags & (USER_FLAGS | MNT_FORCE)) | MNT_UPDATE;
    try {
      mp.ops.mount(mp, data, mountContext(vfs, kernel, p, mp));
    } catch (e) {
      mp.flag = old;
      throw e;
    }
    mp.flag &= ~(MNT_UPDATE | MNT_FORCE);
  } finally {
    nameiDone(nd);
  }
}

function safeNlink(v: Vnode): number {
  try {
    return v.ops.getattr(v).nlink;
  } catch {
    return 1;
  }
}

function mountContext(vfs: Vfs, kernel: Kernel, p: Proc, mp: Mount): MountContext {
  return {
    kernel,
    proc: p,
    openBlockDevice(path: string): BlockDevice {
      if (mp.device) return mp.device.bdev;
      const nd = namei(vfs, p, path, { op: LOOKUP, follow: true });
      try {
        const dvp = nd.vp as Vnode;
        if (dvp.type !== VBLK) throw errno('ENOTBLK', `${path} is not a block device`);
        // NetBSD opens the device with VOP_OPEN, i.e. spec_open and its MNT_NODEV check.
        spec_nodev(dvp);
        const rdev = dvp.ops.getattr(dvp).rdev;
        if (vfs.mounts.some((m) => m.device?.dev === rdev)) throw errno('EBUSY', `${path} is already mounted`);
        const mode = FREAD | ((mp.flag & MNT_RDONLY) !== 0 ? 0 : FWRITE);
        const sw = vfs.devsw.bdev(rdev);
        const bdev = sw.open(minor(rdev), mode);
        if ((mode & FWRITE) !== 0 && bdev.readonly) {
          sw.close?.(minor(rdev), mode);
          throw errno('EROFS', `${path} is read-only; mount it with MNT_RDONLY`);
        }
        mp.device = { dev: rdev, bdev };
        mp.mntfromname = path;
        return bdev;
      } finally {
        nameiDone(nd);
      }
    },
  };
}

function closeDevice(vfs: Vfs, mp: Mount): void {
  const d = mp.device;
  if (!d) return;
  mp.device = null;
  try {
    if ((mp.flag & MNT_RDONLY) === 0) d.bdev.flush();
  } finally {
    vfs.devsw.bdev(d.dev).close?.(minor(d.dev), FREAD | ((mp.flag & MNT_RDONLY) !== 0 ? 0 : FWRITE));
  }
}

export function sys_unmount(vfs: Vfs, p: Proc, dir: string, flags: number): void {
  requireRoot(p, 'unmount');
  const nd = namei(vfs, p, dir, { op: LOOKUP, follow: true });
  const vp = nd.vp as Vnode;
  let mp: Mount;
  try {
    if (!vp.isRoot) throw errno('EINVAL', `${dir} is not a mount point`);
    mp = vp.mount;
    if (!mp.vnodecovered) throw errno('EBUSY', 'cannot unmount the root file system');
  } finally {
    nameiDone(nd);
  }
  dounmount(vfs, mp, flags);
}

/** dounmount: EBUSY if mounts sit on top or vnodes are in use (unless MNT_FORCE). */
export function dounmount(vfs: Vfs, mp: Mount, flags: number): void {
  const force = (flags & MNT_FORCE) !== 0;
  if (vfs.mounts.some((m) => m !== mp && m.vnodecovered?.mount === mp)) throw errno('EBUSY', 'another file system is mounted below this one');
  const busy = mp.vnodes().filter((vp) => vp.usecount > (vp.isRoot ? 1 : 0));
  if (busy.length > 0 && !force) throw errno('EBUSY', `${busy.length} vnode(s) in use (open files or working directories)`);
  if ((mp.flag & MNT_RDONLY) === 0) {
    try {
      mp.ops.sync(mp, MNT_WAIT);
    } catch (e) {
      if (!force) throw e;
    }
  }
  // Past this point the mount goes whatever happens: its vnodes are reclaimed, so a failure of the
  // fs's own unmount (writing back) is reported after the mount is detached, never left half done.
  mp.unmounting = true;
  mp.releaseRoot();
  for (const vp of mp.vnodes()) mp.reclaim(vp);
  try {
    mp.ops.unmount(mp, flags);
  } catch (e) {
    if (!force) throw e;
  } finally {
    try {
      closeDevice(vfs, mp);
    } finally {
      vfs_unlink_mount(vfs, mp);
    }
  }
}

/**
 * VFS_STATVFS plus what the VFS knows: the fs's sizes and counts with the mount's flags, fsid,
 * type and names filled in (statvfs(2), getvfsstat(2)).
 */
export function vfs_statvfs(mp: Mount): Statvfs {
  const s = mp.ops.statvfs(mp);
  return {
    flag: mp.flag | MNT_LOCAL,
    ...s,
    fsid: mp.fsid,
    owner: 0,
    fstypename: mp.fstypename,
    mntonname: mp.mntonname,
    mntfromname: mp.mntfromname,
  };
}

export function sys_statvfs(vfs: Vfs, p: Proc, path: string): Statvfs {
  const nd = namei(vfs, p, path, { op: LOOKUP, follow: true });
  try {
    return vfs_statvfs((nd.vp as Vnode).mount);
  } finally {
    nameiDone(nd);
  }
}

export function sys_getvfsstat(vfs: Vfs): Statvfs[] {
  return vfs.mounts.map(vfs_statvfs);
}

/** sync(2): every writable file system writes back (errors are reported, after all were tried). */
export function sys_sync(vfs: Vfs, waitfor = MNT_NOWAIT): void {
  let first: Error | undefined;
  for (const mp of vfs.mounts) {
    if ((mp.flag & MNT_RDONLY) !== 0) continue;
    try {
      mp.ops.sync(mp, waitfor);
      mp.device?.bdev.flush();
    } catch (e) {
      first ??= e instanceof Error ? e : new Error(String(e));
    }
  }
  if (first !== undefined) throw first;
}

/**
 * Halt: sync, then unmount everything newest first, the root last. Without `sync` (RB_NOSYNC)
 * nothing is written back, as NetBSD's cpu_reboot skips rump_vfs_fini: see vfs_detach_nosync.
 */
export function vfs_shutdown(vfs: Vfs, sync: boolean, log: (m: string) => void): void {
  if (sync) {
    try {
      sys_sync(vfs, MNT_WAIT);
    } catch (e) {
      log(`vfs_shutdown: sync: ${isRumpError(e) ? e.message : String(e)}`);
    }
  } else {
    // Every vnode of a mounted file system dies first, so detaching one mount never wakes another
    // file system's inactive through the vnode it covers.
    for (const mp of vfs.mounts) if (mp.vnodecovered) vfs_kill_vnodes(mp);
  }
  for (const mp of [...vfs.mounts].reverse()) {
    if (!mp.vnodecovered) continue;
    try {
      if (sync) dounmount(vfs, mp, MNT_FORCE);
      else vfs_detach_nosync(vfs, mp);
    } catch (e) {
      log(`vfs_shutdown: unmount ${mp.mntonname}: ${isRumpError(e) ? e.message : String(e)}`);
    }
  }
  const root = vfs.mounts[0];
  if (root) {
    root.unmounting = true;
    root.releaseRoot();
    if (vfs.rootvnode && !vfs.rootvnode.dead) vfs.rootvnode = null;
    for (const vp of root.vnodes()) root.reclaim(vp);
    try {
      root.ops.unmount(root, MNT_FORCE);
    } catch (e) {
      log(`vfs_shutdown: root: ${isRumpError(e) ? e.message : String(e)}`);
    }
    vfs.mounts.length = 0;
  }
}

/**
 * Every vnode of `mp` becomes a deadfs vnode without its file system hearing of it (no inactive,
 * reclaim or write-back): a process's last close or vrele at halt then touches nothing on the medium.
 */
function vfs_kill_vnodes(mp: Mount): void {
  mp.unmounting = true;
  for (const vp of mp.vnodes()) vp.dead = true;
}

/**
 * RB_NOSYNC's end of a mount (its vnodes already dead): detached and its device closed without the
 * file system's sync or unmount and without a flush, so the medium stays as the last write left it —
 * unclean if it was mounted read-write, as after a crash or a power cut.
 */
function vfs_detach_nosync(vfs: Vfs, mp: Mount): void {
  const d = mp.device;
  mp.device = null;
  try {
    if (d) vfs.devsw.bdev(d.dev).close?.(minor(d.dev), FREAD | ((mp.flag & MNT_RDONLY) !== 0 ? 0 : FWRITE));
  } finally {
    vfs_unlink_mount(vfs, mp);
  }
}

/** The last step of every unmount: uncover the mount point, leave the mount list, drop the type's count. */
function vfs_unlink_mount(vfs: Vfs, mp: Mount): void {
  const covered = mp.vnodecovered;
  if (covered) {
    covered.mountedhere = null;
    vrele(covered);
  }
  const i = vfs.mounts.indexOf(mp);
  if (i >= 0) vfs.mounts.splice(i, 1);
  const t = vfs.types.get(mp.fstypename);
  if (t) t.refcount--;
}

export { cwdinfo };
