/**
 * connect(): the one entry point for both protocols. Ours is the default; `protocol: 'sysproxy'`
 * talks NetBSD's own protocol (rump_sp(7)) — to NetBSD's rump_server written in C, or to ours.
 */
import type { Dirent, Stat, Statvfs, Timespec } from '@rumpts/librump';
import { RumpClient, type RumpClientOptions } from './rumpts/client.js';
import { SysproxyClient, type SysproxyOptions } from './sysproxy/client.js';

/** Options of connect(). */
export interface ConnectOptions extends RumpClientOptions, Pick<SysproxyOptions, 'onRaise' | 'maxInFlight'> {
  /** The protocol to speak (default 'rumpts'). 'sysproxy' has no authentication: `token` is not sent. */
  protocol?: 'rumpts' | 'sysproxy';
}

/**
 * What every client offers, whatever its protocol: the calls of a kernel process (Proc) returning
 * promises, and the connection's end. A call fails with the server's RumpError (NetBSD errno).
 */
export interface RemoteClient {
  /** open(2): a new descriptor for `path` (flags are NetBSD O_* values; mode 0o666 by default). */
  open(path: string, flags: number, mode?: number): Promise<number>;
  /** close(2). */
  close(fd: number): Promise<void>;
  /** read(2) into `buf` at the file offset; resolves to the bytes read (0 at end of file). */
  read(fd: number, buf: Uint8Array): Promise<number>;
  /** write(2) of `buf` at the file offset; resolves to the bytes written. */
  write(fd: number, buf: Uint8Array): Promise<number>;
  /** pread(2): read at `offset` without moving the file offset. */
  pread(fd: number, buf: Uint8Array, offset: number): Promise<number>;
  /** pwrite(2): write at `offset` without moving the file offset. */
  pwrite(fd: number, buf: Uint8Array, offset: number): Promise<number>;
  /** readv(2): fill the buffers in order; resolves to the bytes read. */
  readv(fd: number, iov: readonly Uint8Array[]): Promise<number>;
  /** writev(2): write the buffers in order; resolves to the bytes written. */
  writev(fd: number, iov: readonly Uint8Array[]): Promise<number>;
  /** lseek(2); resolves to the new offset. */
  lseek(fd: number, offset: number, whence: number): Promise<number>;
  /** stat(2), following symbolic links. */
  stat(path: string): Promise<Stat>;
  /** lstat(2): a symbolic link itself. */
  lstat(path: string): Promise<Stat>;
  /** fstat(2) of an open descriptor. */
  fstat(fd: number): Promise<Stat>;
  /** access(2): fails with EACCES unless every bit of `mode` (R_OK, W_OK, X_OK) is allowed. */
  access(path: string, mode: number): Promise<void>;
  /** mkdir(2) (mode 0o777 by default, less the umask). */
  mkdir(path: string, mode?: number): Promise<void>;
  /** rmdir(2). */
  rmdir(path: string): Promise<void>;
  /** unlink(2). */
  unlink(path: string): Promise<void>;
  /** rename(2). */
  rename(from: string, to: string): Promise<void>;
  /** link(2): `path` becomes another name of `existing`. */
  link(existing: string, path: string): Promise<void>;
  /** symlink(2): `path` becomes a symbolic link to `target`. */
  symlink(target: string, path: string): Promise<void>;
  /** readlink(2): the target of a symbolic link. */
  readlink(path: string): Promise<string>;
  /** getdents(2): the next directory entries of `fd`, at most `count` bytes of them (none at the end). */
  getdents(fd: number, count?: number): Promise<Dirent[]>;
  /** chmod(2). */
  chmod(path: string, mode: number): Promise<void>;
  /** lchmod(2): the mode of a symbolic link itself. */
  lchmod(path: string, mode: number): Promise<void>;
  /** fchmod(2). */
  fchmod(fd: number, mode: number): Promise<void>;
  /** chown(2) (-1 leaves an id as it is). */
  chown(path: string, uid: number, gid: number): Promise<void>;
  /** lchown(2): the owner of a symbolic link itself. */
  lchown(path: string, uid: number, gid: number): Promise<void>;
  /** fchown(2). */
  fchown(fd: number, uid: number, gid: number): Promise<void>;
  /** chflags(2): the file flags (UF_*, SF_*). */
  chflags(path: string, flags: number): Promise<void>;
  /** lchflags(2): the flags of a symbolic link itself. */
  lchflags(path: string, flags: number): Promise<void>;
  /** fchflags(2). */
  fchflags(fd: number, flags: number): Promise<void>;
  /** utimes(2): access and modification times; null means now. */
  utimes(path: string, atime: Timespec | null, mtime: Timespec | null): Promise<void>;
  /** lutimes(2): the times of a symbolic link itself. */
  lutimes(path: string, atime: Timespec | null, mtime: Timespec | null): Promise<void>;
  /** futimes(2). */
  futimes(fd: number, atime: Timespec | null, mtime: Timespec | null): Promise<void>;
  /** truncate(2). */
  truncate(path: string, length: number): Promise<void>;
  /** ftruncate(2). */
  ftruncate(fd: number, length: number): Promise<void>;
  /** fsync(2). */
  fsync(fd: number): Promise<void>;
  /** sync(2): write every file system's dirty data. */
  sync(): Promise<void>;
  /** mknod(2): a device node or fifo (`dev` the device number). */
  mknod(path: string, mode: number, dev?: number): Promise<void>;
  /** mkfifo(2) (mode 0o666 by default). */
  mkfifo(path: string, mode?: number): Promise<void>;
  /** chdir(2) of this process on the server. */
  chdir(path: string): Promise<void>;
  /** fchdir(2). */
  fchdir(fd: number): Promise<void>;
  /** chroot(2). */
  chroot(path: string): Promise<void>;
  /** getcwd(3): the current directory of this process on the server. */
  getcwd(): Promise<string>;
  /** statvfs(2) of the file system holding `path`. */
  statvfs(path: string): Promise<Statvfs>;
  /** fstatvfs(2). */
  fstatvfs(fd: number): Promise<Statvfs>;
  /** getvfsstat(2): every mounted file system. */
  getvfsstat(): Promise<Statvfs[]>;
  /** mount(2): mount a file system of `type` on `dir`; `data` holds its arguments (e.g. `{ fspec: "/dev/dk" }`). */
  mount(type: string, dir: string, flags?: number, data?: Readonly<Record<string, unknown>>): Promise<void>;
  /** unmount(2) (MNT_FORCE in `flags` forces it). */
  unmount(dir: string, flags?: number): Promise<void>;
  /** dup(2). */
  dup(fd: number): Promise<number>;
  /** dup2(2): `fd` is copied to `newfd`, closing what `newfd` held. */
  dup2(fd: number, newfd: number): Promise<number>;
  /** fcntl(2) with an integer argument. */
  fcntl(fd: number, cmd: number, arg?: number): Promise<number>;
  /** getpid(2): this process's id on the server. */
  getpid(): Promise<number>;
  /** getuid(2). */
  getuid(): Promise<number>;
  /** getgid(2). */
  getgid(): Promise<number>;
  /** umask(2): set the file-creation mask; resolves to the previous one. */
  umask(mask: number): Promise<number>;
  /** reboot(2) (rump.halt): the server syncs (unless RB_NOSYNC), halts and answers before it goes. */
  reboot(howto?: number): Promise<void>;
  /** Close the connection: the server closes every descriptor this process held. */
  disconnect(): Promise<void>;
  /** Drop the connection at once (what a killed process does). */
  destroy(): void;
  /** Resolves when the connection is gone. */
  readonly closed: Promise<void>;
}

/**
 * Connect to a rump server (default: the RUMP_SERVER environment variable) and become one kernel
 * process there. Our protocol by default; `{ protocol: 'sysproxy' }` speaks NetBSD's.
 */
export function connect(url: string | undefined, opts: ConnectOptions & { protocol: 'sysproxy' }): Promise<SysproxyClient>;
export function connect(url?: string, opts?: ConnectOptions & { protocol?: 'rumpts' }): Promise<RumpClient>;
export function connect(url: string | undefined, opts: ConnectOptions): Promise<RemoteClient>;
export function connect(url: string | undefined = process.env['RUMP_SERVER'], opts: ConnectOptions = {}): Promise<RemoteClient> {
  const { protocol = 'rumpts', ...rest } = opts;
  if (protocol === 'rumpts') return RumpClient.connect(url, rest);
  if (protocol === 'sysproxy') {
    const { comm, timeoutMs, onRaise, maxInFlight } = rest;
    return SysproxyClient.connect(url, {
      ...(comm !== undefined ? { comm } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(onRaise ? { onRaise } : {}),
      ...(maxInFlight !== undefined ? { maxInFlight } : {}),
    });
  }
  return Promise.reject(new TypeError(`unknown protocol '${String(protocol)}'`));
}
