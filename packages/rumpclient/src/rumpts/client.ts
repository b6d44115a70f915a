/**
 * The client library (librumpclient's role): connect to a rump server and make the calls of a local
 * kernel process, asynchronously, with the same RumpError codes. Many calls may be in flight: each
 * request carries an id, requests of one tick go out in one socket write, replies are matched by id.
 */
import type { Socket } from 'node:net';
import { basename } from 'node:path';
import {
  type Dirent, errno, type ErrnoCode, errnoCode, isRumpError, type MountData, RumpError, type Stat, type Statvfs, type SysctlValue, type Timespec,
} from '@rumpts/librump';
import { type CallName, CALLS } from './calls.js';
import { ProtocolError, Reader, type WireValue, Writer } from './codec.js';
import { beginFrame, DEFAULT_MAX_FRAME, endFrame, FrameReader, HEADER_SIZE, K_BYE, K_CALL, K_ERR, K_HELLO, K_OK, K_WELCOME, MAX_IO } from './frame.js';
import { PROTO_MAJOR, PROTO_MINOR } from './version.js';
import { openSocket, watchSocket } from '../socket.js';
import { SP_MAXBANNER } from '../sysproxy/wire.js';
import { clientToken, tokenFilePath } from '../token.js';
import { parseUrl, type RumpUrl } from '../url.js';
import type { RemoteClient } from '../connect.js';

/** Options of RumpClient.connect (our protocol). */
export interface RumpClientOptions {
  /**
   * Shared secret (default: RUMP_SERVER_TOKEN from the environment, else for tcp the token file the
   * server wrote for the url's host and port, see tokenFilePath).
   */
  token?: string;
  /** Program name shown in the server's logs (default: this script's name). */
  comm?: string;
  /** Give up connecting and shaking hands after this long in all (default 10 s). */
  timeoutMs?: number;
}

interface Waiter {
  resolve(v: WireValue): void;
  reject(e: RumpError): void;
  call: CallName;
  path: string | undefined;
}

/** What the server said at the handshake. */
export interface ServerInfo {
  /** The server's identity: `RUMPTS-<protocol version>-<ostype>-<osrelease>/rumpts-<version>`. */
  banner: string;
  /** The kernel process this connection is. */
  pid: number;
  /** The longest frame the server accepts. */
  maxFrame: number;
  /** The most bytes one read or write moves; bigger ones are split. */
  maxIo: number;
}

function wireError(body: WireValue, n: number, fallbackSyscall?: string, fallbackPath?: string): RumpError {
  const o = (body && typeof body === 'object' && !Array.isArray(body) && !(body instanceof Uint8Array) ? body : {}) as Record<string, WireValue>;
  const code: ErrnoCode = (typeof o['code'] === 'string' && errnoCode(n) === o['code'] ? o['code'] : errnoCode(n)) ?? 'EIO';
  const detail = typeof o['detail'] === 'string' ? o['detail'] : undefined;
  const syscall = typeof o['syscall'] === 'string' ? o['syscall'] : fallbackSyscall;
  const path = typeof o['path'] === 'string' ? o['path'] : fallbackPath;
  return new RumpError(code, detail, { ...(syscall !== undefined ? { syscall } : {}), ...(path !== undefined ? { path } : {}) });
}

const SP_BANNER_PREFIX = Buffer.from('RUMPSP-');

/**
 * A connection speaking our framed protocol: one kernel process on the server, its system calls as
 * promises. Get one with connect() or RumpClient.connect().
 */
export class RumpClient implements RemoteClient {
  /** The server's locator. */
  readonly url: RumpUrl;
  /** What the server said in its WELCOME (until then, the defaults). */
  info: ServerInfo = { banner: '', pid: 0, maxFrame: DEFAULT_MAX_FRAME, maxIo: MAX_IO };
  readonly #sock: Socket;
  readonly #reader = new FrameReader(64 * 1024 * 1024);
  readonly #waiters = new Map<number, Waiter>();
  #nextId = 1;
  #dead: RumpError | undefined;
  #corked = false;
  /** Bytes of a possible sysproxy banner seen so far (undefined once it has been dealt with). */
  #banner: Buffer | undefined = Buffer.alloc(0);
  #closedResolve!: () => void;
  /** Resolves when the connection is gone. */
  readonly closed: Promise<void>;

