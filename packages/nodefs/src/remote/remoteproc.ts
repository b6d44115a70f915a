/**
 * A rump server process that answers synchronously: the SyscallTarget that createFs needs, over the
 * async client. A worker thread holds the connection; each call posts a request and blocks this
 * thread (Atomics.wait) until the worker has the answer — one round trip per system call, and the
 * caller's event loop stands still meanwhile, as with any *Sync call.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { basename } from 'node:path';
import { type Dirent, type ErrnoCode, errno, RumpError, type Stat, type Statvfs, type Timespec } from '@rumpts/librump';
import type { SyscallTarget } from '../core.js';
import type { Arg, RemoteCall, Reply, Request, WorkerData } from './messages.js';

export interface RemoteProcOptions {
  /** unix://path or tcp://host:port/ (default: the RUMP_SERVER environment variable). */
  url?: string;
  /** Shared secret (default: RUMP_SERVER_TOKEN, else for tcp the token file the server wrote, as @rumpts/server connect() finds it). */
  token?: string;
  /** Program name the server logs (default: this script's name). */
  comm?: string;
  /** Longest wait for one answer, in ms (default 60 s); past it the call fails with ETIMEDOUT. */
  timeoutMs?: number;
}

export class RemoteProc implements SyscallTarget {
  readonly url: string;
  /** The server-side process id of this connection. */
  readonly pid: number;
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #flag: Int32Array;
  readonly #timeoutMs: number;
  #closed = false;

  get connected(): boolean {
    return !this.#closed;
  }

  constructor(opts: RemoteProcOptions = {}) {
    const url = opts.url ?? process.env['RUMP_SERVER'];
    if (url === undefined || url === '') throw errno('ENOENT', 'RUMP_SERVER not set', { syscall: 'rumpclient_init' });
    this.url = url;
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
    this.#flag = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const wd: WorkerData = {
      url,
      token: opts.token ?? process.env['RUMP_SERVER_TOKEN'],
      comm: opts.comm ?? basename(process.argv[1] ?? 'node'),
      port: port2,
      flag: this.#flag,
    };
    // execArgv: [] — the worker must not inherit `--import …/hijack`, or it would hijack itself
    this.#worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: wd, transferList: [port2], execArgv: [] });
    // Neither the worker nor its port keeps the program alive: exiting drops the connection, and the
    // server closes that process's descriptors (as for a killed rumpclient program).
    this.#worker.unref();
    this.#port.unref();
    this.pid = this.#wait('rumpclient_init') as number;
  }

  /** Block until the worker answers; rethrow its error as a RumpError. */
  #wait(syscall: string): unknown {
    const r = Atomics.wait(this.#flag, 0, 0, this.#timeoutMs);
    if (r === 'timed-out') throw errno('ETIMEDOUT', `no answer from ${this.url} in ${this.#timeoutMs} ms`, { syscall });
    Atomics.store(this.#flag, 0, 0);
    const m = receiveMessageOnPort(this.#port);
    if (!m) throw errno('EPROTO', 'the remote worker signalled without an answer', { syscall });
    const reply = m.message as Reply;
    if (reply.ok) return reply.value;
    const e = reply.error;
    throw new RumpError(e.code as ErrnoCode, e.detail, {
      ...(e.syscall !== undefined ? { syscall: e.syscall } : {}),
      ...(e.path !== undefined ? { path: e.path } : {}),
    });
  }

  #call(call: RemoteCall, ...args: Arg[]): unknown {
    if (this.#closed) throw errno('ENOTCONN', `connection to ${this.url} was closed`, { syscall: call });
    const req: Request = { call, args };
    this.#port.postMessage(req);
    return this.#wait(call);
  }

  /** Disconnect: the server closes every descriptor this process held. Idempotent. */
  disconnect(): void {
    if (this.#closed) return;
    try {
      this.#call('disconnect');
    } finally {
      this.#closed = true;
      void this.#worker.terminate();
    }
  }

  open(path: string, flags: number, mode = 0o666): number {
    return this.#call('open', path, flags, mode) as number;
  }
  close(fd: number): void {
    this.#call('close', fd);
  }
  read(fd: number, buf: Uint8Array): number {
    const got = this.#call('read', fd, buf.length) as Uint8Array;
    buf.set(got);
    return got.length;
  }
  pread(fd: number, buf: Uint8Array, offset: number): number {
    const got = this.#call('pread', fd, buf.length, offset) as Uint8Array;
    buf.set(got);
    return got.length;
  }
  write(fd: number, buf: Uint8Array): number {
    return this.#call('write', fd, buf) as number;
  }
  pwrite(fd: number, buf: Uint8Array, offset: number): number {
    return this.#call('pwrite', fd, buf, offset) as number;
  }
  lseek(fd: number, offset: number, whence: number): number {
    return this.#call('lseek', fd, offset, whence) as number;
  }
  fstat(fd: number): Stat {
    return this.#call('fstat', fd) as Stat;
  }
  stat(path: string): Stat {
    return this.#call('stat', path) as Stat;
  }
  lstat(path: string): Stat {
    return this.#call('lstat', path) as Stat;
  }
  access(path: string, mode: number): void {
    this.#call('access', path, mode);
  }
  mkdir(path: string, mode = 0o777): void {
    this.#call('mkdir', path, mode);
  }
  rmdir(path: string): void {
    this.#call('rmdir', path);
  }
  unlink(path: string): void {
    this.#call('unlink', path);
  }
  rename(from: string, to: string): void {
    this.#call('rename', from, to);
  }
  link(existing: string, path: string): void {
    this.#call('link', existing, path);
  }
  symlink(target: string, path: string): void {
    this.#call('symlink', target, path);
  }
  readlink(path: string): string {
    return this.#call('readlink', path) as string;
  }
  getdents(fd: number, count = 4096): Dirent[] {
    return this.#call('getdents', fd, count) as Dirent[];
  }
  chmod(path: string, mode: number): void {
    this.#call('chmod', path, mode);
  }
  lchmod(path: string, mode: number): void {
    this.#call('lchmod', path, mode);
  }
  fchmod(fd: number, mode: number): void {
    this.#call('fchmod', fd, mode);
  }
  chown(path: string, uid: number, gid: number): void {
    this.#call('chown', path, uid, gid);
  }
  lchown(path: string, uid: number, gid: number): void {
    this.#call('lchown', path, uid, gid);
  }
  fchown(fd: number, uid: number, gid: number): void {
    this.#call('fchown', fd, uid, gid);
  }
  utimes(path: string, atime: Timespec | null, mtime: Timespec | null): void {
    this.#call('utimes', path, atime, mtime);
  }
  lutimes(path: string, atime: Timespec | null, mtime: Timespec | null): void {
    this.#call('lutimes', path, atime, mtime);
  }
  futimes(fd: number, atime: Timespec | null, mtime: Timespec | null): void {
    this.#call('futimes', fd, atime, mtime);
  }
  truncate(path: string, length: number): void {
    this.#call('truncate', path, length);
  }
  ftruncate(fd: number, length: number): void {
    this.#call('ftruncate', fd, length);
  }
  fsync(fd: number): void {
    this.#call('fsync', fd);
  }
  statvfs(path: string): Statvfs {
    return this.#call('statvfs', path) as Statvfs;
  }
  getcwd(): string {
    return this.#call('getcwd') as string;
  }
  chdir(path: string): void {
    this.#call('chdir', path);
  }
  umask(mask: number): number {
    return this.#call('umask', mask) as number;
  }
}
