/**
 * The callback API. The kernel is synchronous, so each call does its work when it is made and the
 * callback runs on a later turn of the event loop (setImmediate), never before the call returns —
 * as with node:fs. Argument errors (ERR_INVALID_ARG_TYPE…) are thrown at once, as Node does.
 */
import type { Core } from './core.js';
import { invalidArgType } from './errors.js';

export type Callback = (err: Error | null, ...results: unknown[]) => void;

/** Take the trailing callback off an argument list (ERR_INVALID_ARG_TYPE if there is none). */
export function popCallback(args: unknown[]): Callback {
  const cb = args.pop();
  if (typeof cb !== 'function') throw invalidArgType('cb', 'of type function', cb);
  return cb as Callback;
}

function isArgError(e: unknown): boolean {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' && (c.startsWith('ERR_INVALID_ARG') || c === 'ERR_OUT_OF_RANGE');
}

/** Run `work` now; hand its results (or error) to `cb` on a later turn. */
export function settle(cb: Callback, work: () => unknown[]): void {
  let results: unknown[];
  try {
    results = work();
  } catch (e) {
    if (isArgError(e)) throw e;
    setImmediate(() => cb(e as Error));
    return;
  }
  setImmediate(() => cb(null, ...results));
}

/** A callback version of a core method whose result is one value (or none). */
function one(fn: (...a: unknown[]) => unknown, arity: number): (...args: unknown[]) => void {
  return (...args: unknown[]) => {
    const cb = popCallback(args);
    settle(cb, () => {
      const r = fn(...args.slice(0, arity));
      return r === undefined ? [] : [r];
    });
  };
}

/** Options for fs.read(fd, options, cb) / fs.read(fd, buffer, options, cb). */
interface ReadOptions {
  buffer?: ArrayBufferView;
  offset?: number;
  length?: number;
  position?: number | bigint | null;
}

/** The argument forms of fs.read/fs.readSync, normalised. */
export function readArgs(args: unknown[]): { buffer: ArrayBufferView; offset: number; length: number | undefined; position: number | bigint | null | undefined } {
  const [a1, a2, a3, a4] = args;
  if (ArrayBuffer.isView(a1)) {
    if (a2 !== null && typeof a2 === 'object') {
      const o = a2 as ReadOptions;
      return { buffer: a1, offset: o.offset ?? 0, length: o.length, position: o.position };
    }
    return { buffer: a1, offset: (a2 as number | undefined) ?? 0, length: a3 as number | undefined, position: a4 as number | null | undefined };
  }
  const o = (a1 ?? {}) as ReadOptions;
  const buffer = o.buffer ?? Buffer.alloc(16384);
  return { buffer, offset: o.offset ?? 0, length: o.length, position: o.position };
}

/** The argument forms of fs.write/fs.writeSync: bytes with offset/length/position, or a string. */
export function writeCall(core: Core, fd: unknown, args: unknown[]): number {
  const [data, a2, a3, a4] = args;
  if (typeof data === 'string') {
    const position = typeof a2 === 'number' ? a2 : null;
    const encoding = (typeof a3 === 'string' ? a3 : 'utf8') as BufferEncoding;
    return core.writeString(fd, data, position, encoding);
  }
  if (a2 !== null && typeof a2 === 'object') {
    const o = a2 as { offset?: number; length?: number; position?: number | null };
    return core.write(fd, data, o.offset, o.length, o.position);
  }
  return core.write(fd, data, a2 as number | undefined, a3 as number | undefined, a4 as number | null | undefined);
}

export function makeCallbackApi(core: Core) {
  return {
    open: (...args: unknown[]) => {
      const cb = popCallback(args);
      settle(cb, () => [core.open(args[0], args[1] as string | number | undefined, args[2] as number | undefined)]);
    },
    close: (fd: unknown, cb?: Callback) => settle(cb ?? (() => undefined), () => (core.close(fd), [])),
    read: (fd: unknown, ...args: unknown[]) => {
      const cb = popCallback(args);
      settle(cb, () => {
        const r = readArgs(args);
        return [core.read(fd, r.buffer, r.offset, r.length, r.position), r.buffer];
      });
    },
    write: (fd: unknown, ...args: unknown[]) => {
      const cb = popCallback(args);
      settle(cb, () => [writeCall(core, fd, args), args[0]]);
    },
    readv: (fd: unknown, ...args: unknown[]) => {
      const cb = popCallback(args);
      settle(cb, () => [core.readv(fd, args[0] as ArrayBufferView[], args[1] as number | null | undefined), args[0]]);
    },
    writev: (fd: unknown, ...args: unknown[]) => {
      const cb = popCallback(args);
      settle(cb, () => [core.writev(fd, args[0] as ArrayBufferView[], args[1] as number | null | undefined), args[0]]);
    },
    fstat: one((fd, o) => core.fstat(fd, o as { bigint?: boolean }), 2),
    fsync: one((fd) => core.fsync(fd), 1),
    fdatasync: one((fd) => core.fsync(fd), 1),
    ftruncate: one((fd, len) => core.ftruncate(fd, len as number | undefined), 2),
    fchmod: one((fd, m) => core.fchmod(fd, m as number), 2),
    fchown: one((fd, u, g) => core.fchown(fd, u as number, g as number), 3),
    futimes: one((fd, a, m) => core.futimes(fd, a, m), 3),
    readFile: one((p, o) => core.readFile(p, o), 2),
    writeFile: one((p, d, o) => core.writeFile(p, d, o), 3),
    appendFile: one((p, d, o) => core.appendFile(p, d, o), 3),
    copyFile: one((s, d, m) => core.copyFile(s, d, m as number | undefined), 3),
    stat: one((p, o) => core.stat(p, o as { bigint?: boolean }), 2),
    lstat: one((p, o) => core.lstat(p, o as { bigint?: boolean }), 2),
    access: one((p, m) => core.access(p, m as number | undefined), 2),
    exists: (path: unknown, cb: (exists: boolean) => void) => {
      if (typeof cb !== 'function') throw invalidArgType('cb', 'of type function', cb);
      const r = core.exists(path);
      setImmediate(() => cb(r));
    },
    readdir: one((p, o) => core.readdir(p, o), 2),
    mkdir: one((p, o) => core.mkdir(p, o), 2),
    mkdtemp: one((p, o) => core.mkdtemp(p, o), 2),
    rmdir: one((p, o) => core.rmdir(p, o as { recursive?: boolean }), 2),
    rm: one((p, o) => core.rm(p, o as { recursive?: boolean; force?: boolean }), 2),
    unlink: one((p) => core.unlink(p), 1),
    rename: one((a, b) => core.rename(a, b), 2),
    link: one((a, b) => core.link(a, b), 2),
    symlink: one((t, p) => core.symlink(t, p), 2),
    readlink: one((p, o) => core.readlink(p, o), 2),
    realpath: Object.assign(one((p, o) => core.realpath(p, o), 2), { native: one((p, o) => core.realpath(p, o), 2) }),
    chmod: one((p, m) => core.chmod(p, m as number), 2),
    lchmod: one((p, m) => core.lchmod(p, m as number), 2),
    chown: one((p, u, g) => core.chown(p, u as number, g as number), 3),
    lchown: one((p, u, g) => core.lchown(p, u as number, g as number), 3),
    utimes: one((p, a, m) => core.utimes(p, a, m), 3),
    lutimes: one((p, a, m) => core.lutimes(p, a, m), 3),
    truncate: one((p, len) => core.truncate(p, len as number | undefined), 2),
  };
}
