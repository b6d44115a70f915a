/**
 * The node:fs operations as programs of system calls (see program.ts): open/getdents/close for
 * readdir, lstat + unlink/rmdir for rm… Arguments are checked before the first call; kernel errors
 * are rethrown Node-shaped with the syscall and path node:fs would report.
 */
import { posix } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY, O_TRUNC, O_WRONLY, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, F_OK,
  type Dirent as KDirent, type Stat,
} from '@rumpts/librump';
import {
  decode, type Encoding, encodingOf, isFd, objectOf, toBytes, toFd, toMode, toPath, toTimespec,
} from './args.js';
import { COPYFILE_EXCL, COPYFILE_FICLONE_FORCE } from './constants.js';
import { fsEisdir, fsError, hasCode, invalidArgType, outOfRange, translate } from './errors.js';
import { type OpenFlags, stringToFlags } from './flags.js';
import { type Program, sc, type SyscallTarget, type SysName } from './program.js';
import { BigIntStats, Dirent, dtToIfmt, Stats } from './stats.js';

export type { SyscallTarget } from './program.js';

/**
 * The facade's descriptors are the kernel's plus 3. Node's streams take fd 0 for "no descriptor"
 * (WriteStream never closes it) and programs take 0–2 for stdio; a kernel process has no stdio, so its
 * first file would be 0. Shifting keeps every facade descriptor where a Node program expects files.
 */
export const FD_BIAS = 3;

/** A facade descriptor → the kernel's (negative, hence EBADF from the kernel, for 0–2). */
function kfd(fd: unknown): number {
  return toFd(fd) - FD_BIAS;
}

/** Longest chain of symbolic links realpath follows (NetBSD's MAXSYMLINKS). */
const MAXSYMLINKS = 32;
/** Transfer size for copyFile and unsized reads. */
const CHUNK = 64 * 1024;

export interface StatOptions {
  bigint?: boolean;
  throwIfNoEntry?: boolean;
}
export interface ReaddirOptions {
  encoding?: Encoding;
  withFileTypes?: boolean;
  recursive?: boolean;
}
export interface MkdirOptions {
  recursive?: boolean;
  mode?: number | string;
}
export interface RmOptions {
  recursive?: boolean;
  force?: boolean;
  maxRetries?: number;
  retryDelay?: number;
}
export interface ReadFileOptions {
  encoding?: Encoding;
  flag?: OpenFlags;
}
export interface WriteFileOptions {
  encoding?: Encoding;
  mode?: number | string;
  flag?: OpenFlags;
  flush?: boolean;
}

export type AnyStats = Stats | BigIntStats;

/**
 * One system call, its error rethrown Node-shaped as `syscall` on `path` (and `dest`): the name and
 * path node:fs reports, which may differ from the kernel call's (readdir's open is 'scandir').
 */
function* call<K extends SysName>(
  syscall: string,
  path: string | undefined,
  name: K,
  ...args: Parameters<SyscallTarget[K]>
): Program<ReturnType<SyscallTarget[K]>> {
  try {
    return yield* sc(name, ...args);
  } catch (e) {
    throw translate(e, syscall, path);
  }
}

/** Run `g`, rethrowing kernel errors from any of its calls as `syscall` on `path` -> `dest`. */
function* as<T>(syscall: string, path: string | undefined, g: Program<T>, dest?: string): Program<T> {
  try {
    return yield* g;
  } catch (e) {
    throw translate(e, syscall, path, dest);
  }
}

export class Core {
  // --- descriptors ---

  *open(path: unknown, flags?: OpenFlags | null, mode?: number | string | null): Program<number> {
    const p = toPath(path);
    const f = stringToFlags(flags);
    const m = toMode(mode, 0o666);
    return (yield* call('open', p, 'open', p, f, m)) + FD_BIAS;
  }

  *close(fd: unknown): Program<void> {
    const d = kfd(fd);
    yield* call('close', undefined, 'close', d);
  }

