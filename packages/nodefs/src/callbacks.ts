/** The callback API (see runner.ts for when work and callbacks happen), and the argument forms of read/write. */
import type { Core } from './core.js';
import { invalidArgType } from './errors.js';
import type { Program } from './program.js';
import type { Callback, Runner } from './runner.js';

export type { Callback } from './runner.js';

/** Take the trailing callback off an argument list (ERR_INVALID_ARG_TYPE if there is none). */
export function popCallback(args: unknown[]): Callback {
  const cb = args.pop();
  if (typeof cb !== 'function') throw invalidArgType('cb', 'of type function', cb);
  return cb as Callback;
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
export function writeCall(core: Core, fd: unknown, args: unknown[]): Program<number> {
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

export function makeCallbackApi(core: Core, run: Runner) {
  /** A callback version of a core program with up to `arity` arguments and one result (or none). */
  const one =
    (fn: (...a: unknown[]) => Program<unknown>, arity: number) =>
    (...args: unknown[]): void => {
      const cb = popCallback(args);
      run.callback(cb, fn(...args.slice(0, arity)));
    };
  return {
    open: one((p, f, m) => core.open(p, f as string | number | undefined, m as number | undefined), 3),
    close: (fd: unknown, cb?: Callback) => run.callback(cb ?? (() => undefined), core.close(fd)),
    read: (fd: unknown, ...args: unknown[]) => {
      const cb = popCallback(args);
      const r = readArgs(args);
      run.callback(cb, core.read(fd, r.buffer, r.offset, r.length, r.position), (n) => [n, r.buffer]);
    },
    write: (fd: unknown, ...args: unknown[]) => {
      const cb = popCallback(args);
      run.callback(cb, writeCall(core, fd, args), (n) => [n, args[0]]);
    },
    readv: (fd: unknown, ...args: unknown[]) => {
      const cb = popCallback(args);
      run.callback(cb, core.readv(fd, args[0] as ArrayBufferView[], args[1] as number | null | undefined), (n) => [n, args[0]]);
    },
    writev: (fd: unknown, ...args: unknown[]) => {
      const cb = popCallback(args);
      run.callback(cb, core.writev(fd, args[0] as ArrayBufferView[], args[1] as number | null | undefined), (n) => [n, args[0]]);
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
    /** exists(path, cb(bool)): the callback gets no error argument. */
    exists: (path: unknown, cb: (exists: boolean) => void) => {
      if (typeof cb !== 'function') throw invalidArgType('cb', 'of type function', cb);
      run.callback((_e, v) => cb(v === true), core.exists(path), (v) => [v]);
    },
    readdir: one((p, o) => core.readdir(p, o, 'callback'), 2),
    mkdir: one((p, o) => core.mkdir(p, o), 2),
    mkdtemp: one((p, o) => core.mkdtemp(p, o), 2),
    rmdir: one((p, o) => core.rmdir(p, o, 'callback'), 2),
    rm: one((p, o) => core.rm(p, o, 'callback'), 2),
    statfs: one((p, o) => core.statfs(p, o as { bigint?: boolean }), 2),
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