  private constructor(url: RumpUrl, sock: Socket) {
    this.url = url;
    this.#sock = sock;
    this.closed = new Promise((r) => (this.#closedResolve = r));
    watchSocket(sock, url, (c) => this.#onData(c), (e) => this.#fail(e), () => this.#closedResolve());
  }

  /**
   * Connect and shake hands, within `timeoutMs` in all. A server whose handshake slots are all taken
   * answers EAGAIN (docs/protocol.md §7): the client tries again, backing off, until the time is up.
   */
  static async connect(url: string | undefined = process.env['RUMP_SERVER'], opts: RumpClientOptions = {}): Promise<RumpClient> {
    if (url === undefined || url === '') throw errno('ENOENT', 'RUMP_SERVER not set');
    const u = parseUrl(url, false);
    const timeout = opts.timeoutMs ?? 10_000;
    const deadline = performance.now() + timeout;
    const token = opts.token ?? clientToken(u);
    const comm = opts.comm ?? basename(process.argv[1] ?? 'node');
    for (let backoff = 20; ; backoff = Math.min(1000, backoff * 2)) {
      const c = new RumpClient(u, await openSocket(u, deadline, timeout));
      try {
        await c.#hello(token, comm, deadline, timeout);
        return c;
      } catch (e) {
        c.destroy();
        if (isRumpError(e) && e.code === 'EAGAIN' && performance.now() + backoff < deadline) {
          await new Promise((r) => setTimeout(r, backoff));
          continue;
        }
        if (isRumpError(e) && e.code === 'EAUTH' && !token && u.proto === 'tcp') {
          throw errno('EAUTH', `${e.detail ?? e.message}: set RUMP_SERVER_TOKEN, or run the client as the user who started the server (it reads ${tokenFilePath(u)})`);
        }
        throw e;
      }
    }
  }

  async #hello(token: string | undefined, comm: string, deadline: number, timeout: number): Promise<void> {
    const w = new Writer(128);
    const at = beginFrame(w, 0, K_HELLO);
    w.u16(PROTO_MAJOR);
    w.u16(PROTO_MINOR);
    w.value({ comm, ...(token ? { token } : {}) });
    endFrame(w, at);
    let timer: NodeJS.Timeout | undefined;
    const welcome = new Promise<WireValue>((resolve, reject) => {
      this.#waiters.set(0, { resolve, reject, call: 'ping', path: undefined });
      timer = setTimeout(() => reject(errno('ETIMEDOUT', `connect to ${this.url.url}: no answer to the handshake after ${timeout} ms`)), Math.max(0, deadline - performance.now()));
    });
    this.#sock.write(w.buf.subarray(0, w.pos));
    let v: Record<string, WireValue>;
    try {
      v = (await welcome) as Record<string, WireValue>;
    } finally {
      clearTimeout(timer);
    }
    this.info = {
      banner: typeof v['banner'] === 'string' ? v['banner'] : '',
      pid: Number(v['pid']),
      maxFrame: Number(v['maxFrame']) || DEFAULT_MAX_FRAME,
      maxIo: Math.min(MAX_IO, Number(v['maxIo']) || MAX_IO),
    };
  }

  #onData(chunk: Buffer): void {
    if (this.#banner !== undefined) {
      const c = this.#skipBanner(chunk);
      if (c === undefined) return;
      chunk = c;
    }
    let frames;
    try {
      frames = this.#reader.push(chunk);
    } catch (e) {
      this.#fail(new RumpError('EPROTO', `bad frame from the server: ${(e as Error).message}`));
      this.#sock.destroy();
      return;
    }
    for (const f of frames) {
      try {
        const r = new Reader(f.buf, HEADER_SIZE);
        if (f.kind === K_BYE) {
          const n = r.u32();
          this.#fail(wireError(r.value(), n));
          continue;
        }
        const w = this.#waiters.get(f.id);
        if (!w) continue;
        this.#waiters.delete(f.id);
        if (f.kind === K_OK) {
          w.resolve(r.value());
        } else if (f.kind === K_ERR) {
          const n = r.u32();
          w.reject(wireError(r.value(), n, w.call, w.path));
        } else if (f.kind === K_WELCOME) {
          r.u16();
          r.u16();
          w.resolve(r.value());
        } else {
          throw new ProtocolError(`unexpected frame kind ${f.kind}`);
        }
      } catch (e) {
        this.#fail(new RumpError('EPROTO', `bad frame from the server: ${(e as Error).message}`));
        this.#sock.destroy();
        return;
      }
    }
  }

  /**
   * A server that also speaks NetBSD's sysproxy greets every connection with its banner line
   * (`RUMPSP-0.4-…\n`, docs/protocol.md §3) before our WELCOME: skip it. No frame of ours can start
   * with those bytes (they would be a length past a gigabyte). Returns the bytes after it, or
   * undefined while the first bytes are still undecided.
   */
  #skipBanner(chunk: Buffer): Buffer | undefined {
    const have = Buffer.concat([this.#banner as Buffer, chunk]);
    const probe = Math.min(have.length, SP_BANNER_PREFIX.length);
    if (!have.subarray(0, probe).equals(SP_BANNER_PREFIX.subarray(0, probe))) {
      this.#banner = undefined;
      return have;
    }
    const nl = have.indexOf(0x0a);
    if (nl < 0) {
      if (have.length >= SP_MAXBANNER) {
        this.#banner = undefined;
        this.#fail(new RumpError('EPROTO', 'the server sent a banner line without an end'));
        this.#sock.destroy();
        return undefined;
      }
      this.#banner = have;
      return undefined;
    }
    this.#banner = undefined;
    return have.subarray(nl + 1);
  }

  #fail(e: RumpError): void {
    this.#dead ??= e;
    for (const w of this.#waiters.values()) w.reject(this.#dead);
    this.#waiters.clear();
  }

  /** Send one request; requests made in the same tick share one socket write. */
  call(name: CallName, args: readonly WireValue[], path?: string): Promise<WireValue> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId;
    this.#nextId = id >= 0xffffffff ? 1 : id + 1;
    const w = new Writer(64);
    const at = beginFrame(w, id, K_CALL, CALLS[name][0]);
    w.value(args);
    endFrame(w, at);
    if (w.pos > this.info.maxFrame) return Promise.reject(errno('EMSGSIZE', `${name}: request of ${w.pos} bytes exceeds the server's frame limit`, { syscall: name }));
    const p = new Promise<WireValue>((resolve, reject) => this.#waiters.set(id, { resolve, reject, call: name, path }));
    if (!this.#corked) {
      this.#corked = true;
      this.#sock.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#sock.uncork();
      });
    }
    this.#sock.write(w.buf.subarray(0, w.pos));
    return p;
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.#waiters.size;
  }

