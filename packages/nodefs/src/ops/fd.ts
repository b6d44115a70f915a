/** Descriptor operations as programs: open/close/read/write (whole ranges), vectors, fstat and the f* setters. */
import { toMode, toPath, toTimespec } from '../args.js';
import { O_NOFOLLOW } from '@rumpts/librump';
import { fsError, hasCode, outOfRange } from '../errors.js';
import { type OpenFlags } from '../flags.js';
import { type Program } from '../program.js';
import { FD_BIAS, kfd, CHUNK, call, openFlags, toStats, viewOf, type StatOptions, type AnyStats } from './common.js';

export function* open(path: unknown, flags?: OpenFlags | null, mode?: number | string | null): Program<number> {
  const p = toPath(path);
  const f = openFlags(flags, 'r', 'open', p);
  const m = toMode(mode, 0o666);
  try {
    return (yield* call('open', p, 'open', p, f, m)) + FD_BIAS;
  } catch (e) {
    // NetBSD says EFTYPE for O_NOFOLLOW on a symbolic link (open(2)); Linux and Node say ELOOP
    if ((f & O_NOFOLLOW) !== 0 && hasCode(e, 'EFTYPE')) throw fsError('ELOOP', 62, 'open', p);
    throw e;
  }
}

export function* close(fd: unknown): Program<void> {
  const d = kfd(fd);
  yield* call('close', undefined, 'close', d);
}

/** read(2) or pread(2): position null/undefined/-1 means the descriptor's offset. */
export function* read(fd: unknown, buffer: unknown, offset = 0, length?: number, position?: number | bigint | null): Program<number> {
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
export function* write(fd: unknown, buffer: unknown, offset?: number | null, length?: number | null, position?: number | null): Program<number> {
  const d = kfd(fd);
  const buf = viewOf(buffer, 'buffer');
  const off = offset ?? 0;
  if (!Number.isInteger(off) || off < 0 || off > buf.length) throw outOfRange('offset', `>= 0 && <= ${buf.length}`, off);
  const len = length ?? buf.length - off;
  if (!Number.isInteger(len) || len < 0 || off + len > buf.length) throw outOfRange('length', `>= 0 && <= ${buf.length - off}`, len);
  return yield* writeAll(d, buf.subarray(off, off + len), position ?? -1);
}

/** write(fd, string[, position[, encoding]]). */
export function* writeString(fd: unknown, s: string, position?: number | null, encoding?: BufferEncoding | null): Program<number> {
  const d = kfd(fd);
  return yield* writeAll(d, Buffer.from(s, encoding ?? 'utf8'), position ?? -1);
}

export function* writeAll(fd: number, data: Uint8Array, position: number): Program<number> {
  let done = 0;
  while (done < data.length) {
    const chunk = data.subarray(done);
    const n = position >= 0 ? yield* call('write', undefined, 'pwrite', fd, chunk, position + done) : yield* call('write', undefined, 'write', fd, chunk);
    if (n <= 0) break;
    done += n;
  }
  return done;
}

export function* readv(fd: unknown, buffers: readonly ArrayBufferView[], position?: number | null): Program<number> {
  let total = 0;
  let pos = position ?? -1;
  for (const b of buffers) {
    const v = viewOf(b, 'buffers');
    const n = yield* read(fd, v, 0, v.length, pos >= 0 ? pos : null);
    total += n;
    if (pos >= 0) pos += n;
    if (n < v.length) break;
  }
  return total;
}

export function* writev(fd: unknown, buffers: readonly ArrayBufferView[], position?: number | null): Program<number> {
  let total = 0;
  let pos = position ?? -1;
  for (const b of buffers) {
    const n = yield* write(fd, b, 0, b.byteLength, pos >= 0 ? pos : null);
    total += n;
    if (pos >= 0) pos += n;
  }
  return total;
}

export function* fstat(fd: unknown, opts?: StatOptions): Program<AnyStats> {
  const d = kfd(fd);
  return toStats(yield* call('fstat', undefined, 'fstat', d), opts);
}

export function* fsync(fd: unknown): Program<void> {
  const d = kfd(fd);
  yield* call('fsync', undefined, 'fsync', d);
}

export function* ftruncate(fd: unknown, len = 0): Program<void> {
  const d = kfd(fd);
  yield* call('ftruncate', undefined, 'ftruncate', d, Math.max(0, len));
}

export function* fchmod(fd: unknown, mode: number | string): Program<void> {
  const d = kfd(fd);
  const m = toMode(mode, 0);
  yield* call('fchmod', undefined, 'fchmod', d, m);
}

export function* fchown(fd: unknown, uid: number, gid: number): Program<void> {
  const d = kfd(fd);
  yield* call('fchown', undefined, 'fchown', d, uid, gid);
}

export function* futimes(fd: unknown, atime: unknown, mtime: unknown): Program<void> {
  const d = kfd(fd);
  const a = toTimespec(atime, 'atime');
  const m = toTimespec(mtime, 'mtime');
  yield* call('futime', undefined, 'futimes', d, a, m);
}

/** Everything from the descriptor's offset to end of file. */
export function* readAll(fd: number, sizeHint: number): Program<Buffer> {
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