  /** read(2) or pread(2): position null/undefined/-1 means the descriptor's offset. */
  *read(fd: unknown, buffer: unknown, offset = 0, length?: number, position?: number | bigint | null): Program<number> {
    const d = kfd(fd);
    const buf = viewOf(buffer, 'buffer');
    if (!Number.isInteger(offset) || offset < 0 || offset > buf.length) throw outOfRange('offset', `>= 0 && <= ${buf.length}`, offset);
    const len = length ?? buf.length - offset;
    if (!Number.isInteger(len) || len < 0 || offset + len > buf.length) throw outOfRange('length', `>= 0 && <= ${buf.length - offset}`, len);
    const target = buf.subarray(offset, offset + len);
    const pos = position === null || position === undefined ? -1 : Number(position);
    if (len === 0) return 0;
    return pos >= 0 ? yield* call('read', undefined, 'pread', d, target, pos) : yield* call('read', undefined, 'read', d, target);
  }

  /** write(2) or pwrite(2) of bytes; the whole range is written unless the kernel stops short. */
  *write(fd: unknown, buffer: unknown, offset?: number | null, length?: number | null, position?: number | null): Program<number> {
    const d = kfd(fd);
    const buf = viewOf(buffer, 'buffer');
    const off = offset ?? 0;
    if (!Number.isInteger(off) || off < 0 || off > buf.length) throw outOfRange('offset', `>= 0 && <= ${buf.length}`, off);
    const len = length ?? buf.length - off;
    if (!Number.isInteger(len) || len < 0 || off + len > buf.length) throw outOfRange('length', `>= 0 && <= ${buf.length - off}`, len);
    return yield* this.#writeAll(d, buf.subarray(off, off + len), position ?? -1);
  }

  /** write(fd, string[, position[, encoding]]). */
  *writeString(fd: unknown, s: string, position?: number | null, encoding?: BufferEncoding | null): Program<number> {
    const d = kfd(fd);
    return yield* this.#writeAll(d, Buffer.from(s, encoding ?? 'utf8'), position ?? -1);
  }

