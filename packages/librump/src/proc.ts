/**
 * A process of the rump kernel (struct proc + its lwp): credentials, umask, descriptor table and the
 * rump_sys calls as synchronous methods. Descriptor calls are served here (kern_descrip.c,
 * sys_generic.c); path and vnode calls go through the kernel's sysent, filled by the vfs faction.
 */
import { errno, isRumpError } from './errno.js';
import { F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, O_CLOEXEC, O_CREAT, O_NONBLOCK, O_TRUNC, RUMP_RFCFDG, RUMP_RFFDG, SEEK_CUR, SEEK_END, SEEK_SET, FREAD, FWRITE } from './constants.js';
import { SYNC_DATA, SYNC_DIR, SYNC_META, type SyncKind } from './syncer.js';
import { FCNTLFLAGS, type RumpFile } from './file.js';
import { Filedesc } from './filedesc.js';
import { makePipe } from './pipe.js';
import type { Kernel } from './kernel.js';
import type { VfsSyscalls } from './sysent.js';
import type { Cred, Dirent, MountData, Stat, Statvfs, Timespec } from './types.js';

/** `e`, with the syscall name and path filled in if it is a RumpError (the raiser rarely knows them). */
function annotated(e: unknown, syscall: string, path: string | undefined): unknown {
  if (isRumpError(e)) e.annotate(syscall, path);
  return e;
}

/**
 * A process of a rump kernel (struct proc with its one lwp): the rump_sys calls as synchronous
 * methods that return a value or throw a RumpError annotated with the call and path. Get one with
 * `kernel.proc` (proc0), `kernel.newproc()` or `proc.rfork()`; `exit()` ends it.
 */
export class Proc {
  /** The process id (proc0 is 0). */
  readonly pid: number;
  /** The kernel this process runs in. */
  readonly kernel: Kernel;
  /** Credentials the VFS checks (change them with setcred). */
  cred: Cred;
  #umask: number;
  /** The descriptor table. */
  fd: Filedesc;
  /**
   * The vfs faction's per-process state (cwd and root vnodes: NetBSD's cwdinfo). librump does not
   * look inside; the vfs sets it in its fork hook and clears it in its exit hook.
   */
  cwdi: unknown = undefined;
  #exited = false;

  /** @internal use Kernel.newproc() or Proc.rfork(). */
  constructor(kernel: Kernel, pid: number, cred: Cred, umask: number, fd: Filedesc) {
    this.kernel = kernel;
    this.pid = pid;
    this.cred = cred;
    this.#umask = umask;
    this.fd = fd;
  }

  /** Has exit() run? (Every call then fails with ESRCH.) */
  get exited(): boolean {
    return this.#exited;
  }

  /** Enter the kernel: refuse calls on a halted kernel or an exited process. */
  #enter(syscall: string): VfsSyscalls {
    if (this.#exited) throw errno('ESRCH', `process ${this.pid} has exited`, { syscall });
    this.kernel.assertRunning(syscall);
    return this.kernel.sysent;
  }