  /** Close the connection: the server closes every descriptor this process held. */
  async disconnect(): Promise<void> {
    this.#sock.end();
    await this.closed;
  }

  /** Drop the connection at once (what a killed process does). */
  destroy(): void {
    this.#sock.destroy();
  }

  // --- the calls of a process, as in Proc ---

  /** One round trip that asks nothing of the kernel. */
  async ping(): Promise<void> {
    await this.call('ping', []);
  }
  async open(path: string, flags: number, mode = 0o666): Promise<number> {
    return (await this.call('open', [path, flags, mode], path)) as number;
  }
  async close(fd: number): Promise<void> {
    await this.call('close', [fd]);
  }
  /** read(2) into buf; more than the per-request limit is read in several requests. */
  async read(fd: number, buf: Uint8Array): Promise<number> {
    let done = 0;
    while (done < buf.length) {
      const want = Math.min(buf.length - done, this.info.maxIo);
      const got = (await this.call('read', [fd, want])) as Uint8Array;
      buf.set(got, done);
      done += got.length;
      if (got.length < want) break;
    }
    return done;
  }
  async write(fd: number, buf: Uint8Array): Promise<number> {
    let done = 0;
    do {
      const part = buf.subarray(done, done + this.info.maxIo);
      const n = (await this.call('write', [fd, part])) as number;
      done += n;
      if (n < part.length) break;
    } while (done < buf.length);
    return done;
  }
  async pread(fd: number, buf: Uint8Array, offset: number): Promise<number> {
    let done = 0;
    while (done < buf.length) {
      const want = Math.min(buf.length - done, this.info.maxIo);
      const got = (await this.call('pread', [fd, want, offset + done])) as Uint8Array;
      buf.set(got, done);
      done += got.length;
      if (got.length < want) break;
    }
    return done;
  }
  async pwrite(fd: number, buf: Uint8Array, offset: number): Promise<number> {
    let done = 0;
    do {
      const part = buf.subarray(done, done + this.info.maxIo);
      const n = (await this.call('pwrite', [fd, part, offset + done])) as number;
      done += n;
      if (n < part.length) break;
    } while (done < buf.length);
    return done;
  }
  async readv(fd: number, iov: readonly Uint8Array[]): Promise<number> {
    const got = (await this.call('readv', [fd, iov.map((b) => b.length)])) as Uint8Array[];
    let n = 0;
    got.forEach((g, i) => {
      iov[i]?.set(g);
      n += g.length;
    });
    return n;
  }
  async writev(fd: number, iov: readonly Uint8Array[]): Promise<number> {
    return (await this.call('writev', [fd, [...iov]])) as number;
  }
  async lseek(fd: number, offset: number, whence: number): Promise<number> {
    return (await this.call('lseek', [fd, offset, whence])) as number;
  }
  async stat(path: string): Promise<Stat> {
    return (await this.call('stat', [path], path)) as Stat;
  }
  async lstat(path: string): Promise<Stat> {
    return (await this.call('lstat', [path], path)) as Stat;
  }
  async fstat(fd: number): Promise<Stat> {
    return (await this.call('fstat', [fd])) as Stat;
  }
  async access(path: string, mode: number): Promise<void> {
    await this.call('access', [path, mode], path);
  }
  async mkdir(path: string, mode = 0o777): Promise<void> {
    await this.call('mkdir', [path, mode], path);
  }
  async rmdir(path: string): Promise<void> {
    await this.call('rmdir', [path], path);
  }
  async unlink(path: string): Promise<void> {
    await this.call('unlink', [path], path);
  }
  async rename(from: string, to: string): Promise<void> {
    await this.call('rename', [from, to], from);
  }
  async link(existing: string, path: string): Promise<void> {
    await this.call('link', [existing, path], existing);
  }
  async symlink(target: string, path: string): Promise<void> {
    await this.call('symlink', [target, path], path);
  }
  async readlink(path: string): Promise<string> {
    return (await this.call('readlink', [path], path)) as string;
  }
  async getdents(fd: number, count = 4096): Promise<Dirent[]> {
    return (await this.call('getdents', [fd, count])) as unknown as Dirent[];
  }
  async chmod(path: string, mode: number): Promise<void> {
    await this.call('chmod', [path, mode], path);
  }
  async lchmod(path: string, mode: number): Promise<void> {
    await this.call('lchmod', [path, mode], path);
  }
  async fchmod(fd: number, mode: number): Promise<void> {
    await this.call('fchmod', [fd, mode]);
  }
  async chown(path: string, uid: number, gid: number): Promise<void> {
    await this.call('chown', [path, uid, gid], path);
  }
  async lchown(path: string, uid: number, gid: number): Promise<void> {
    await this.call('lchown', [path, uid, gid], path);
  }
  async fchown(fd: number, uid: number, gid: number): Promise<void> {
    await this.call('fchown', [fd, uid, gid]);
  }
  async chflags(path: string, flags: number): Promise<void> {
    await this.call('chflags', [path, flags], path);
  }
  async lchflags(path: string, flags: number): Promise<void> {
    await this.call('lchflags', [path, flags], path);
  }
  async fchflags(fd: number, flags: number): Promise<void> {
    await this.call('fchflags', [fd, flags]);
  }
  async utimes(path: string, atime: Timespec | null, mtime: Timespec | null): Promise<void> {
    await this.call('utimes', [path, ts(atime), ts(mtime)], path);
  }
  async lutimes(path: string, atime: Timespec | null, mtime: Timespec | null): Promise<void> {
    await this.call('lutimes', [path, ts(atime), ts(mtime)], path);
  }
  async futimes(fd: number, atime: Timespec | null, mtime: Timespec | null): Promise<void> {
    await this.call('futimes', [fd, ts(atime), ts(mtime)]);
  }
  async truncate(path: string, length: number): Promise<void> {
    await this.call('truncate', [path, length], path);
  }
  async ftruncate(fd: number, length: number): Promise<void> {
    await this.call('ftruncate', [fd, length]);
  }
  async fsync(fd: number): Promise<void> {
    await this.call('fsync', [fd]);
  }
  async sync(): Promise<void> {
    await this.call('sync', []);
  }
  async mknod(path: string, mode: number, dev = 0): Promise<void> {
    await this.call('mknod', [path, mode, dev], path);
  }
  async mkfifo(path: string, mode = 0o666): Promise<void> {
    await this.call('mkfifo', [path, mode], path);
  }
  async chdir(path: string): Promise<void> {
    await this.call('chdir', [path], path);
  }
  async fchdir(fd: number): Promise<void> {
    await this.call('fchdir', [fd]);
  }
  async chroot(path: string): Promise<void> {
    await this.call('chroot', [path], path);
  }
  async getcwd(): Promise<string> {
    return (await this.call('getcwd', [])) as string;
  }
  async statvfs(path: string): Promise<Statvfs> {
    return (await this.call('statvfs', [path], path)) as unknown as Statvfs;
  }
  async fstatvfs(fd: number): Promise<Statvfs> {
    return (await this.call('fstatvfs', [fd])) as unknown as Statvfs;
  }
  async getvfsstat(): Promise<Statvfs[]> {
    return (await this.call('getvfsstat', [])) as unknown as Statvfs[];
  }
  async mount(type: string, dir: string, flags = 0, data?: MountData): Promise<void> {
    await this.call('mount', [type, dir, flags, (data ?? null) as WireValue], dir);
  }
  async unmount(dir: string, flags = 0): Promise<void> {
    await this.call('unmount', [dir, flags], dir);
  }
  async dup(fd: number): Promise<number> {
    return (await this.call('dup', [fd])) as number;
  }
  async dup2(fd: number, newfd: number): Promise<number> {
    return (await this.call('dup2', [fd, newfd])) as number;
  }
  async fcntl(fd: number, cmd: number, arg = 0): Promise<number> {
    return (await this.call('fcntl', [fd, cmd, arg])) as number;
  }
  /** ioctl(2); `arg` and the result must be plain data (numbers, strings, bytes, arrays, objects). */
  async ioctl(fd: number, cmd: number, arg?: WireValue): Promise<WireValue> {
    return this.call('ioctl', [fd, cmd, arg ?? null]);
  }
  async getpid(): Promise<number> {
    return (await this.call('getpid', [])) as number;
  }
  async getuid(): Promise<number> {
    return (await this.call('getuid', [])) as number;
  }
  async getgid(): Promise<number> {
    return (await this.call('getgid', [])) as number;
  }
  async umask(mask: number): Promise<number> {
    return (await this.call('umask', [mask])) as number;
  }

  // --- kernel-wide calls ---

  /** sysctl(3) by name: the old value; with newValue, sets it. */
  async sysctl(name: string, newValue?: SysctlValue): Promise<SysctlValue> {
    return (await this.call('sysctl', [name, newValue ?? null])) as SysctlValue;
  }
  /** The node names under prefix ('' = all), sorted. */
  async sysctlList(prefix = ''): Promise<string[]> {
    return (await this.call('sysctlList', [prefix])) as string[];
  }
  /** reboot(2) (rump.halt): the server syncs (unless RB_NOSYNC), halts and answers before it goes. */
  async reboot(howto = 0): Promise<void> {
    await this.call('reboot', [howto]);
  }
}

function ts(t: Timespec | null): WireValue {
  return t === null ? null : { sec: t.sec, nsec: t.nsec };
}

