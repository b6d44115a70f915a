/**
 * What fsu commands work on: the system calls of one process, synchronous (a local ukfs handle's
 * chrooted process) or asynchronous (a remote rump server's client) — the commands await every call,
 * so both fit.
 */
import type { Dirent, Stat, Statvfs, Timespec } from '@rumpts/librump';

type A<T> = T | Promise<T>;

export interface FsuTarget {
  open(path: string, flags: number, mode?: number): A<number>;
  close(fd: number): A<void>;
  read(fd: number, buf: Uint8Array): A<number>;
  write(fd: number, buf: Uint8Array): A<number>;
  lseek(fd: number, offset: number, whence: number): A<number>;
  getdents(fd: number, count?: number): A<Dirent[]>;
  stat(path: string): A<Stat>;
  lstat(path: string): A<Stat>;
  readlink(path: string): A<string>;
  mkdir(path: string, mode?: number): A<void>;
  rmdir(path: string): A<void>;
  unlink(path: string): A<void>;
  rename(from: string, to: string): A<void>;
  link(existing: string, path: string): A<void>;
  symlink(target: string, path: string): A<void>;
  mknod(path: string, mode: number, dev?: number): A<void>;
  chmod(path: string, mode: number): A<void>;
  chown(path: string, uid: number, gid: number): A<void>;
  utimes(path: string, atime: Timespec | null, mtime: Timespec | null): A<void>;
  statvfs(path: string): A<Statvfs>;
}
