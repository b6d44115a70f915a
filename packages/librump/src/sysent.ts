/**
 * The per-kernel system call table (NetBSD's sysent). librump offers the descriptor calls itself;
 * the path and vnode calls are filled in by the vfs faction when it is linked. Until then each
 * entry fails with ENOSYS, as a rump kernel without rumpvfs does (sys_nomodule).
 */
import { errno } from './errno.js';
import type { Proc } from './proc.js';
import type { Dirent, Stat, Statvfs, Timespec, MountData } from './types.js';

/** The calls a vfs faction provides. Every entry receives the calling process first. */
export interface VfsSyscalls {
  /** open(2): a new descriptor for `path` (O_* flags; `mode` for O_CREAT, before the umask). */
  open(p: Proc, path: string, flags: number, mode: number): number;
  /** stat(2), following a final symbolic link. */
  stat(p: Proc, path: string): Stat;
  /** lstat(2): the link itself. */
  lstat(p: Proc, path: string): Stat;
  /** access(2): EACCES unless the real ids may (R_OK, W_OK, X_OK; F_OK: exists). */
  access(p: Proc, path: string, mode: number): void;
  /** mkdir(2). */
  mkdir(p: Proc, path: string, mode: number): void;
  /** rmdir(2): the directory must be empty. */
  rmdir(p: Proc, path: string): void;
  /** unlink(2): remove a name (not a directory). */
  unlink(p: Proc, path: string): void;
  /** rename(2): atomically, replacing `to` if it exists. */
  rename(p: Proc, from: string, to: string): void;
  /** link(2): a new hard link `path` to `existing`. */
  link(p: Proc, existing: string, path: string): void;
  /** symlink(2): `path` becomes a symbolic link holding `target`. */
  symlink(p: Proc, target: string, path: string): void;
  /** readlink(2): the target of a symbolic link. */
  readlink(p: Proc, path: string): string;
  /** getdents(2): about `count` bytes of entries from the descriptor's offset; [] at the end. */
  getdents(p: Proc, fd: number, count: number): Dirent[];
  /** chmod(2). */
  chmod(p: Proc, path: string, mode: number): void;
  /** lchmod(2): the link itself. */
  lchmod(p: Proc, path: string, mode: number): void;
  /** fchmod(2). */
  fchmod(p: Proc, fd: number, mode: number): void;
  /** chown(2); -1 leaves an id alone. */
  chown(p: Proc, path: string, uid: number, gid: number): void;
  /** lchown(2): the link itself. */
  lchown(p: Proc, path: string, uid: number, gid: number): void;
  /** fchown(2). */
  fchown(p: Proc, fd: number, uid: number, gid: number): void;
  /** chflags(2): UF_* / SF_* flags. */
  chflags(p: Proc, path: string, flags: number): void;
  /** lchflags(2): the link itself. */
  lchflags(p: Proc, path: string, flags: number): void;
  /** fchflags(2). */
  fchflags(p: Proc, fd: number, flags: number): void;
  /** utimes(2) with nanoseconds; null is "now". */
  utimes(p: Proc, path: string, atime: Timespec | null, mtime: Timespec | null): void;
  /** lutimes(2): the link itself. */
  lutimes(p: Proc, path: string, atime: Timespec | null, mtime: Timespec | null): void;
  /** futimes(2). */
  futimes(p: Proc, fd: number, atime: Timespec | null, mtime: Timespec | null): void;
  /** truncate(2): set the length of a file. */
  truncate(p: Proc, path: string, length: number): void;
  /** ftruncate(2). */
  ftruncate(p: Proc, fd: number, length: number): void;
  /** fsync(2): the file's data and inode reach its device. */
  fsync(p: Proc, fd: number): void;
  /** sync(2): every writable file system writes back. */
  sync(p: Proc): void;
  /** mknod(2): a device node (S_IFBLK / S_IFCHR with `dev`) or fifo. */
  mknod(p: Proc, path: string, mode: number, dev: number): void;
  /** mkfifo(2). */
  mkfifo(p: Proc, path: string, mode: number): void;
  /** chdir(2): the process's current directory. */
  chdir(p: Proc, path: string): void;
  /** fchdir(2). */
  fchdir(p: Proc, fd: number): void;
  /** chroot(2): the process's root directory. */
  chroot(p: Proc, path: string): void;
  /** getcwd(2): the current directory as a path. */
  getcwd(p: Proc): string;
  /** statvfs(2): the file system holding `path`. */
  statvfs(p: Proc, path: string): Statvfs;
  /** fstatvfs(2). */
  fstatvfs(p: Proc, fd: number): Statvfs;
  /** getvfsstat(2): every mounted file system. */
  getvfsstat(p: Proc): Statvfs[];
  /** mount(2): mount a `type` file system on `dir` (MNT_* flags, file-system specific data). */
  mount(p: Proc, type: string, dir: string, flags: number, data: MountData): void;
  /** unmount(2): MNT_FORCE unmounts even with files open. */
  unmount(p: Proc, dir: string, flags: number): void;
}

/** The name of one vfs system call. */
export type VfsSyscallName = keyof VfsSyscalls;

/** Every vfs system call, in the order of the table. */
export const VFS_SYSCALL_NAMES: readonly VfsSyscallName[] = [
  'open', 'stat', 'lstat', 'access', 'mkdir', 'rmdir', 'unlink', 'rename', 'link', 'symlink', 'readlink',
  'getdents', 'chmod', 'lchmod', 'fchmod', 'chown', 'lchown', 'fchown', 'chflags', 'lchflags', 'fchflags',
  'utimes', 'lutimes', 'futimes', 'truncate', 'ftruncate', 'fsync', 'sync', 'mknod', 'mkfifo', 'chdir',
  'fchdir', 'chroot', 'getcwd', 'statvfs', 'fstatvfs', 'getvfsstat', 'mount', 'unmount',
];

/** A fresh table whose every entry fails with ENOSYS. */
export function enosysTable(): VfsSyscalls {
  const t: Record<string, () => never> = {};
  for (const name of VFS_SYSCALL_NAMES) {
    t[name] = () => {
      throw errno('ENOSYS', `${name}: no vfs faction in this kernel (link rumpvfs)`, { syscall: name });
    };
  }
  return t as unknown as VfsSyscalls;
}
