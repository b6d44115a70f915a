/**
 * librumpclient's protocol from JavaScript (rumpclient.c): a connection to any sysproxy server —
 * NetBSD's rump_server written in C, or ours — as one kernel process whose system calls are NetBSD
 * syscalls by number, their arguments in 8-byte slots, their buffers in an emulated address space
 * the server reaches with COPYIN/COPYOUT (memory.ts). Many calls may be outstanding; replies are
 * matched by reqno in any order. fork() and exec() carry out the PREFORK/FORK and EXEC handshakes.
 */
import type { Socket } from 'node:net';
import { basename } from 'node:path';
import {
  type Dirent, errno, type ErrnoCode, errnoCode, type MountData, RumpError, type Stat, type Statvfs, type Timespec,
} from '@rumpts/librump';
import { FrameAssembler } from '../assembler.js';
import { openSocket, watchSocket } from '../socket.js';
import { parseUrl, type RumpUrl } from '../url.js';
import { AddressSpace } from './memory.js';
import {
  decodeStat, decodeStatvfs, encodeTimespec, encodeTimeval, encodeTmpfsArgs, nameAt, nameCString, STAT_SIZE, STATVFS_SIZE, TMPFS_ARGS_VERSION, unpackDirents,
  UTIME_NOW, writePtr,
} from './structs.js';
import * as S from './sysnum.js';
import {
  bannerVersion, HANDSHAKE_EXEC, HANDSHAKE_FORK, HANDSHAKE_GUEST, parseSpFrame, RSP_AUTHLEN, RSP_COPYDATA, RUMPSP_ANONMMAP, RUMPSP_COPYIN,
  RUMPSP_COPYINSTR, RUMPSP_COPYOUT, RUMPSP_ERR_AUTH, RUMPSP_ERR_ERRNO, RUMPSP_ERROR, RUMPSP_HANDSHAKE, RUMPSP_PREFORK, RUMPSP_RAISE, RUMPSP_REQ, RUMPSP_RESP,
  RUMPSP_SYSCALL, SP_HEADER, SP_MAXBANNER, SP_PROTO_MAJOR, type SpFrame, spFrame, SYSPROXY_LAYOUT,
} from './wire.js';
import type { RemoteClient } from '../connect.js';

/** Options of SysproxyClient.connect. */
export interface SysproxyOptions {
  /** Program name the server gives the process (p_comm; default: this script's name). */
  comm?: string;
  /** Give up connecting and shaking hands after this long in all (default 10 s). */
  timeoutMs?: number;
  /** The server asked the client to raise a signal (NetBSD numbering, e.g. 13 SIGPIPE after EPIPE). */
  onRaise?: (signo: number) => void;
  /**
   * System calls sent at once (default 64); more wait their turn here. A server runs a bounded
   * number per client (NetBSD's has 128 workers in all; ours refuses a connection's 129th with EAGAIN).
   */
  maxInFlight?: number;
}

/** The biggest frame taken from a server (a COPYOUT of NetBSD's is a page). */
const MAX_FRAME = 16 * 1024 * 1024;
/** Anonymous memory a server may ask the client to map (ANONMMAP), all together. */
const MAX_ANON = 64 * 1024 * 1024;
/** statvfs1 flags: ST_WAIT. */
const ST_WAIT = 1;
/** MAXPATHLEN: readlink and getcwd buffers. */
const MAXPATHLEN = 1024;
/** Data moves in pieces of at most this much per call (the server splits it further). */
const IO_MAX = 1024 * 1024;
const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x200;

interface Waiter {
  resolve(f: SpFrame): void;
  reject(e: RumpError): void;
  /** The error for an ERROR answer with this RUMPSP_ERR_* code (default: refusedError). */
  refused?: (code: number) => RumpError;
}

/** enum rumpsp_err by number, for messages. */
const RUMPSP_ERR_NAMES: readonly string[] = ['NONE', 'TRYAGAIN', 'AUTH', 'INVALID_PREFORK', 'RFORK_FAILED', 'INEXEC', 'NOMEM', 'MALFORMED_REQUEST'];

/** `RUMPSP_ERR_AUTH (2)`: an ERROR code as NetBSD names it. */
function errName(code: number): string {
  const n = RUMPSP_ERR_NAMES[code];
  return n === undefined ? `${code}` : `RUMPSP_ERR_${n} (${code})`;
}