  *#writeAll(fd: number, data: Uint8Array, position: number): Program<number> {
    let done = 0;
    while (done < data.length) {
      const chunk = data.subarray(done);
      const n = position >= 0 ? yield* call('write', undefined, 'pwrite', fd, chunk, position + done) : yield* call('write', undefined, 'write', fd, chunk);
      if (n <= 0) break;
      done += n;
    }
    return done;
  }

  *readv(fd: unknown, buffers: readonly ArrayBufferView[], position?: number | null): Program<number> {
    let total = 0;
    let pos = position ?? -1;
    for (const b of buffers) {
      const v = viewOf(b, 'buffers');
      const n = yield* this.read(fd, v, 0, v.length, pos >= 0 ? pos : null);
      total += n;
      if (pos >= 0) pos += n;
      if (n < v.length) break;
    }
    return total;
  }

  *writev(fd: unknown, buffers: readonly ArrayBufferView[], position?: number | null): Program<number> {
    let total = 0;
    let pos = position ?? -1;
    for (const b of buffers) {
      const n = yield* this.write(fd, b, 0, b.byteLength, pos >= 0 ? pos : null);
      total += n;
      if (pos >= 0) pos += n;
    }
    return total;
  }

  *fstat(fd: unknown, opts?: StatOptions): Program<AnyStats> {
    const d = kfd(fd);
    return toStats(yield* call('fstat', undefined, 'fstat', d), opts);
  }
  *fsync(fd: unknown): Program<void> {
    const d = kfd(fd);
    yield* call('fsync', undefined, 'fsync', d);
  }
  *ftruncate(fd: unknown, len = 0): Program<void> {
    const d = kfd(fd);
    yield* call('ftruncate', undefined, 'ftruncate', d, Math.max(0, len));
  }
  *fchmod(fd: unknown, mode: number | string): Program<void> {
    const d = kfd(fd);
    const m = toMode(mode, 0);
    yield* call('fchmod', undefined, 'fchmod', d, m);
  }
  *fchown(fd: unknown, uid: number, gid: number): Program<void> {
    const d = kfd(fd);
    yield* call('fchown', undefined, 'fchown', d, uid, gid);
  }
  *futimes(fd: unknown, atime: unknown, mtime: unknown): Program<void> {
    const d = kfd(fd);
    const a = toTimespec(atime, 'atime');
    const m = toTimespec(mtime, 'mtime');
    yield* call('futime', undefined, 'futimes', d, a, m);
  }

  // --- whole files ---

  /** Everything from the descriptor's offset to end of file. */
  *#readAll(fd: number, sizeHint: number): Program<Buffer> {
    const chunks: Buffer[] = [];
    let total = 0;
    let want = sizeHint > 0 ? sizeHint : CHUNK;
    // Ends when read returns 0; every pass reads at least one byte, so only a file that keeps growing loops long.
    while (true) {
      const b = Buffer.allocUnsafe(want);
      const n = yield* call('read', undefined, 'read', fd, b);
      if (n === 0) break;
      chunks.push(n === want ? b : b.subarray(0, n));
      total += n;
      want = CHUNK;
    }
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
  }

  *readFile(file: unknown, options?: unknown): Program<string | Buffer> {
    const encoding = encodingOf(options);
    const o = objectOf<ReadFileOptions>(options);
    if (isFd(file)) return decode(yield* this.#readAll(kfd(file), 0), encoding);
    const path = toPath(file);
    const flags = stringToFlags(o.flag, 'r');
    const fd = yield* call('open', path, 'open', path, flags, 0o666);
    try {
      const st = yield* call('fstat', path, 'fstat', fd);
      if ((st.mode & S_IFMT) === S_IFDIR) throw fsError('EISDIR', 21, 'read', undefined);
      return decode(yield* this.#readAll(fd, (st.mode & S_IFMT) === S_IFREG ? st.size : 0), encoding);
    } finally {
      yield* sc('close', fd);
    }
  }

  *writeFile(file: unknown, data: unknown, options?: unknown, defFlag = 'w'): Program<void> {
    const o = objectOf<WriteFileOptions>(options);
    const encoding = encodingOf(options, 'utf8');
    const bytes = toBytes(data, encoding);
    if (isFd(file)) {
      yield* this.#writeAll(kfd(file), bytes, -1);
      return;
    }
    const path = toPath(file);
    const flags = stringToFlags(o.flag, defFlag);
    const mode = toMode(o.mode, 0o666);
    const fd = yield* call('open', path, 'open', path, flags, mode);
    try {
      yield* this.#writeAll(fd, bytes, -1);
      if (o.flush === true) yield* call('fsync', path, 'fsync', fd);
    } finally {
      yield* sc('close', fd);
    }
  }

  *appendFile(file: unknown, data: unknown, options?: unknown): Program<void> {
    yield* this.writeFile(file, data, options, 'a');
  }

  *copyFile(src: unknown, dest: unknown, mode = 0): Program<void> {
    const s = toPath(src, 'src');
    const d = toPath(dest, 'dest');
    if ((mode & COPYFILE_FICLONE_FORCE) !== 0) throw fsError('ENOTSUP', 86, 'copyfile', s, d);
    yield* as('copyfile', s, this.#copy(s, d, mode), d);
  }

  *#copy(s: string, d: string, mode: number): Program<void> {
    const ifd = yield* sc('open', s, O_RDONLY);
    try {
      const st = yield* sc('fstat', ifd);
      if ((st.mode & S_IFMT) === S_IFDIR) throw fsError('EISDIR', 21, 'copyfile', s, d);
      const ofd = yield* sc('open', d, O_WRONLY | O_CREAT | O_TRUNC | ((mode & COPYFILE_EXCL) !== 0 ? O_EXCL : 0), st.mode & 0o7777);
      try {
        const buf = Buffer.allocUnsafe(CHUNK);
        for (let n = yield* sc('read', ifd, buf); n > 0; n = yield* sc('read', ifd, buf)) {
          let off = 0;
          while (off < n) off += yield* sc('write', ofd, buf.subarray(off, n));
        }
        // like libuv's uv_fs_copyfile: the copy ends with the source's permission bits
        yield* sc('fchmod', ofd, st.mode & 0o7777);
      } finally {
        yield* sc('close', ofd);
      }
    } finally {
      yield* sc('close', ifd);
    }
  }

  // --- names ---

  *stat(path: unknown, opts?: StatOptions): Program<AnyStats | undefined> {
    const p = toPath(path);
    try {
      return toStats(yield* call('stat', p, 'stat', p), opts);
    } catch (e) {
      if (opts?.throwIfNoEntry === false && hasCode(e, 'ENOENT')) return undefined;
      throw e;
    }
  }

  *lstat(path: unknown, opts?: StatOptions): Program<AnyStats | undefined> {
    const p = toPath(path);
    try {
      return toStats(yield* call('lstat', p, 'lstat', p), opts);
    } catch (e) {
      if (opts?.throwIfNoEntry === false && hasCode(e, 'ENOENT')) return undefined;
      throw e;
    }
  }

  *access(path: unknown, mode: number = F_OK): Program<void> {
    const p = toPath(path);
    yield* call('access', p, 'access', p, mode);
  }

  *exists(path: unknown): Program<boolean> {
    try {
      const p = toPath(path);
      yield* sc('stat', p);
      return true;
    } catch {
      return false;
    }
  }

  *readdir(path: unknown, options?: unknown): Program<(string | Buffer | Dirent<string | Buffer>)[]> {
    const root = toPath(path);
    const o = objectOf<ReaddirOptions>(options);
    const encoding = encodingOf(options, 'utf8');
    const name = (n: string): string | Buffer => (encoding === 'buffer' ? Buffer.from(n) : n);
    const out: (string | Buffer | Dirent<string | Buffer>)[] = [];
    // Breadth-first like Node's recursive readdir: [directory to read, its path relative to root].
    const queue: [string, string][] = [[root, '']];
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      const [dir, rel] = item;
      for (const d of yield* this.#entries(dir)) {
        const relName = rel === '' ? d.name : posix.join(rel, d.name);
        let fmt = dtToIfmt(d.type);
        if (fmt === undefined && (o.withFileTypes === true || o.recursive === true)) {
          const child = posix.join(dir, d.name);
          fmt = (yield* call('lstat', child, 'lstat', child)).mode & S_IFMT;
        }
        if (o.withFileTypes === true) out.push(new Dirent(name(d.name), fmt ?? 0, rel === '' ? root : posix.join(root, rel)));
        else out.push(name(relName));
        if (o.recursive === true && fmt === S_IFDIR) queue.push([posix.join(dir, d.name), relName]);
      }
    }
    return out;
  }

  /** The entries of one directory, without '.' and '..' (getdents until it returns none). */
  *#entries(dir: string): Program<KDirent[]> {
    return yield* as('scandir', dir, this.#scan(dir));
  }

  *#scan(dir: string): Program<KDirent[]> {
    const fd = yield* sc('open', dir, O_RDONLY | O_DIRECTORY);
    try {
      const out: KDirent[] = [];
      for (let batch = yield* sc('getdents', fd, 65536); batch.length > 0; batch = yield* sc('getdents', fd, 65536)) {
        for (const d of batch) if (d.name !== '.' && d.name !== '..') out.push(d);
      }
      return out;
    } finally {
      yield* sc('close', fd);
    }
  }

  /** mkdir; with `recursive`, mkdir -p returning the first directory made (undefined if none). */
  *mkdir(path: unknown, options?: unknown): Program<string | undefined> {
    const p = toPath(path);
    const o = typeof options === 'number' || typeof options === 'string' ? { mode: options } : objectOf<MkdirOptions>(options);
    const mode = toMode(o.mode, 0o777);
    if (o.recursive !== true) {
      yield* call('mkdir', p, 'mkdir', p, mode);
      return undefined;
    }
    return yield* this.#mkdirp(p, mode, 0);
  }

  *#mkdirp(path: string, mode: number, depth: number): Program<string | undefined> {
    try {
      yield* sc('mkdir', path, mode);
      return path;
    } catch (e) {
      if (hasCode(e, 'EEXIST')) {
        const st = yield* this.#maybeStat(path);
        if (st && (st.mode & S_IFMT) === S_IFDIR) return undefined;
        throw fsError('EEXIST', 17, 'mkdir', path);
      }
      const parent = posix.dirname(path);
      if (!hasCode(e, 'ENOENT') || parent === path || depth > 512) throw fsError(codeOf(e), errnoOf(e), 'mkdir', path);
      const first = yield* this.#mkdirp(parent, mode, depth + 1);
      yield* call('mkdir', path, 'mkdir', path, mode);
      return first ?? path;
    }
  }

  *#maybeStat(path: string): Program<Stat | undefined> {
    try {
      return yield* sc('stat', path);
    } catch {
      return undefined;
    }
  }

  *rmdir(path: unknown, options?: { recursive?: boolean }): Program<void> {
    const p = toPath(path);
    if (options?.recursive === true) {
      yield* this.#rmtree(p);
      return;
    }
    yield* call('rmdir', p, 'rmdir', p);
  }

  /** rm: unlink, or with `recursive` remove a whole tree; `force` ignores a missing path. */
  *rm(path: unknown, options?: RmOptions): Program<void> {
    const p = toPath(path);
    let st: Stat;
    try {
      st = yield* call('lstat', p, 'lstat', p);
    } catch (e) {
      if (options?.force === true && hasCode(e, 'ENOENT')) return;
      throw fsError(codeOf(e), errnoOf(e), 'rm', p);
    }
    if ((st.mode & S_IFMT) === S_IFDIR) {
      if (options?.recursive !== true) throw fsEisdir(p);
      yield* this.#rmtree(p);
      return;
    }
    yield* call('rm', p, 'unlink', p);
  }

  /** Depth-first removal; never follows symbolic links (lstat decides). */
  *#rmtree(dir: string): Program<void> {
    for (const d of yield* this.#entries(dir)) {
      const child = posix.join(dir, d.name);
      const fmt = dtToIfmt(d.type) ?? (yield* call('lstat', child, 'lstat', child)).mode & S_IFMT;
      if (fmt === S_IFDIR) yield* this.#rmtree(child);
      else yield* call('unlink', child, 'unlink', child);
    }
    yield* call('rmdir', dir, 'rmdir', dir);
  }

  *unlink(path: unknown): Program<void> {
    const p = toPath(path);
    yield* call('unlink', p, 'unlink', p);
  }

  *rename(from: unknown, to: unknown): Program<void> {
    const f = toPath(from, 'oldPath');
    const t = toPath(to, 'newPath');
    yield* as('rename', f, sc('rename', f, t), t);
  }

  *link(existing: unknown, path: unknown): Program<void> {
    const e = toPath(existing, 'existingPath');
    const n = toPath(path, 'newPath');
    yield* as('link', e, sc('link', e, n), n);
  }

  /** symlink(target, path): `type` is for Windows and ignored, as on POSIX Node. */
  *symlink(target: unknown, path: unknown): Program<void> {
    const t = toPath(target, 'target');
    const p = toPath(path);
    yield* as('symlink', t, sc('symlink', t, p), p);
  }

  *readlink(path: unknown, options?: unknown): Program<string | Buffer> {
    const p = toPath(path);
    const s = yield* call('readlink', p, 'readlink', p);
    return encodingOf(options) === 'buffer' ? Buffer.from(s) : s;
  }

  /**
   * realpath: resolve '.', '..' and symbolic links component by component from the process's cwd,
   * at most MAXSYMLINKS links (ELOOP past that), like realpath(3).
   */
  *realpath(path: unknown, options?: unknown): Program<string | Buffer> {
    const input = toPath(path);
    const start = input.startsWith('/') ? '/' : yield* call('realpath', input, 'getcwd');
    const resolved: string[] = start.split('/').filter((c) => c !== '');
    const pending = input.split('/').filter((c) => c !== '').reverse();
    let links = 0;
    for (let c = pending.pop(); c !== undefined; c = pending.pop()) {
      if (c === '.') continue;
      if (c === '..') {
        resolved.pop();
        continue;
      }
      const candidate = `/${[...resolved, c].join('/')}`;
      const st = yield* call('lstat', input, 'lstat', candidate);
      if ((st.mode & S_IFMT) === S_IFLNK) {
        if (++links > MAXSYMLINKS) throw fsError('ELOOP', 62, 'realpath', input);
        const target = yield* call('readlink', input, 'readlink', candidate);
        if (target.startsWith('/')) resolved.length = 0;
        for (const t of target.split('/').filter((x) => x !== '').reverse()) pending.push(t);
      } else {
        if (pending.length > 0 && (st.mode & S_IFMT) !== S_IFDIR) throw fsError('ENOTDIR', 20, 'realpath', input);
        resolved.push(c);
      }
    }
    const out = `/${resolved.join('/')}`;
    return encodingOf(options) === 'buffer' ? Buffer.from(out) : out;
  }

  *mkdtemp(prefix: unknown, options?: unknown): Program<string | Buffer> {
    const pre = toPath(prefix, 'prefix');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    for (let attempt = 0; ; attempt++) {
      const name = pre + Array.from(randomBytes(6), (b) => alphabet[b % alphabet.length]).join('');
      try {
        yield* sc('mkdir', name, 0o700);
        return encodingOf(options) === 'buffer' ? Buffer.from(name) : name;
      } catch (e) {
        if (!hasCode(e, 'EEXIST') || attempt >= 100) throw fsError(codeOf(e), errnoOf(e), 'mkdtemp', `${pre}XXXXXX`);
      }
    }
  }

  *chmod(path: unknown, mode: number | string): Program<void> {
    const p = toPath(path);
    const m = toMode(mode, 0);
    yield* call('chmod', p, 'chmod', p, m);
  }
  *lchmod(path: unknown, mode: number | string): Program<void> {
    const p = toPath(path);
    const m = toMode(mode, 0);
    yield* call('lchmod', p, 'lchmod', p, m);
  }
  *chown(path: unknown, uid: number, gid: number): Program<void> {
    const p = toPath(path);
    yield* call('chown', p, 'chown', p, uid, gid);
  }
  *lchown(path: unknown, uid: number, gid: number): Program<void> {
    const p = toPath(path);
    yield* call('lchown', p, 'lchown', p, uid, gid);
  }
  *utimes(path: unknown, atime: unknown, mtime: unknown): Program<void> {
    const p = toPath(path);
    const a = toTimespec(atime, 'atime');
    const m = toTimespec(mtime, 'mtime');
    yield* call('utime', p, 'utimes', p, a, m);
  }
  *lutimes(path: unknown, atime: unknown, mtime: unknown): Program<void> {
    const p = toPath(path);
    const a = toTimespec(atime, 'atime');
    const m = toTimespec(mtime, 'mtime');
    yield* call('lutime', p, 'lutimes', p, a, m);
  }
  *truncate(path: unknown, len = 0): Program<void> {
    if (isFd(path)) {
      yield* this.ftruncate(path, len);
      return;
    }
    const p = toPath(path);
    yield* call('open', p, 'truncate', p, Math.max(0, len));
  }
}

function toStats(st: Stat, opts?: StatOptions): AnyStats {
  return opts?.bigint === true ? new BigIntStats(st) : new Stats(st);
}

function viewOf(b: unknown, name: string): Uint8Array {
  if (b instanceof Uint8Array) return b;
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw invalidArgType(name, 'an instance of Buffer, TypedArray, or DataView', b);
}

function codeOf(e: unknown): string {
  const c = (e as { code?: unknown }).code;
  if (typeof c !== 'string') throw e;
  return c;
}

function errnoOf(e: unknown): number {
  const r = (e as { rumpErrno?: unknown; errno?: unknown });
  if (typeof r.rumpErrno === 'number') return r.rumpErrno;
  if (typeof r.errno === 'number') return Math.abs(r.errno);
  throw e;
}
