/**
 * A mounted file system handle (struct ukfs): its own process, chrooted to the mount point, with its
 * own cwd — paths are resolved inside the file system and '..' cannot climb out of it. Every file
 * operation is one system call in that process, synchronous, throwing RumpError.
 */
import {
  type Dirent, errno, isRumpError, type Kernel, MNT_FORCE, O_CREAT, O_RDONLY, O_WRONLY, type Proc, type Stat, type Statvfs,
  type Timespec, type MountData,
} from '@rumpts/librump';
import { type Mount, vfsOf } from '@rumpts/rumpvfs';
import type { ImageLock } from '@rumpts/rumpdev-disk';
import type { UkfsPart } from './part.js';

export const UKFS_DEFAULTMP = '/ukfs';
export const UKFS_RELFLAG_NOUNMOUNT = 0x01;
export const UKFS_RELFLAG_FORCE = 0x02;

/** How a handle was made, kept for release. */
export interface UkfsMountInfo {
  vfsname: string;
  /** The device path the caller gave (with partition magic). */
  devpath: string;
  mountpath: string;
  flags: number;
  args: MountData;
  /** The etfs key the image was mapped under, or null (no host image). */
  etfsKey: string | null;
  part: UkfsPart | null;
}

export class Ukfs {
  #proc: Proc;
  /** The cwd inside the file system, kept as a path like ukfs does (ukfs_chdir). */
  #cwd = '/';
  #released = false;
  /** Opaque user data (ukfs_setspecific / ukfs_getspecific). */
  specific: unknown = undefined;

  /** The lock on the host image (shared when read-only), let go once the file system is unmounted. */
  readonly #lock: ImageLock | undefined;

  constructor(
    readonly kernel: Kernel,
    readonly info: UkfsMountInfo,
    lock?: ImageLock,
  ) {
    this.#lock = lock;
    this.#proc = this.#newProc();
  }

  #newProc(): Proc {
    const p = this.kernel.proc.rfork();
    p.chroot(this.info.mountpath);
    p.chdir(this.#cwd);
    return p;
  }

