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
  open(path: string, flags: number, mode?: number): Promise<number>;
  close(fd: number): Promise<void>;
  read(fd: number, buf: Uint8Array): Promise<number>;
  write(fd: number, buf: Uint8Array): Promise<number>;
  pread(fd: number, buf: Uint8Array, offset: number): Promise<number>;
  pwrite(fd: number, buf: Uint8Array, offset: number): Promise<number>;
  readv(fd: number, iov: readonly Uint8Array[]): Promise<number>;
  writev(fd: number, iov: readonly Uint8Array[]): Promise<number>;
  lseek(fd: number, offset: number, whence: number): Promise<number>;
  stat(path: string): Promise<Stat>;
  lstat(path: string): Promise<Stat>;
  fstat(fd: number): Promise<Stat>;
  access(path: string, mode: number): Promise<void>;
  mkdir(path: string, mode?: number): Promise<void>;
  rmdir(path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, path: string): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  readlink(path: string): Promise<string>;
  getdents(fd: number, count?: number): Promise<Dirent[]>;
  chmod(path: string, mode: number): Promise<void>;
  lchmod(path: string, mode: number): Promise<void>;
  fchmod(fd: number, mode: number): Promise<void>;
  chown(path: string, uid: number, gid: number): Promise<void>;
  lchown(path: string, uid: number, gid: number): Promise<void>;
  fchown(fd: number, uid: number, gid: number): Promise<void>;
  chflags(path: string, flags: number): Promise<void>;
  lchflags(path: string, flags: number): Promise<void>;
  fchflags(fd: number, flags: number): Promise<void>;
  utimes(path: string, atime: Timespec | null, mtime: Timespec | null): Promise<void>;
  lutimes(path: string, atime: Timespec | null, mtime: Timespec | null): Promise<void>;
  futimes(fd: number, atime: Timespec | null, mtime: Timespec | null): Promise<void>;
  truncate(path: string, length: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  sync(): Promise<void>;
  mknod(path: string, mode: number, dev?: number): Promise<void>;
  mkfifo(path: string, mode?: number): Promise<void>;
  chdir(path: string): Promise<void>;
  fchdir(fd: number): Promise<void>;
  chroot(path: string): Promise<void>;
  getcwd(): Promise<string>;
  statvfs(path: string): Promise<Statvfs>;
  fstatvfs(fd: number): Promise<Statvfs>;
  getvfsstat(): Promise<Statvfs[]>;
  mount(type: string, dir: string, flags?: number, data?: Readonly<Record<string, unknown>>): Promise<void>;
  unmount(dir: string, flags?: number): Promise<void>;
  dup(fd: number): Promise<number>;
  dup2(fd: number, newfd: number): Promise<number>;
  fcntl(fd: number, cmd: number, arg?: number): Promise<number>;
  getpid(): Promise<number>;
  getuid(): Promise<number>;
  getgid(): Promise<number>;
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