/** An ERROR answer as the errno librumpclient reports for it (errmap), naming the code. */
function refusedError(code: number): RumpError {
  return new RumpError(RUMPSP_ERR_ERRNO[code] ?? 'EINVAL', `the server refused the request (sysproxy error ${errName(code)})`);
}

/** What the syscall returned: rsys_retval[0] and [1]. */
export type Retvals = readonly [bigint, bigint];

/** One 8-byte argument slot: a number (int, pointer, size) or a bigint (a full 64-bit value). */
export type Slot = number | bigint;

function slots(args: readonly Slot[]): Buffer {
  const b = Buffer.alloc(args.length * 8);
  args.forEach((a, i) => {
    if (typeof a === 'bigint') b.writeBigUInt64LE(BigInt.asUintN(64, a), i * 8);
    else if (a < 0 && a >= -0x8000_0000) b.writeUInt32LE(a >>> 0, i * 8); // a C int: zero-extended, as NetBSD's stubs send it
    else writePtr(b, i * 8, a);
  });
  return b;
}

/**
 * A sysproxy connection: one process on the server. Calls return promises and fail with the
 * server's RumpError (NetBSD errno numbers, as the protocol carries them).
 */
export class SysproxyClient implements RemoteClient {
  /** The server's locator. */
  readonly url: RumpUrl;
  /** The server's banner line (without the newline). */
  banner = '';
  readonly #sock: Socket;
  readonly #asm = new FrameAssembler(SYSPROXY_LAYOUT, MAX_FRAME);
  readonly #mem = new AddressSpace();
  readonly #waiters = new Map<number, Waiter>();
  readonly #opts: SysproxyOptions;
  #nextReq = 1;
  #dead: RumpError | undefined;
  #bannerBuf: Buffer | undefined = Buffer.alloc(0);
  #bannerWait: { resolve(): void; reject(e: RumpError): void } | undefined;
  #anon = 0;
  #running = 0;
  readonly #queue: (() => void)[] = [];
  #closedResolve!: () => void;
  /** Resolves when the connection is gone. */
  readonly closed: Promise<void>;

