/**
 * fs.promises and its FileHandle. The work is done synchronously inside each async function (the
 * kernel has no waiting to do), so the promise is settled by the time it is returned.
 */
import type { Core } from './core.js';
import { readArgs, writeCall } from './callbacks.js';
import { fsError } from './errors.js';
import type { OpenFlags } from './flags.js';
import type { AnyStats } from './core.js';
import type { ReadStreamOptions, WriteStreamOptions, Streams } from './streams.js';

/** fs.promises.FileHandle over one kernel descriptor. */
export class FileHandle {
  #fd: number;
  readonly #core: Core;
  readonly #streams: Streams;

  constructor(core: Core, streams: Streams, fd: number) {
    this.#core = core;
    this.#streams = streams;
    this.#fd = fd;
  }

  /** The descriptor, -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  #live(syscall: string): number {
    if (this.#fd < 0) throw fsError('EBADF', 9, syscall);
    return this.#fd;
  }

  close(): Promise<void> {
    return run(() => {
      if (this.#fd < 0) return;
      const fd = this.#fd;
      this.#fd = -1;
      this.#core.close(fd);
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  read(...args: unknown[]): Promise<{ bytesRead: number; buffer: ArrayBufferView }> {
    return run(() => {
      const r = readArgs(args);
      const bytesRead = this.#core.read(this.#live('read'), r.buffer, r.offset, r.length, r.position);
      return { bytesRead, buffer: r.buffer };
    });
  }

  write(...args: unknown[]): Promise<{ bytesWritten: number; buffer: unknown }> {
    return run(() => {
      const bytesWritten = writeCall(this.#core, this.#live('write'), args);
      return { bytesWritten, buffer: args[0] };
    });
  }

  readv(buffers: ArrayBufferView[], position?: number | null): Promise<{ bytesRead: number; buffers: ArrayBufferView[] }> {
    return run(() => {
      return { bytesRead: this.#core.readv(this.#live('read'), buffers, position), buffers };
    });
  }

  writev(buffers: ArrayBufferView[], position?: number | null): Promise<{ bytesWritten: number; buffers: ArrayBufferView[] }> {
    return run(() => {
      return { bytesWritten: this.#core.writev(this.#live('write'), buffers, position), buffers };
    });
  }

  readFile(options?: unknown): Promise<string | Buffer> {
    return run(() => {
      return this.#core.readFile(this.#live('read'), options);
    });
  }

  writeFile(data: unknown, options?: unknown): Promise<void> {
    return run(() => {
      this.#core.writeFile(this.#live('write'), data, options);
    });
  }

  appendFile(data: unknown, options?: unknown): Promise<void> {
    return run(() => {
      this.#core.writeFile(this.#live('write'), data, options);
    });
  }

  stat(options?: { bigint?: boolean }): Promise<AnyStats> {
    return run(() => {
      return this.#core.fstat(this.#live('fstat'), options);
    });
  }

  truncate(len = 0): Promise<void> {
    return run(() => {
      this.#core.ftruncate(this.#live('ftruncate'), len);
    });
  }

  sync(): Promise<void> {
    return run(() => {
      this.#core.fsync(this.#live('fsync'));
    });
  }

  datasync(): Promise<void> {
    return run(() => {
      this.#core.fsync(this.#live('fsync'));
    });
  }

  chmod(mode: number | string): Promise<void> {
    return run(() => {
      this.#core.fchmod(this.#live('fchmod'), mode);
    });
  }

  chown(uid: number, gid: number): Promise<void> {
    return run(() => {
      this.#core.fchown(this.#live('fchown'), uid, gid);
    });
  }

  utimes(atime: unknown, mtime: unknown): Promise<void> {
    return run(() => {
      this.#core.futimes(this.#live('futime'), atime, mtime);
    });
  }

  /** A ReadStream on this descriptor; it does not close the handle's descriptor unless autoClose. */
  createReadStream(options?: ReadStreamOptions): ReturnType<Streams['createReadStream']> {
    return this.#streams.createReadStream(null, { autoClose: false, ...options, fd: this.#live('read') });
  }

  createWriteStream(options?: WriteStreamOptions): ReturnType<Streams['createWriteStream']> {
    return this.#streams.createWriteStream(null, { autoClose: false, ...options, fd: this.#live('write') });
  }
}

/** Do the (synchronous) work on a microtask after the call returns; a throw becomes a rejection. */
function run<T>(fn: () => T): Promise<T> {
  return Promise.resolve().then(fn);
}

function promised<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => Promise<R> {
  return (...args: A) => run(() => fn(...args));
}

/** A path, or the descriptor behind a FileHandle (readFile/writeFile/appendFile accept either). */
function fileArg(f: unknown): unknown {
  return f instanceof FileHandle ? f.fd : f;
}

export function makePromisesApi(core: Core, streams: Streams) {
  return {
    FileHandle,
    open: promised((path: unknown, flags?: OpenFlags, mode?: number | string) => new FileHandle(core, streams, core.open(path, flags, mode))),
    readFile: promised((file: unknown, options?: unknown) => core.readFile(fileArg(file), options)),
    writeFile: promised((file: unknown, data: unknown, options?: unknown) => core.writeFile(fileArg(file), data, options)),
    appendFile: promised((file: unknown, data: unknown, options?: unknown) => core.appendFile(fileArg(file), data, options)),
    copyFile: promised((src: unknown, dest: unknown, mode?: number) => core.copyFile(src, dest, mode)),
    stat: promised((path: unknown, options?: { bigint?: boolean }) => core.stat(path, options)),
    lstat: promised((path: unknown, options?: { bigint?: boolean }) => core.lstat(path, options)),
    access: promised((path: unknown, mode?: number) => core.access(path, mode)),
    readdir: promised((path: unknown, options?: unknown) => core.readdir(path, options)),
    mkdir: promised((path: unknown, options?: unknown) => core.mkdir(path, options)),
    mkdtemp: promised((prefix: unknown, options?: unknown) => core.mkdtemp(prefix, options)),
    rmdir: promised((path: unknown, options?: { recursive?: boolean }) => core.rmdir(path, options)),
    rm: promised((path: unknown, options?: { recursive?: boolean; force?: boolean }) => core.rm(path, options)),
    unlink: promised((path: unknown) => core.unlink(path)),
    rename: promised((from: unknown, to: unknown) => core.rename(from, to)),
    link: promised((existing: unknown, path: unknown) => core.link(existing, path)),
    symlink: promised((target: unknown, path: unknown) => core.symlink(target, path)),
    readlink: promised((path: unknown, options?: unknown) => core.readlink(path, options)),
    realpath: promised((path: unknown, options?: unknown) => core.realpath(path, options)),
    chmod: promised((path: unknown, mode: number | string) => core.chmod(path, mode)),
    lchmod: promised((path: unknown, mode: number | string) => core.lchmod(path, mode)),
    chown: promised((path: unknown, uid: number, gid: number) => core.chown(path, uid, gid)),
    lchown: promised((path: unknown, uid: number, gid: number) => core.lchown(path, uid, gid)),
    utimes: promised((path: unknown, atime: unknown, mtime: unknown) => core.utimes(path, atime, mtime)),
    lutimes: promised((path: unknown, atime: unknown, mtime: unknown) => core.lutimes(path, atime, mtime)),
    truncate: promised((path: unknown, len?: number) => core.truncate(path, len)),
  };
}
