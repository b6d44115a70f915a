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

/** UKFS_DEFAULTMP: the default mount point inside the rump kernel, "/ukfs". */
export const UKFS_DEFAULTMP = '/ukfs';
/** UKFS_RELFLAG_NOUNMOUNT: ukfs_release lets go of the handle but leaves the file system mounted. */
export const UKFS_RELFLAG_NOUNMOUNT = 0x01;
/** UKFS_RELFLAG_FORCE: ukfs_release unmounts with MNT_FORCE, even with files open. */
export const UKFS_RELFLAG_FORCE = 0x02;

/** How a handle was made, kept for release. */
export interface UkfsMountInfo {
  /** The file-system type mounted ("ffs", "msdos", ...). */
  vfsname: string;
  /** The device path the caller gave (with partition magic). */
  devpath: string;
  /** The mount point inside the kernel. */
  mountpath: string;
  /** The MNT_* flags the file system was mounted with (nodev,nosuid included). */
  flags: number;
  /** The file-system arguments mount got (when an image was mapped, fspec is its etfs key). */
  args: MountData;
  /** The etfs key the image was mapped under, or null (no host image). */
  etfsKey: string | null;
  /** The part of the host image used (ukfs_part), or null when no host image was mapped (plain ukfs_mount). */
  part: UkfsPart | null;
}

/**
 * A mounted file system handle (struct ukfs), made by UkfsLib.mount / mountDisk. Paths are resolved inside the
 * file system, relative to the handle's own cwd; every call is one system call in the handle's process and
 * throws RumpError. Give it back with release.
 */
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
    /** The rump kernel the file system is mounted in. */
    readonly kernel: Kernel,
    /** How the handle was made. */
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

  /** The mount point inside the kernel (the handle's root). */
  get mountpath(): string {
    return this.info.mountpath;
  }

  /** release has completed: every further call fails with EBADF. */
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

  /** statvfs(2) of the mounted file system. */
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
  getdents(path: string, offset: number, count = 4096): {
    /** The entries read (none at the end of the directory). */
    dirents: Dirent[];
    /** The cookie to pass as `offset` for the next call. */
    offset: number;
  } {
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

  /**
   * open(2) in the handle's process: the descriptor stays valid until close or release (in C it belonged to a
   * short-lived process).
   */
  open(path: string, flags: number, mode = 0): number {
    return this.proc.open(path, flags, mode);
  }
  /** ukfs_close: close a descriptor from open. */
  close(fd: number): void {
    this.proc.close(fd);
  }
  /** ukfs_read_fd: pread(2) on a descriptor from open; the bytes read. */
  readFd(fd: number, offset: number, buf: Uint8Array): number {
    return this.proc.pread(fd, buf, offset);
  }
  /**
   * ukfs_write_fd: pwrite(2) on a descriptor from open, with fsync(2) after if `dosync` and anything was
   * written; the bytes written.
   */
  writeFd(fd: number, offset: number, buf: Uint8Array, dosync = false): number {
    const n = this.proc.pwrite(fd, buf, offset);
    if (dosync && n > 0) this.proc.fsync(fd);
    return n;
  }

  // --- namespace ---

  /** ukfs_mkdir: mkdir(2). */
  mkdir(path: string, mode: number): void {
    this.proc.mkdir(path, mode);
  }
  /** ukfs_mknod: mknod(2) of a device node (mode carries the type, `dev` the device number). */
  mknod(path: string, mode: number, dev: number): void {
    this.proc.mknod(path, mode, dev);
  }
  /** ukfs_mkfifo: mkfifo(2). */
  mkfifo(path: string, mode: number): void {
    this.proc.mkfifo(path, mode);
  }
  /** ukfs_remove: unlink(2). */
  remove(path: string): void {
    this.proc.unlink(path);
  }
  /** ukfs_rmdir: rmdir(2). */
  rmdir(path: string): void {
    this.proc.rmdir(path);
  }
  /** ukfs_link: link(2): a new name `path` for `existing`. */
  link(existing: string, path: string): void {
    this.proc.link(existing, path);
  }
  /** ukfs_symlink: symlink(2): `path` becomes a symbolic link to `target`. */
  symlink(target: string, path: string): void {
    this.proc.symlink(target, path);
  }
  /** ukfs_readlink: readlink(2), decoded as UTF-8. */
  readlink(path: string): string {
    return this.proc.readlink(path);
  }
  /** ukfs_rename: rename(2). */
  rename(from: string, to: string): void {
    this.proc.rename(from, to);
  }

  /** ukfs_chdir: change this handle's cwd (other handles are not affected). */
  chdir(path: string): void {
    const p = this.proc;
    p.chdir(path);
    this.#cwd = p.getcwd();
  }
  /** The handle's cwd, as a path inside the file system. */
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

  /** ukfs_stat: stat(2), following a final symlink. */
  stat(path: string): Stat {
    return this.proc.stat(path);
  }
  /** ukfs_lstat: lstat(2), of the symlink itself. */
  lstat(path: string): Stat {
    return this.proc.lstat(path);
  }
  /** ukfs_chmod: chmod(2). */
  chmod(path: string, mode: number): void {
    this.proc.chmod(path, mode);
  }
  /** ukfs_lchmod: lchmod(2), not following a final symlink. */
  lchmod(path: string, mode: number): void {
    this.proc.lchmod(path, mode);
  }
  /** ukfs_chown: chown(2). */
  chown(path: string, uid: number, gid: number): void {
    this.proc.chown(path, uid, gid);
  }
  /** ukfs_lchown: lchown(2), not following a final symlink. */
  lchown(path: string, uid: number, gid: number): void {
    this.proc.lchown(path, uid, gid);
  }
  /** ukfs_chflags: chflags(2) (UF_* / SF_* file flags). */
  chflags(path: string, flags: number): void {
    this.proc.chflags(path, flags);
  }
  /** ukfs_lchflags: lchflags(2), not following a final symlink. */
  lchflags(path: string, flags: number): void {
    this.proc.lchflags(path, flags);
  }
  /** ukfs_utimes: set the access and modification times; null means now. */
  utimes(path: string, atime: Timespec | null, mtime: Timespec | null): void {
    this.proc.utimes(path, atime, mtime);
  }
  /** ukfs_lutimes: as utimes, not following a final symlink. */
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
