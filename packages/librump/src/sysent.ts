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
  open(p: Proc, path: string, flags: number, mode: number): number;
  stat(p: Proc, path: string): Stat;
  lstat(p: Proc, path: string): Stat;
  access(p: Proc, path: string, mode: number): void;
  mkdir(p: Proc, path: string, mode: number): void;
  rmdir(p: Proc, path: string): void;
  unlink(p: Proc, path: string): void;
  rename(p: Proc, from: string, to: string): void;
  link(p: Proc, existing: string, path: string): void;
  symlink(p: Proc, target: string, path: string): void;
  readlink(p: Proc, path: string): string;
  getdents(p: Proc, fd: number, count: number): Dirent[];
  chmod(p: Proc, path: string, mode: number): void;
  lchmod(p: Proc, path: string, mode: number): void;
  fchmod(p: Proc, fd: number, mode: number): void;
  chown(p: Proc, path: string, uid: number, gid: number): void;
  lchown(p: Proc, path: string, uid: number, gid: number): void;
  fchown(p: Proc, fd: number, uid: number, gid: number): void;
  chflags(p: Proc, path: string, flags: number): void;
  lchflags(p: Proc, path: string, flags: number): void;
  fchflags(p: Proc, fd: number, flags: number): void;
  utimes(p: Proc, path: string, atime: Timespec | null, mtime: Timespec | null): void;
  lutimes(p: Proc, path: string, atime: Timespec | null, mtime: Timespec | null): void;
  futimes(p: Proc, fd: number, atime: Timespec | null, mtime: Timespec | null): void;
  truncate(p: Proc, path: string, length: number): void;
  ftruncate(p: Proc, fd: number, length: number): void;
  fsync(p: Proc, fd: number): void;
  sync(p: Proc): void;
  mknod(p: Proc, path: string, mode: number, dev: number): void;
  mkfifo(p: Proc, path: string, mode: number): void;
  chdir(p: Proc, path: string): void;
  fchdir(p: Proc, fd: number): void;
  chroot(p: Proc, path: string): void;
  getcwd(p: Proc): string;
  statvfs(p: Proc, path: string): Statvfs;
  fstatvfs(p: Proc, fd: number): Statvfs;
  getvfsstat(p: Proc): Statvfs[];
  mount(p: Proc, type: string, dir: string, flags: number, data: MountData): void;
  unmount(p: Proc, dir: string, flags: number): void;
}

export type VfsSyscallName = keyof VfsSyscalls;

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