  /** The handle's process (its descriptors are the ones open/close/readFd/writeFd use). */
  get proc(): Proc {
    if (this.#released) throw errno('EBADF', 'ukfs handle was released');
    return this.#proc;
  }

  get mountpath(): string {
    return this.info.mountpath;
  }

  get released(): boolean {
    return this.#released;
  }

  /** ukfs_getmp: the kernel's mount structure of this file system. */
  getmp(): Mount {
    const vfs = vfsOf(this.kernel);
    const mp = vfs.mounts.find((m) => m.mntonname === this.info.mountpath);
    if (!mp) throw errno('ENOENT', `nothing mounted on ${this.info.mountpath}`);
    return mp;
  }

  statvfs(): Statvfs {
    return this.proc.statvfs('/');
  }

  // --- directories ---

  /** All entries of a directory (getdents until the end). */
  readdir(path: string): Dirent[] {
    const p = this.proc;
    const fd = p.open(path, O_RDONLY);
    try {
      const out: Dirent[] = [];
      for (let d = p.getdents(fd, 65536); d.length > 0; d = p.getdents(fd, 65536)) out.push(...d);
      return out;
    } finally {
      p.close(fd);
    }
  }

  /** ukfs_getdents: entries from cookie `offset`, about `count` bytes' worth; the next offset back. */
  getdents(path: string, offset: number, count = 4096): { dirents: Dirent[]; offset: number } {
    const p = this.proc;
    const fd = p.open(path, O_RDONLY);
    try {
      p.getfile(fd).offset = offset;
      const dirents = p.getdents(fd, count);
      return { dirents, offset: p.getfile(fd).offset };
    } finally {
      p.close(fd);
    }
  }

  // --- file I/O ---

  /** ukfs_read: open, pread, close. */
  read(path: string, offset: number, buf: Uint8Array): number {
    const p = this.proc;
    const fd = p.open(path, O_RDONLY);
    try {
      return p.pread(fd, buf, offset);
    } finally {
      p.close(fd);
    }
  }

  /** ukfs_write: the file must exist; fsync if anything was written. */
  write(path: string, offset: number, buf: Uint8Array): number {
    const p = this.proc;
    const fd = p.open(path, O_WRONLY);
    try {
      const n = p.pwrite(fd, buf, offset);
      if (n > 0) p.fsync(fd);
      return n;
    } finally {
      p.close(fd);
    }
  }

  /** ukfs_create: O_WRONLY|O_CREAT without O_EXCL or O_TRUNC (an existing file is kept as it is). */
  create(path: string, mode: number): void {
    const p = this.proc;
    p.close(p.open(path, O_WRONLY | O_CREAT, mode));
  }

  open(path: string, flags: number, mode = 0): number {
    return this.proc.open(path, flags, mode);
  }
  close(fd: number): void {
    this.proc.close(fd);
  }
  readFd(fd: number, offset: number, buf: Uint8Array): number {
    return this.proc.pread(fd, buf, offset);
  }
  writeFd(fd: number, offset: number, buf: Uint8Array, dosync = false): number {
    const n = this.proc.pwrite(fd, buf, offset);
    if (dosync && n > 0) this.proc.fsync(fd);
    return n;
  }

  // --- namespace ---

  mkdir(path: string, mode: number): void {
    this.proc.mkdir(path, mode);
  }
  mknod(path: string, mode: number, dev: number): void {
    this.proc.mknod(path, mode, dev);
  }
  mkfifo(path: string, mode: number): void {
    this.proc.mkfifo(path, mode);
  }
  remove(path: string): void {
    this.proc.unlink(path);
  }
  rmdir(path: string): void {
    this.proc.rmdir(path);
  }
  link(existing: string, path: string): void {
    this.proc.link(existing, path);
  }
  symlink(target: string, path: string): void {
    this.proc.symlink(target, path);
  }
  readlink(path: string): string {
    return this.proc.readlink(path);
  }
  rename(from: string, to: string): void {
    this.proc.rename(from, to);
  }

  /** ukfs_chdir: change this handle's cwd (other handles are not affected). */
  chdir(path: string): void {
    const p = this.proc;
    p.chdir(path);
    this.#cwd = p.getcwd();
  }
  getcwd(): string {
    return this.proc.getcwd();
  }

  /** ukfs_util_builddirs: mkdir -p, existing components are fine. */
  builddirs(path: string, mode: number): void {
    const parts = path.split('/').filter((c) => c !== '');
    let cur = path.startsWith('/') ? '' : '.';
    for (const c of parts) {
      cur = `${cur}/${c}`;
      try {
        this.proc.mkdir(cur, mode);
      } catch (e) {
        if (!(isRumpError(e) && e.code === 'EEXIST')) throw e;
      }
    }
  }

  // --- attributes ---

  stat(path: string): Stat {
    return this.proc.stat(path);
  }
  lstat(path: string): Stat {
    return this.proc.lstat(path);
  }
  chmod(path: string, mode: number): void {
    this.proc.chmod(path, mode);
  }
  lchmod(path: string, mode: number): void {
    this.proc.lchmod(path, mode);
  }
  chown(path: string, uid: number, gid: number): void {
    this.proc.chown(path, uid, gid);
  }
  lchown(path: string, uid: number, gid: number): void {
    this.proc.lchown(path, uid, gid);
  }
  chflags(path: string, flags: number): void {
    this.proc.chflags(path, flags);
  }
  lchflags(path: string, flags: number): void {
    this.proc.lchflags(path, flags);
  }
  utimes(path: string, atime: Timespec | null, mtime: Timespec | null): void {
    this.proc.utimes(path, atime, mtime);
  }
  lutimes(path: string, atime: Timespec | null, mtime: Timespec | null): void {
    this.proc.lutimes(path, atime, mtime);
  }

  /**
   * ukfs_release: unmount (unless UKFS_RELFLAG_NOUNMOUNT; forced with UKFS_RELFLAG_FORCE) and let go of
   * the image. If the unmount fails (EBUSY) the error is thrown and the handle stays valid.
   */
  release(flags = 0): void {
    if (this.#released) return;
    const unmount = (flags & UKFS_RELFLAG_NOUNMOUNT) === 0;
    if (unmount && (flags & UKFS_RELFLAG_FORCE) === 0 && this.#proc.fd.fds().length > 0) {
      throw errno('EBUSY', `files are still open on ${this.info.mountpath} through this handle`, { syscall: 'ukfs_release' });
    }
    // The handle's own process holds the mount busy (its root and cwd); it goes first.
    this.#proc.exit();
    if (unmount) {
      try {
        this.kernel.proc.unmount(this.info.mountpath, (flags & UKFS_RELFLAG_FORCE) !== 0 ? MNT_FORCE : 0);
      } catch (e) {
        this.#proc = this.#newProc();
        throw e;
      }
      if (this.info.etfsKey) this.kernel.etfsRemove(this.info.etfsKey);
      this.#lock?.release();
    }
    this.#released = true;
  }
}