  /** Run a call, annotating any RumpError with the syscall name and path (like Node's SystemError). */
  #run<T>(syscall: string, path: string | undefined, fn: (s: VfsSyscalls) => T): T {
    const s = this.#enter(syscall);
    try {
      return fn(s);
    } catch (e) {
      throw annotated(e, syscall, path);
    }
  }

  /** #run for a call that changes a file system: the syncer learns of the change (kind) first. */
  #change<T>(kind: SyncKind, syscall: string, path: string | undefined, fn: (s: VfsSyscalls) => T): T {
    const s = this.#enter(syscall);
    this.kernel.syncer.dirty(kind);
    try {
      return fn(s);
    } catch (e) {
      throw annotated(e, syscall, path);
    }
  }

  // --- processes and credentials ---

  /** getpid(2): this process's id. */
  getpid(): number {
    return this.pid;
  }

  /** getuid(2): the effective user id. */
  getuid(): number {
    return this.cred.uid;
  }

  /** getgid(2): the effective group id. */
  getgid(): number {
    return this.cred.gid;
  }

  /** Set all credentials at once (the rump_pub_lwproc + kauth way tests switch users). */
  setcred(cred: Partial<Cred>): void {
    this.#enter('setcred');
    if (this.cred.uid !== 0) throw errno('EPERM', 'only root may change credentials', { syscall: 'setcred' });
    this.cred = { uid: cred.uid ?? this.cred.uid, gid: cred.gid ?? this.cred.gid, groups: [...(cred.groups ?? this.cred.groups)] };
  }

  /** umask(2): set the mask, return the old one. */
  umask(mask: number): number {
    this.#enter('umask');
    const old = this.#umask;
    this.#umask = mask & 0o777;
    return old;
  }

  /** The current umask without changing it. */
  get cmask(): number {
    return this.#umask;
  }

  /**
   * rump_lwproc_rfork(3): a new process inheriting credentials, umask and cwd; RUMP_RFFDG copies
   * the descriptor table, RUMP_RFCFDG (the default) starts it empty.
   */
  rfork(flags: number = RUMP_RFCFDG): Proc {
    this.#enter('rfork');
    if ((flags & ~(RUMP_RFFDG | RUMP_RFCFDG)) !== 0 || flags === (RUMP_RFFDG | RUMP_RFCFDG)) {
      throw errno('EINVAL', `bad rfork flags ${flags}`, { syscall: 'rfork' });
    }
    return this.kernel.forkProc(this, (flags & RUMP_RFFDG) !== 0 ? this.fd.copy() : new Filedesc(this.fd.maxfiles));
  }

  /** exit(2): close every descriptor and release the cwd. Idempotent. */
  exit(): void {
    if (this.#exited) return;
    this.#exited = true;
    this.fd.closeAll();
    this.kernel.exitProc(this);
  }

  // --- descriptors (kern_descrip.c, sys_generic.c) ---

  /** Install a file in the lowest free descriptor; for use by the faction that made the file. */
  falloc(fp: RumpFile, oflags = 0): number {
    return this.fd.alloc(fp, (oflags & O_CLOEXEC) !== 0);
  }

  /** The file behind a descriptor (EBADF if none). */
  getfile(fd: number): RumpFile {
    return this.fd.get(fd);
  }

  /** close(2): free the descriptor; the file closes with its last descriptor. */
  close(fd: number): void {
    this.#enter('close');
    try {
      this.fd.close(fd);
    } catch (e) {
      throw annotated(e, 'close', undefined);
    }
  }

  /** read(2) at and advancing the file offset; 0 at the end of the file. */
  read(fd: number, buf: Uint8Array): number {
    // #run written out, as close is: a streamed file makes this call per chunk, and a closure made
    // per call and two more calls cost while the path is not yet optimised (most of a cold fsu cat).
    this.#enter('read');
    try {
      const fp = this.fd.get(fd);
      if (!fp.readable) throw errno('EBADF', `descriptor ${fd} not open for reading`);
      return fp.ops.read(fp, buf, undefined);
    } catch (e) {
      throw annotated(e, 'read', undefined);
    }
  }

  /** write(2) at and advancing the file offset (the end with O_APPEND). */
  write(fd: number, buf: Uint8Array): number {
    return this.#change(SYNC_DATA, 'write', undefined, () => {
      const fp = this.fd.get(fd);
      if (!fp.writable) throw errno('EBADF', `descriptor ${fd} not open for writing`);
      return fp.ops.write(fp, buf, undefined);
    });
  }

  /** pread(2): read at `offset`, the file offset unchanged. */
  pread(fd: number, buf: Uint8Array, offset: number): number {
    return this.#run('pread', undefined, () => {
      const fp = this.fd.get(fd);
      if (!fp.readable) throw errno('EBADF', `descriptor ${fd} not open for reading`);
      if (!fp.ops.seek) throw errno('ESPIPE', 'pread on a descriptor that cannot seek');
      if (!Number.isSafeInteger(offset) || offset < 0) throw errno('EINVAL', `bad offset ${offset}`);
      return fp.ops.read(fp, buf, offset);
    });
  }

  /** pwrite(2): write at `offset`, the file offset unchanged. */
  pwrite(fd: number, buf: Uint8Array, offset: number): number {
    return this.#change(SYNC_DATA, 'pwrite', undefined, () => {
      const fp = this.fd.get(fd);
      if (!fp.writable) throw errno('EBADF', `descriptor ${fd} not open for writing`);
      if (!fp.ops.seek) throw errno('ESPIPE', 'pwrite on a descriptor that cannot seek');
      if (!Number.isSafeInteger(offset) || offset < 0) throw errno('EINVAL', `bad offset ${offset}`);
      return fp.ops.write(fp, buf, offset);
    });
  }

  /** readv(2): fills the buffers in order; stops early at end of file. */
  readv(fd: number, iov: readonly Uint8Array[]): number {
    return this.#run('readv', undefined, () => {
      const fp = this.fd.get(fd);
      if (!fp.readable) throw errno('EBADF', `descriptor ${fd} not open for reading`);
      let total = 0;
      for (const b of iov) {
        const n = fp.ops.read(fp, b, undefined);
        total += n;
        if (n < b.length) break;
      }
      return total;
    });
  }

  /** writev(2): the buffers in order; stops early on a short write. */
  writev(fd: number, iov: readonly Uint8Array[]): number {
    return this.#change(SYNC_DATA, 'writev', undefined, () => {
      const fp = this.fd.get(fd);
      if (!fp.writable) throw errno('EBADF', `descriptor ${fd} not open for writing`);
      let total = 0;
      for (const b of iov) {
        const n = fp.ops.write(fp, b, undefined);
        total += n;
        if (n < b.length) break;
      }
      return total;
    });
  }

  /** lseek(2): set the file offset (SEEK_SET, SEEK_CUR, SEEK_END); returns it. */
  lseek(fd: number, offset: number, whence: number): number {
    return this.#run('lseek', undefined, () => {
      const fp = this.fd.get(fd);
      if (!fp.ops.seek) throw errno('ESPIPE', 'descriptor cannot seek');
      if (whence !== SEEK_SET && whence !== SEEK_CUR && whence !== SEEK_END) throw errno('EINVAL', `bad whence ${whence}`);
      if (!Number.isSafeInteger(offset)) throw errno('EINVAL', `bad offset ${offset}`);
      const n = fp.ops.seek(fp, offset, whence);
      if (n < 0) throw errno('EINVAL', 'resulting offset is negative');
      fp.offset = n;
      return n;
    });
  }

  /** fstat(2). */
  fstat(fd: number): Stat {
    return this.#run('fstat', undefined, () => {
      const fp = this.fd.get(fd);
      return fp.ops.stat(fp);
    });
  }

  /** ioctl(2): a device or file-system control call; ENOTTY where there is none. */
  ioctl(fd: number, cmd: number, arg?: unknown): unknown {
    return this.#run('ioctl', undefined, () => {
      const fp = this.fd.get(fd);
      if ((fp.flag & (FREAD | FWRITE)) === 0) throw errno('EBADF');
      if (!fp.ops.ioctl) throw errno('ENOTTY', 'descriptor has no ioctls');
      return fp.ops.ioctl(fp, cmd, arg);
    });
  }

  /**
   * pipe2(2): a pipe's read and write ends as [rfd, wfd]; flags O_CLOEXEC and O_NONBLOCK (the kernel
   * never sleeps: a pipe that would block says EAGAIN either way).
   */
  pipe2(flags = 0): [number, number] {
    return this.#run('pipe2', undefined, () => {
      if ((flags & ~(O_CLOEXEC | O_NONBLOCK)) !== 0) throw errno('EINVAL', `bad pipe2 flags 0x${flags.toString(16)}`);
      let seq = this.kernel.getSubsystem<{ n: number }>('pipe');
      if (!seq) this.kernel.setSubsystem('pipe', (seq = { n: 0 }));
      const [r, w] = makePipe(flags & O_NONBLOCK, ++seq.n);
      const rfd = this.falloc(r, flags);
      try {
        return [rfd, this.falloc(w, flags)];
      } catch (e) {
        this.fd.close(rfd);
        throw e;
      }
    });
  }

  /** Close every close-on-exec descriptor (execve(2)). */
  closeOnExec(): void {
    this.#enter('execve');
    for (const fd of this.fd.fds()) if (this.fd.getCloexec(fd)) this.fd.close(fd);
  }

  /** dup(2): the lowest free descriptor, sharing the file (and its offset). */
  dup(fd: number): number {
    return this.#run('dup', undefined, () => this.fd.dup(fd));
  }

  /** dup2(2): `newfd` (closed first if open) shares the file of `fd`. */
  dup2(fd: number, newfd: number): number {
    return this.#run('dup2', undefined, () => this.fd.dup2(fd, newfd));
  }

  /** fcntl(2): F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL. */
  fcntl(fd: number, cmd: number, arg = 0): number {
    return this.#run('fcntl', undefined, () => {
      const fp = this.fd.get(fd);
      switch (cmd) {
        case F_DUPFD:
          return this.fd.dup(fd, arg, false);
        case F_DUPFD_CLOEXEC:
          return this.fd.dup(fd, arg, true);
        case F_GETFD:
          return this.fd.getCloexec(fd) ? FD_CLOEXEC : 0;
        case F_SETFD:
          this.fd.setCloexec(fd, (arg & FD_CLOEXEC) !== 0);
          return 0;
        case F_GETFL:
          return fp.oflags;
        case F_SETFL: {
          const nflag = (fp.flag & ~FCNTLFLAGS) | (arg & FCNTLFLAGS);
          fp.ops.setfl?.(fp, nflag);
          fp.flag = nflag;
          return 0;
        }
        default:
          throw errno('EINVAL', `unsupported fcntl command ${cmd}`);
      }
    });
  }

  // --- the vfs faction's calls (sysent) ---

  // The hottest calls (open, close, stat, lstat, unlink) skip #run's closure.
  /** open(2): the lowest free descriptor for `path` (O_* flags; `mode` for O_CREAT, less the umask). */
  open(path: string, flags: number, mode = 0o666): number {
    const s = this.#enter('open');
    if ((flags & O_CREAT) !== 0) this.kernel.syncer.dirty(SYNC_DIR);
    if ((flags & O_TRUNC) !== 0) this.kernel.syncer.dirty(SYNC_DATA);
    try {
      return s.open(this, path, flags, mode);
    } catch (e) {
      throw annotated(e, 'open', path);
    }
  }
  /** stat(2), following a final symbolic link. */
  stat(path: string): Stat {
    const s = this.#enter('stat');
    try {
      return s.stat(this, path);
    } catch (e) {
      throw annotated(e, 'stat', path);
    }
  }
  /** lstat(2): a final symbolic link itself. */
  lstat(path: string): Stat {
    const s = this.#enter('lstat');
    try {
      return s.lstat(this, path);
    } catch (e) {
      throw annotated(e, 'lstat', path);
    }
  }
  /** access(2): EACCES unless allowed (R_OK, W_OK, X_OK; F_OK: exists). */
  access(path: string, mode: number): void {
    this.#run('access', path, (s) => s.access(this, path, mode));
  }
  /** mkdir(2); `mode` less the umask. */
  mkdir(path: string, mode = 0o777): void {
    this.#change(SYNC_DIR, 'mkdir', path, (s) => s.mkdir(this, path, mode));
  }
  /** rmdir(2): the directory must be empty. */
  rmdir(path: string): void {
    this.#change(SYNC_DIR, 'rmdir', path, (s) => s.rmdir(this, path));
  }
  /** unlink(2): remove a name; the file goes with its last link and descriptor. */
  unlink(path: string): void {
    const s = this.#enter('unlink');
    this.kernel.syncer.dirty(SYNC_DIR);
    try {
      s.unlink(this, path);
    } catch (e) {
      throw annotated(e, 'unlink', path);
    }
  }
  /** rename(2): atomic, replacing `to` if it exists. */
  rename(from: string, to: string): void {
    this.#change(SYNC_DIR, 'rename', from, (s) => s.rename(this, from, to));
  }
  /** link(2): a new hard link `path` to `existing`. */
  link(existing: string, path: string): void {
    this.#change(SYNC_DIR, 'link', existing, (s) => s.link(this, existing, path));
  }
  /** symlink(2): `path` becomes a symbolic link holding `target`. */
  symlink(target: string, path: string): void {
    this.#change(SYNC_DIR, 'symlink', path, (s) => s.symlink(this, target, path));
  }
  /** readlink(2): the target of a symbolic link. */
  readlink(path: string): string {
    return this.#run('readlink', path, (s) => s.readlink(this, path));
  }
  /** getdents(2): the next batch of entries (about `count` bytes of NetBSD dirents); [] at the end. */
  getdents(fd: number, count = 4096): Dirent[] {
    return this.#run('getdents', undefined, (s) => s.getdents(this, fd, count));
  }
  /** chmod(2). */
  chmod(path: string, mode: number): void {
    this.#change(SYNC_META, 'chmod', path, (s) => s.chmod(this, path, mode));
  }
  /** lchmod(2): a symbolic link itself. */
  lchmod(path: string, mode: number): void {
    this.#change(SYNC_META, 'lchmod', path, (s) => s.lchmod(this, path, mode));
  }
  /** fchmod(2). */
  fchmod(fd: number, mode: number): void {
    this.#change(SYNC_META, 'fchmod', undefined, (s) => s.fchmod(this, fd, mode));
  }
  /** chown(2); -1 leaves an id as it is. */
  chown(path: string, uid: number, gid: number): void {
    this.#change(SYNC_META, 'chown', path, (s) => s.chown(this, path, uid, gid));
  }
  /** lchown(2): a symbolic link itself. */
  lchown(path: string, uid: number, gid: number): void {
    this.#change(SYNC_META, 'lchown', path, (s) => s.lchown(this, path, uid, gid));
  }
  /** fchown(2). */
  fchown(fd: number, uid: number, gid: number): void {
    this.#change(SYNC_META, 'fchown', undefined, (s) => s.fchown(this, fd, uid, gid));
  }
  /** chflags(2): UF_* / SF_* flags. */
  chflags(path: string, flags: number): void {
    this.#change(SYNC_META, 'chflags', path, (s) => s.chflags(this, path, flags));
  }
  /** lchflags(2): a symbolic link itself. */
  lchflags(path: string, flags: number): void {
    this.#change(SYNC_META, 'lchflags', path, (s) => s.lchflags(this, path, flags));
  }
  /** fchflags(2). */
  fchflags(fd: number, flags: number): void {
    this.#change(SYNC_META, 'fchflags', undefined, (s) => s.fchflags(this, fd, flags));
  }
  /** utimes(2) with nanoseconds kept; null means "now" for that time. */
  utimes(path: string, atime: Timespec | null, mtime: Timespec | null): void {
    this.#change(SYNC_META, 'utimes', path, (s) => s.utimes(this, path, atime, mtime));
  }
  /** lutimes(2): a symbolic link itself; null means "now". */
  lutimes(path: string, atime: Timespec | null, mtime: Timespec | null): void {
    this.#change(SYNC_META, 'lutimes', path, (s) => s.lutimes(this, path, atime, mtime));
  }
  /** futimes(2); null means "now". */
  futimes(fd: number, atime: Timespec | null, mtime: Timespec | null): void {
    this.#change(SYNC_META, 'futimes', undefined, (s) => s.futimes(this, fd, atime, mtime));
  }
  /** truncate(2): set a file's length (zeros when it grows). */
  truncate(path: string, length: number): void {
    this.#change(SYNC_DATA, 'truncate', path, (s) => s.truncate(this, path, length));
  }
  /** ftruncate(2). */
  ftruncate(fd: number, length: number): void {
    this.#change(SYNC_DATA, 'ftruncate', undefined, (s) => s.ftruncate(this, fd, length));
  }
  /** fsync(2): the file's data and inode reach its device before this returns. */
  fsync(fd: number): void {
    this.#run('fsync', undefined, (s) => s.fsync(this, fd));
  }
  /** sync(2): every writable file system writes back; the syncer has nothing left to do. */
  sync(): void {
    this.#run('sync', undefined, (s) => s.sync(this));
    this.kernel.syncer.clean();
  }
  /** mknod(2): a device node (S_IFBLK / S_IFCHR and `dev`) or a fifo (root only for devices). */
  mknod(path: string, mode: number, dev = 0): void {
    this.#change(SYNC_DIR, 'mknod', path, (s) => s.mknod(this, path, mode, dev));
  }
  /** mkfifo(2). */
  mkfifo(path: string, mode = 0o666): void {
    this.#change(SYNC_DIR, 'mkfifo', path, (s) => s.mkfifo(this, path, mode));
  }
  /** chdir(2): this process's current directory. */
  chdir(path: string): void {
    this.#run('chdir', path, (s) => s.chdir(this, path));
  }
  /** fchdir(2). */
  fchdir(fd: number): void {
    this.#run('fchdir', undefined, (s) => s.fchdir(this, fd));
  }
  /** chroot(2): this process's root directory (root only). */
  chroot(path: string): void {
    this.#run('chroot', path, (s) => s.chroot(this, path));
  }
  /** getcwd(2): the current directory as a path from this process's root. */
  getcwd(): string {
    return this.#run('getcwd', undefined, (s) => s.getcwd(this));
  }
  /** statvfs(2): the file system holding `path`. */
  statvfs(path: string): Statvfs {
    return this.#run('statvfs', path, (s) => s.statvfs(this, path));
  }
  /** fstatvfs(2). */
  fstatvfs(fd: number): Statvfs {
    return this.#run('fstatvfs', undefined, (s) => s.fstatvfs(this, fd));
  }
  /** getvfsstat(2): every mounted file system. */
  getvfsstat(): Statvfs[] {
    return this.#run('getvfsstat', undefined, (s) => s.getvfsstat(this));
  }
  /** mount(2): mount a `type` file system on the directory `dir` (MNT_* flags; data as the file system wants, e.g. `{ fspec }` for ffs). */
  mount(type: string, dir: string, flags = 0, data?: MountData): void {
    this.#run('mount', dir, (s) => s.mount(this, type, dir, flags, data));
  }
  /** unmount(2): EBUSY while in use, unless MNT_FORCE. */
  unmount(dir: string, flags = 0): void {
    this.#run('unmount', dir, (s) => s.unmount(this, dir, flags));
  }
}