  private constructor(url: RumpUrl, sock: Socket, opts: SysproxyOptions) {
    this.url = url;
    this.#sock = sock;
    this.#opts = opts;
    this.closed = new Promise((r) => (this.#closedResolve = r));
    watchSocket(sock, url, (c) => this.#onData(c), (e) => this.#fail(e), () => this.#closedResolve());
  }

  /** Connect (default: RUMP_SERVER), read the banner and shake hands as a guest. */
  static async connect(url: string | undefined = process.env['RUMP_SERVER'], opts: SysproxyOptions = {}): Promise<SysproxyClient> {
    if (url === undefined || url === '') throw errno('ENOENT', 'RUMP_SERVER not set');
    const u = parseUrl(url, false);
    const timeout = opts.timeoutMs ?? 10_000;
    const deadline = performance.now() + timeout;
    const c = new SysproxyClient(u, await openSocket(u, deadline, timeout), opts);
    const comm = opts.comm ?? basename(process.argv[1] ?? 'node');
    try {
      await c.#withDeadline(c.#greeting(), deadline, timeout);
      await c.#withDeadline(c.#handshake(HANDSHAKE_GUEST, Buffer.from(`${comm}\0`, 'utf8')), deadline, timeout);
    } catch (e) {
      c.destroy();
      throw e;
    }
    return c;
  }

  async #withDeadline<T>(p: Promise<T>, deadline: number, timeout: number): Promise<T> {
    let t: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(errno('ETIMEDOUT', `connect to ${this.url.url}: no sysproxy handshake after ${timeout} ms (is it a sysproxy server?)`)), Math.max(0, deadline - performance.now()));
    });
    try {
      return await Promise.race([p, late]);
    } finally {
      clearTimeout(t);
    }
  }

  #greeting(): Promise<void> {
    if (this.#bannerBuf === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => (this.#bannerWait = { resolve, reject }));
  }

  async #handshake(type: number, body: Uint8Array, reqno?: number): Promise<void> {
    const f = await this.#request(RUMPSP_HANDSHAKE, type, body, reqno, (code) => this.#handshakeRefused(type, code));
    const err = f.buf.length >= SP_HEADER + 4 ? f.buf.readInt32LE(SP_HEADER) : -1;
    if (err !== 0) throw new RumpError(errnoCode(err) ?? 'EPROTO', `handshake refused (${err})`);
  }

  /**
   * An ERROR answer to a handshake. AUTH to GUEST or FORK is what a rumpts server that requires a
   * token answers: sysproxy has no way to present one (NetBSD's own server sends it only to a client
   * whose first frame is not a handshake, which this client never does).
   */
  #handshakeRefused(type: number, code: number): RumpError {
    const what = type === HANDSHAKE_EXEC ? 'EXEC' : type === HANDSHAKE_FORK ? 'FORK' : 'GUEST';
    const head = `connect to ${this.url.url}: the server refused the sysproxy ${what} handshake with ${errName(code)}`;
    if (code === RUMPSP_ERR_AUTH && type !== HANDSHAKE_EXEC) {
      return new RumpError(RUMPSP_ERR_ERRNO[code] ?? 'EPERM', `${head}: not authorised (sysproxy cannot present a token, and this server requires one; use the rumpts protocol, which sends it, or a server started with --insecure)`);
    }
    return new RumpError(RUMPSP_ERR_ERRNO[code] ?? 'EINVAL', head);
  }

  #onData(chunk: Buffer): void {
    if (this.#bannerBuf !== undefined) {
      // The banner is one line; librumpclient reads it with a single read() of MAXBANNER-1 bytes.
      const have = Buffer.concat([this.#bannerBuf, chunk]);
      const nl = have.indexOf(0x0a);
      if (nl < 0) {
        if (have.length >= SP_MAXBANNER) return this.#protocolFailure('the server sent no banner line (is it a sysproxy server?)');
        this.#bannerBuf = have;
        return;
      }
      this.banner = have.toString('latin1', 0, nl);
      this.#bannerBuf = undefined;
      const v = bannerVersion(this.banner);
      if (!v || v.major !== SP_PROTO_MAJOR) return this.#protocolFailure(`unsupported server: '${this.banner.slice(0, 64)}'`);
      this.#bannerWait?.resolve();
      chunk = have.subarray(nl + 1);
    }
    try {
      this.#asm.push(chunk);
      for (let f = this.#asm.next(); f; f = this.#asm.next()) this.#frame(parseSpFrame(f));
    } catch (e) {
      this.#protocolFailure(`bad frame from the server: ${(e as Error).message}`);
    }
  }

  #protocolFailure(why: string): void {
    const e = new RumpError('EPROTO', why);
    this.#bannerWait?.reject(e);
    this.#fail(e);
    this.#sock.destroy();
  }

  #frame(f: SpFrame): void {
    if (f.cls === RUMPSP_REQ) return this.#serverRequest(f);
    const w = this.#waiters.get(f.reqno);
    if (!w) return; // unmatched: dropped, as rumpclient.c does
    this.#waiters.delete(f.reqno);
    if (f.cls === RUMPSP_ERROR) w.reject((w.refused ?? refusedError)(f.u));
    else if (f.cls === RUMPSP_RESP) w.resolve(f);
  }

  /** COPYIN, COPYINSTR, COPYOUT, ANONMMAP and RAISE from the server, served from the address space. */
  #serverRequest(f: SpFrame): void {
    const body = f.buf.subarray(SP_HEADER);
    const reqno = f.buf.subarray(8, 16);
    switch (f.type) {
      case RUMPSP_COPYIN:
      case RUMPSP_COPYINSTR: {
        if (body.length < RSP_COPYDATA) return;
        const len = Number(body.readBigUInt64LE(0));
        const addr = Number(body.readBigUInt64LE(8));
        const data = f.type === RUMPSP_COPYIN ? this.#mem.read(addr, len) : this.#mem.readString(addr, len);
        return this.#send(spFrame(reqno, RUMPSP_RESP, RUMPSP_COPYIN, 0, data));
      }
      case RUMPSP_COPYOUT: {
        if (body.length < RSP_COPYDATA) return;
        const len = Number(body.readBigUInt64LE(0));
        this.#mem.write(Number(body.readBigUInt64LE(8)), body.subarray(RSP_COPYDATA, RSP_COPYDATA + len));
        return;
      }
      case RUMPSP_ANONMMAP: {
        const len = body.length >= 8 ? Number(body.readBigUInt64LE(0)) : 0;
        const out = Buffer.alloc(8);
        if (len > 0 && this.#anon + len <= MAX_ANON) {
          this.#anon += len;
          writePtr(out, 0, this.#mem.map(new Uint8Array(len)));
        }
        return this.#send(spFrame(reqno, RUMPSP_RESP, RUMPSP_ANONMMAP, 0, out));
      }
      case RUMPSP_RAISE:
        this.#opts.onRaise?.(f.u);
        return;
      default:
        return;
    }
  }

  #send(b: Buffer): void {
    if (!this.#dead) this.#sock.write(b);
  }

  #fail(e: RumpError): void {
    this.#dead ??= e;
    for (const w of this.#waiters.values()) w.reject(this.#dead);
    this.#waiters.clear();
  }

  #request(type: number, u: number, body?: Uint8Array, reqno = this.#nextReq++, refused?: (code: number) => RumpError): Promise<SpFrame> {
    if (this.#dead) return Promise.reject(this.#dead);
    const p = new Promise<SpFrame>((resolve, reject) => this.#waiters.set(reqno, { resolve, reject, ...(refused ? { refused } : {}) }));
    this.#send(spFrame(reqno, RUMPSP_REQ, type, u, body));
    return p;
  }

  /**
   * A raw system call: NetBSD syscall number, the argument slots (pointers are addresses of this
   * client's space, see AddressSpace). Resolves rsys_retval; a non-zero
   * rsys_error rejects with that errno.
   */
  async syscall(sysnum: number, args: readonly Slot[], name = `syscall ${sysnum}`, path?: string): Promise<Retvals> {
    if (this.#running >= (this.#opts.maxInFlight ?? 64)) await new Promise<void>((r) => this.#queue.push(r));
    this.#running++;
    let f: SpFrame;
    try {
      f = await this.#request(RUMPSP_SYSCALL, sysnum, slots(args));
    } finally {
      this.#running--;
      this.#queue.shift()?.();
    }
    if (f.type !== RUMPSP_SYSCALL || f.buf.length < SP_HEADER + 24) throw new RumpError('EPROTO', `${name}: bad syscall response`);
    const err = f.buf.readInt32LE(SP_HEADER);
    if (err !== 0) {
      const code: ErrnoCode = errnoCode(err) ?? 'EIO';
      throw new RumpError(code, undefined, { syscall: name, ...(path !== undefined ? { path } : {}) });
    }
    return [f.buf.readBigInt64LE(SP_HEADER + 8), f.buf.readBigInt64LE(SP_HEADER + 16)];
  }

  /** Run `fn` with buffers mapped for the call, unmapped afterwards. */
  async #with<T>(bufs: readonly Uint8Array[], fn: (addrs: number[]) => Promise<T>): Promise<T> {
    const addrs = bufs.map((b) => this.#mem.map(b));
    try {
      return await fn(addrs);
    } finally {
      for (const a of addrs) this.#mem.unmap(a);
    }
  }

  /** A path or name as the C string the server copies in: its bytes (escaped bytes as themselves), then NUL. */
  #str(s: string): Buffer {
    return nameCString(s);
  }

  /** A call taking paths (mapped as C strings) before its other slots. */
  async #pathCall(sysnum: number, name: string, paths: readonly string[], rest: readonly Slot[] = []): Promise<Retvals> {
    return this.#with(paths.map((p) => this.#str(p)), (a) => this.syscall(sysnum, [...a, ...rest], name, paths[0]));
  }

  async #n(p: Promise<Retvals>): Promise<number> {
    return Number((await p)[0]);
  }

  async #v(p: Promise<Retvals>): Promise<void> {
    await p;
  }

  // --- the calls of a process, as in Proc ---

  open(path: string, flags: number, mode = 0o666): Promise<number> {
    return this.#n(this.#pathCall(S.SYS_open, 'open', [path], [flags, mode]));
  }
  close(fd: number): Promise<void> {
    return this.#v(this.syscall(S.SYS_close, [fd], 'close'));
  }
  /** read(2) into buf; more than 1 MiB is read in several calls. */
  async read(fd: number, buf: Uint8Array): Promise<number> {
    return this.#io(buf, (part) => this.#with([part], (a) => this.#n(this.syscall(S.SYS_read, [fd, a[0] as number, part.length], 'read'))));
  }
  async write(fd: number, buf: Uint8Array): Promise<number> {
    return this.#io(buf, (part) => this.#with([part], (a) => this.#n(this.syscall(S.SYS_write, [fd, a[0] as number, part.length], 'write'))));
  }
  async pread(fd: number, buf: Uint8Array, offset: number): Promise<number> {
    return this.#io(buf, (part, done) => this.#with([part], (a) => this.#n(this.syscall(S.SYS_pread, [fd, a[0] as number, part.length, 0, offset + done], 'pread'))));
  }
  async pwrite(fd: number, buf: Uint8Array, offset: number): Promise<number> {
    return this.#io(buf, (part, done) => this.#with([part], (a) => this.#n(this.syscall(S.SYS_pwrite, [fd, a[0] as number, part.length, 0, offset + done], 'pwrite'))));
  }

  async #io(buf: Uint8Array, fn: (part: Uint8Array, done: number) => Promise<number>): Promise<number> {
    let done = 0;
    do {
      const part = buf.subarray(done, done + IO_MAX);
      const n = await fn(part, done);
      done += n;
      if (n < part.length) break;
    } while (done < buf.length);
    return done;
  }

  /** readv(2)/writev(2): the buffers placed in the space, a struct iovec array pointing at them. */
  #iov(sysnum: number, name: string, fd: number, iov: readonly Uint8Array[]): Promise<number> {
    return this.#with(iov, (addrs) => {
      const vec = Buffer.alloc(iov.length * 16);
      iov.forEach((b, i) => {
        writePtr(vec, i * 16, addrs[i] as number);
        writePtr(vec, i * 16 + 8, b.length);
      });
      return this.#with([vec], (v) => this.#n(this.syscall(sysnum, [fd, v[0] as number, iov.length], name)));
    });
  }
  readv(fd: number, iov: readonly Uint8Array[]): Promise<number> {
    return this.#iov(S.SYS_readv, 'readv', fd, iov);
  }
  writev(fd: number, iov: readonly Uint8Array[]): Promise<number> {
    return this.#iov(S.SYS_writev, 'writev', fd, iov);
  }
  lseek(fd: number, offset: number, whence: number): Promise<number> {
    return this.#n(this.syscall(S.SYS_lseek, [fd, 0, BigInt(offset), whence], 'lseek'));
  }

  async #statOut(fn: (buf: number) => Promise<Retvals>): Promise<Stat> {
    const b = Buffer.alloc(STAT_SIZE);
    await this.#with([b], (a) => fn(a[0] as number));
    return decodeStat(b);
  }
  stat(path: string): Promise<Stat> {
    return this.#statOut((buf) => this.#pathCall(S.SYS___stat50, 'stat', [path], [buf]));
  }
  lstat(path: string): Promise<Stat> {
    return this.#statOut((buf) => this.#pathCall(S.SYS___lstat50, 'lstat', [path], [buf]));
  }
  fstat(fd: number): Promise<Stat> {
    return this.#statOut((buf) => this.syscall(S.SYS___fstat50, [fd, buf], 'fstat'));
  }
  access(path: string, mode: number): Promise<void> {
    return this.#v(this.#pathCall(S.SYS_access, 'access', [path], [mode]));
  }
  mkdir(path: string, mode = 0o777): Promise<void> {
    return this.#v(this.#pathCall(S.SYS_mkdir, 'mkdir', [path], [mode]));
  }
  rmdir(path: string): Promise<void> {
    return this.#v(this.#pathCall(S.SYS_rmdir, 'rmdir', [path]));
  }
  unlink(path: string): Promise<void> {
    return this.#v(this.#pathCall(S.SYS_unlink, 'unlink', [path]));
  }
  rename(from: string, to: string): Promise<void> {
    return this.#v(this.#pathCall(S.SYS_rename, 'rename', [from, to]));
  }
  link(existing: string, path: string): Promise<void> {
    return this.#v(this.#pathCall(S.SYS_link, 'link', [existing, path]));
  }
  symlink(target: string, path: string): Promise<void> {
    return this.#with([this.#str(target), this.#str(path)], (a) => this.#v(this.syscall(S.SYS_symlink, a, 'symlink', path)));
  }
  async readlink(path: string): Promise<string> {
    const b = Buffer.alloc(MAXPATHLEN);
    const n = await this.#with([b], (a) => this.#n(this.#pathCall(S.SYS_readlink, 'readlink', [path], [a[0] as number, b.length])));
    return nameAt(b, 0, n);
  }
  async getdents(fd: number, count = 4096): Promise<Dirent[]> {
    const b = Buffer.alloc(count);
    const n = await this.#with([b], (a) => this.#n(this.syscall(S.SYS___getdents30, [fd, a[0] as number, count], 'getdents')));
    return unpackDirents(b.subarray(0, n));
  }
  chmod(path: string, mode: number): Promise<void> {
    return this.#v(this.#pathCall(S.SYS_chmod, 'chmod', [path], [mode]));
  }
  lchmod(path: string, mode: number): Promise<void> {
    return this.#v(this.#pathCall(S.SYS_lchmod, 'lchmod', [path], [mode]));
  }
  fchmod(fd: number, mode: number): Promise<void> {
    return this.#v(this.syscall(S.SYS_fchmod, [fd, mode], 'fchmod'));
  }
  chown(path: string, uid: number, gid: number): Promise<void> {
    return this.#v(this.#pathCall(S.SYS_chown, 'chown', [path], [uid, gid]));
  }
  lchown(path: string, uid: number, gid: number): Promise<void> {
    return this.#v(this.#pathCall(S.SYS_lchown, 'lchown', [path], [uid, gid]));
  }
  fchown(fd: number, uid: number, gid: number): Promise<void> {
    return this.#v(this.syscall(S.SYS_fchown, [fd, uid, gid], 'fchown'));
  }
  chflags(path: string, flags: number): Promise<void> {
    return this.#v(this.#pathCall(S.SYS_chflags, 'chflags', [path], [flags]));
  }
  lchflags(path: string, flags: number): Promise<void> {
    return this.#v(this.#pathCall(S.SYS_lchflags, 'lchflags', [path], [flags]));
  }
  fchflags(fd: number, flags: number): Promise<void> {
    return this.#v(this.syscall(S.SYS_fchflags, [fd, flags], 'fchflags'));
  }

  /** utimensat(2) times: null is "now" (UTIME_NOW); NULL for both. */
  #times(atime: Timespec | null, mtime: Timespec | null): Buffer | undefined {
    if (atime === null && mtime === null) return undefined;
    const b = Buffer.alloc(32);
    encodeTimespec(atime ?? { sec: 0, nsec: UTIME_NOW }, b, 0);
    encodeTimespec(mtime ?? { sec: 0, nsec: UTIME_NOW }, b, 16);
    return b;
  }
  #utimensat(path: string, atime: Timespec | null, mtime: Timespec | null, flag: number, name: string): Promise<void> {
    const t = this.#times(atime, mtime);
    return this.#with([this.#str(path), ...(t ? [t] : [])], (a) => this.#v(this.syscall(S.SYS_utimensat, [AT_FDCWD, a[0] as number, a[1] ?? 0, flag], name, path)));
  }
  utimes(path: string, atime: Timespec | null, mtime: Timespec | null): Promise<void> {
    return this.#utimensat(path, atime, mtime, 0, 'utimes');
  }
  lutimes(path: string, atime: Timespec | null, mtime: Timespec | null): Promise<void> {
    return this.#utimensat(path, atime, mtime, AT_SYMLINK_NOFOLLOW, 'lutimes');
  }
  /** futimes(2) (__futimes50): struct timeval, so times are kept to the microsecond. */
  futimes(fd: number, atime: Timespec | null, mtime: Timespec | null): Promise<void> {
    if (atime === null || mtime === null) {
      if (atime !== mtime) return Promise.reject(errno('EINVAL', 'futimes over sysproxy sets both times or neither'));
      return this.#v(this.syscall(S.SYS___futimes50, [fd, 0], 'futimes'));
    }
    const b = Buffer.alloc(32);
    encodeTimeval(atime, b, 0);
    encodeTimeval(mtime, b, 16);
    return this.#with([b], (a) => this.#v(this.syscall(S.SYS___futimes50, [fd, a[0] as number], 'futimes')));
  }
  truncate(path: string, length: number): Promise<void> {
    return this.#v(this.#pathCall(S.SYS_truncate, 'truncate', [path], [0, BigInt(length)]));
  }
  ftruncate(fd: number, length: number): Promise<void> {
    return this.#v(this.syscall(S.SYS_ftruncate, [fd, 0, BigInt(length)], 'ftruncate'));
  }
  fsync(fd: number): Promise<void> {
    return this.#v(this.syscall(S.SYS_fsync, [fd], 'fsync'));
  }
  sync(): Promise<void> {
    return this.#v(this.syscall(S.SYS_sync, [], 'sync'));
  }
  mknod(path: string, mode: number, dev = 0): Promise<void> {
    return this.#v(this.#pathCall(S.SYS___mknod50, 'mknod', [path], [mode, BigInt(dev)]));
  }
  mkfifo(path: string, mode = 0o666): Promise<void> {
    return this.#v(this.#pathCall(S.SYS_mkfifo, 'mkfifo', [path], [mode]));
  }
  chdir(path: string): Promise<void> {
    return this.#v(this.#pathCall(S.SYS_chdir, 'chdir', [path]));
  }
  fchdir(fd: number): Promise<void> {
    return this.#v(this.syscall(S.SYS_fchdir, [fd], 'fchdir'));
  }
  chroot(path: string): Promise<void> {
    return this.#v(this.#pathCall(S.SYS_chroot, 'chroot', [path]));
  }
  async getcwd(): Promise<string> {
    const b = Buffer.alloc(MAXPATHLEN);
    await this.#with([b], (a) => this.syscall(S.SYS___getcwd, [a[0] as number, b.length], 'getcwd'));
    const nul = b.indexOf(0);
    return nameAt(b, 0, nul < 0 ? b.length : nul);
  }
  async statvfs(path: string): Promise<Statvfs> {
    const b = Buffer.alloc(STATVFS_SIZE);
    await this.#with([b], (a) => this.#pathCall(S.SYS_statvfs1, 'statvfs', [path], [a[0] as number, ST_WAIT]));
    return decodeStatvfs(b);
  }
  async fstatvfs(fd: number): Promise<Statvfs> {
    const b = Buffer.alloc(STATVFS_SIZE);
    await this.#with([b], (a) => this.syscall(S.SYS_fstatvfs1, [fd, a[0] as number, ST_WAIT], 'fstatvfs'));
    return decodeStatvfs(b);
  }
  async getvfsstat(): Promise<Statvfs[]> {
    const n = await this.#n(this.syscall(S.SYS_getvfsstat, [0, 0, ST_WAIT], 'getvfsstat'));
    const b = Buffer.alloc((n + 4) * STATVFS_SIZE);
    const got = await this.#with([b], (a) => this.#n(this.syscall(S.SYS_getvfsstat, [a[0] as number, b.length, ST_WAIT], 'getvfsstat')));
    return Array.from({ length: got }, (_, i) => decodeStatvfs(b, i * STATVFS_SIZE));
  }
  /** mount(2): `{ fspec }` goes as ufs_args (ffs and the like), tmpfs's `{ size, nodes, mode, uid, gid }` as tmpfs_args. */
  mount(type: string, dir: string, flags = 0, data?: MountData): Promise<void> {
    const d = data ?? {};
    if (type === 'tmpfs') {
      const num = (k: string, dflt: number): number => (typeof d[k] === 'number' ? d[k] : dflt);
      const args = encodeTmpfsArgs({ version: TMPFS_ARGS_VERSION, nodes: num('nodes', 0), size: num('size', 0), uid: num('uid', 0), gid: num('gid', 0), mode: num('mode', 0o777) });
      return this.#with([this.#str(type), this.#str(dir), args], (a) => this.#v(this.syscall(S.SYS___mount50, [a[0] as number, a[1] as number, flags, a[2] as number, args.length], 'mount', dir)));
    }
    if (typeof d['fspec'] === 'string') {
      const fspec = this.#str(d['fspec']);
      return this.#with([fspec], ([f]) => {
        const args = Buffer.alloc(8);
        writePtr(args, 0, f as number);
        return this.#with([this.#str(type), this.#str(dir), args], (a) => this.#v(this.syscall(S.SYS___mount50, [a[0] as number, a[1] as number, flags, a[2] as number, 8], 'mount', dir)));
      });
    }
    return this.#with([this.#str(type), this.#str(dir)], (a) => this.#v(this.syscall(S.SYS___mount50, [a[0] as number, a[1] as number, flags, 0, 0], 'mount', dir)));
  }
  unmount(dir: string, flags = 0): Promise<void> {
    return this.#v(this.#pathCall(S.SYS_unmount, 'unmount', [dir], [flags]));
  }
  dup(fd: number): Promise<number> {
    return this.#n(this.syscall(S.SYS_dup, [fd], 'dup'));
  }
  dup2(fd: number, newfd: number): Promise<number> {
    return this.#n(this.syscall(S.SYS_dup2, [fd, newfd], 'dup2'));
  }
  fcntl(fd: number, cmd: number, arg = 0): Promise<number> {
    return this.#n(this.syscall(S.SYS_fcntl, [fd, cmd, arg], 'fcntl'));
  }
  /** pipe2(2): [read end, write end]. */
  async pipe2(flags = 0): Promise<[number, number]> {
    const b = Buffer.alloc(8);
    await this.#with([b], (a) => this.syscall(S.SYS_pipe2, [a[0] as number, flags], 'pipe2'));
    return [b.readInt32LE(0), b.readInt32LE(4)];
  }
  /** ioctl(2) with its parameter as bytes (IOCPARM_LEN(cmd) of them): the parameter after the call. */
  async ioctl(fd: number, cmd: number, arg: Uint8Array = new Uint8Array(S.IOCPARM_LEN(cmd))): Promise<Uint8Array> {
    const b = Uint8Array.from(arg);
    await this.#with([b], (a) => this.syscall(S.SYS_ioctl, [fd, cmd >>> 0, a[0] as number], 'ioctl'));
    return b;
  }
  /**
   * Bytes of this client's emulated address space — where the server's ANONMMAP and COPYOUT put
   * what a call returns by pointer (e.g. the plist an ENVSYS_GETDICTIONARY ioctl of /dev/sysmon
   * leaves behind its plistref). Fails with EFAULT unless all `len` bytes are mapped.
   */
  readMemory(addr: number, len: number): Uint8Array {
    const b = this.#mem.read(addr, len);
    if (b.length < len) throw errno('EFAULT', `${len} bytes at 0x${addr.toString(16)} are not all mapped`, { syscall: 'readMemory' });
    return Uint8Array.from(b);
  }
  getpid(): Promise<number> {
    return this.#n(this.syscall(S.SYS_getpid, [], 'getpid'));
  }
  getuid(): Promise<number> {
    return this.#n(this.syscall(S.SYS_getuid, [], 'getuid'));
  }
  getgid(): Promise<number> {
    return this.#n(this.syscall(S.SYS_getgid, [], 'getgid'));
  }
  umask(mask: number): Promise<number> {
    return this.#n(this.syscall(S.SYS_umask, [mask], 'umask'));
  }
  /** reboot(2) (rump.halt): the server syncs (unless RB_NOSYNC), halts and answers before it goes. */
  reboot(howto = 0): Promise<void> {
    return this.#v(this.syscall(S.SYS_reboot, [howto, 0], 'reboot'));
  }

  // --- fork and exec (rumpclient_fork, rumpclient_exec) ---

  /**
   * fork(2) of this process on the server: PREFORK here, then a new connection presents the cookie
   * in a FORK handshake. The child shares this process's open files (and their offsets).
   */
  async fork(opts: SysproxyOptions = {}): Promise<SysproxyClient> {
    const f = await this.#request(RUMPSP_PREFORK, 0);
    const cookie = f.buf.subarray(SP_HEADER, SP_HEADER + RSP_AUTHLEN);
    if (cookie.length !== RSP_AUTHLEN) throw new RumpError('EPROTO', 'bad PREFORK response');
    const timeout = opts.timeoutMs ?? 10_000;
    const deadline = performance.now() + timeout;
    const child = new SysproxyClient(this.url, await openSocket(this.url, deadline, timeout), { ...this.#opts, ...opts });
    try {
      await child.#withDeadline(child.#greeting(), deadline, timeout);
      const body = Buffer.alloc(RSP_AUTHLEN + 4);
      cookie.copy(body, 0);
      await child.#withDeadline(child.#handshake(HANDSHAKE_FORK, body), deadline, timeout);
    } catch (e) {
      child.destroy();
      throw e;
    }
    return child;
  }

  /** execve(2) as the server sees it: close-on-exec descriptors close, the process takes the name `comm`. */
  async exec(comm: string): Promise<void> {
    await this.#handshake(HANDSHAKE_EXEC, Buffer.from(`${comm}\0`, 'utf8'));
  }

  // --- the connection ---

  /** Calls sent and not yet answered. */
  get inFlight(): number {
    return this.#waiters.size;
  }

  /** Close the connection: the server releases the process and closes its descriptors. */
  async disconnect(): Promise<void> {
    this.#sock.end();
    await this.closed;
  }

  /** Drop the connection at once. */
  destroy(): void {
    this.#sock.destroy();
  }
}
