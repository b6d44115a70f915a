/** The vfs faction's system call table (what fills kernel.sysent). */
import { errno, type Kernel, MNT_NOWAIT, type VfsSyscalls } from '@rumpts/librump';
import type { Vfs } from './vfs.js';
import { vn_open, fd_vnode, vn_stat } from './vfs_vnops.js';
import { sys_link, sys_mkdir, sys_mkfifo, sys_mknod, sys_readlink, sys_rename, sys_rmdir, sys_symlink, sys_unlink } from './vfs_syscalls_ns.js';
import { sys_access, sys_ftruncate, sys_getdents, sys_stat, vn_chflags, vn_chmod, vn_chown, vn_truncate, vn_utimes, withPath } from './vfs_syscalls_attr.js';
import { sys_getvfsstat, sys_mount, sys_statvfs, sys_sync, sys_unmount, vfs_statvfs } from './vfs_syscalls_mount.js';
import { sys_chdir, sys_chroot, sys_fchdir, sys_getcwd } from './vfs_cwd.js';

export function vfsSyscalls(vfs: Vfs, kernel: Kernel): VfsSyscalls {
  return {
    open: (p, path, flags, mode) => vn_open(vfs, p, path, flags, mode),
    stat: (p, path) => sys_stat(vfs, p, path, true),
    lstat: (p, path) => sys_stat(vfs, p, path, false),
    access: (p, path, mode) => sys_access(vfs, p, path, mode),
    mkdir: (p, path, mode) => sys_mkdir(vfs, p, path, mode),
    rmdir: (p, path) => sys_rmdir(vfs, p, path),
    unlink: (p, path) => sys_unlink(vfs, p, path),
    rename: (p, from, to) => sys_rename(vfs, p, from, to),
    link: (p, existing, path) => sys_link(vfs, p, existing, path),
    symlink: (p, target, path) => sys_symlink(vfs, p, target, path),
    readlink: (p, path) => sys_readlink(vfs, p, path),
    getdents: (p, fd, count) => sys_getdents(p, fd, count),
    chmod: (p, path, mode) => withPath(vfs, p, path, true, (vp) => vn_chmod(p, vp, mode)),
    lchmod: (p, path, mode) => withPath(vfs, p, path, false, (vp) => vn_chmod(p, vp, mode)),
    fchmod: (p, fd, mode) => vn_chmod(p, fd_vnode(p, fd), mode),
    chown: (p, path, uid, gid) => withPath(vfs, p, path, true, (vp) => vn_chown(p, vp, uid, gid)),
    lchown: (p, path, uid, gid) => withPath(vfs, p, path, false, (vp) => vn_chown(p, vp, uid, gid)),
    fchown: (p, fd, uid, gid) => vn_chown(p, fd_vnode(p, fd), uid, gid),
    chflags: (p, path, flags) => withPath(vfs, p, path, true, (vp) => vn_chflags(p, vp, flags)),
    lchflags: (p, path, flags) => withPath(vfs, p, path, false, (vp) => vn_chflags(p, vp, flags)),
    fchflags: (p, fd, flags) => vn_chflags(p, fd_vnode(p, fd), flags),
    utimes: (p, path, a, m) => withPath(vfs, p, path, true, (vp) => vn_utimes(p, vp, a, m)),
    lutimes: (p, path, a, m) => withPath(vfs, p, path, false, (vp) => vn_utimes(p, vp, a, m)),
    futimes: (p, fd, a, m) => vn_utimes(p, fd_vnode(p, fd), a, m),
    truncate: (p, path, len) => withPath(vfs, p, path, true, (vp) => vn_truncate(p, vp, len, false)),
    ftruncate: (p, fd, len) => sys_ftruncate(p, fd, len),
    fsync: (p, fd) => {
      const vp = fd_vnode(p, fd);
      vp.ops.fsync(vp);
      vp.mount.device?.bdev.flush();
    },
    sync: () => sys_sync(vfs, MNT_NOWAIT),
    mknod: (p, path, mode, dev) => sys_mknod(vfs, p, path, mode, dev),
    mkfifo: (p, path, mode) => sys_mkfifo(vfs, p, path, mode),
    chdir: (p, path) => sys_chdir(vfs, p, path),
    fchdir: (p, fd) => sys_fchdir(p, fd),
    chroot: (p, path) => sys_chroot(vfs, p, path),
    getcwd: (p) => sys_getcwd(vfs, p),
    statvfs: (p, path) => sys_statvfs(vfs, p, path),
    fstatvfs: (p, fd) => vfs_statvfs(fd_vnode(p, fd).mount),
    getvfsstat: () => sys_getvfsstat(vfs),
    mount: (p, type, dir, flags, data) => sys_mount(vfs, kernel, p, type, dir, flags, data),
    unmount: (p, dir, flags) => sys_unmount(vfs, p, dir, flags),
  };
}

export { errno, vn_stat };
