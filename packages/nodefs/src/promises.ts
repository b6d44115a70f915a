/** fs.promises and its FileHandle (see runner.ts for when the work happens). */
import type { AnyStats, Core } from './core.js';
import { readArgs, writeCall } from './callbacks.js';
import { fsError } from './errors.js';
import type { OpenFlags } from './flags.js';
import type { Program } from './program.js';
import type { Runner } from './runner.js';
import type { ReadStreamOptions, WriteStreamOptions, Streams } from './streams.js';

/** A program built only when it first runs, so argument errors become rejections. */
function* lazy<T>(make: () => Program<T>): Program<T> {
  return yield* make();
}

/** fs.promises.FileHandle over one descriptor of the facade. */
export class FileHandle {
  #fd: number;
  readonly #core: Core;
  readonly #run: Runner;
  readonly #streams: Streams;

  constructor(core: Core, run: Runner, streams: Streams, fd: number) {
    this.#core = core;
    this.#run = run;
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

  #p<T>(make: () => Program<T>): Promise<T> {
    return this.#run.promise(lazy(make));
  }

  /** Close the descriptor (close(2)); later calls on the handle fail with EBADF. Closing twice is harmless. */
  close(): Promise<void> {
    if (this.#fd < 0) return Promise.resolve();
    const fd = this.#fd;
    this.#fd = -1;
    return this.#run.promise(this.#core.close(fd));
  }

  /** `await using fh = await fs.promises.open(…)`: close at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * filehandle.read(buffer, offset?, length?, position?) or read({ buffer, offset, length, position }):
   * read(2)/pread(2) into the buffer (a new 16 KiB Buffer if none is given).
   */
  read(...args: unknown[]): Promise<{
    /** Bytes read; 0 at end of file. */
    bytesRead: number;
    /** The buffer read into. */
    buffer: ArrayBufferView;
  }> {
    const r = readArgs(args);
    return this.#p(() => this.#core.read(this.#live('read'), r.buffer, r.offset, r.length, r.position)).then((bytesRead) => ({ bytesRead, buffer: r.buffer }));
  }

  /** filehandle.write(buffer, offset?, length?, position?) or write(string, position?, encoding?): write(2)/pwrite(2). */
  write(...args: unknown[]): Promise<{
    /** Bytes written. */
    bytesWritten: number;
    /** The buffer or string written, as given. */
    buffer: unknown;
  }> {
    return this.#p(() => writeCall(this.#core, this.#live('write'), args)).then((bytesWritten) => ({ bytesWritten, buffer: args[0] }));
  }

  /** readv(2)/preadv(2): fill the buffers in order, at `position` or the file offset. */
  readv(buffers: ArrayBufferView[], position?: number | null): Promise<{
    /** Bytes read in all; 0 at end of file. */
    bytesRead: number;
    /** The buffers, as given. */
    buffers: ArrayBufferView[];
  }> {
    return this.#p(() => this.#core.readv(this.#live('read'), buffers, position)).then((bytesRead) => ({ bytesRead, buffers }));
  }

  /** writev(2)/pwritev(2): write the buffers in order, at `position` or the file offset. */
  writev(buffers: ArrayBufferView[], position?: number | null): Promise<{
    /** Bytes written in all. */
    bytesWritten: number;
    /** The buffers, as given. */
    buffers: ArrayBufferView[];
  }> {
    return this.#p(() => this.#core.writev(this.#live('write'), buffers, position)).then((bytesWritten) => ({ bytesWritten, buffers }));
  }

  /** Read from the current offset to the end of the file: a Buffer, or a string with an encoding. */
  readFile(options?: unknown): Promise<string | Buffer> {
    return this.#p(() => this.#core.readFile(this.#live('read'), options));
  }

  /** Write all of `data` (bytes, a string, or an (async) iterable or stream of chunks) at the current offset. */
  writeFile(data: unknown, options?: unknown): Promise<void> {
    if (isChunks(data)) return Promise.resolve().then(() => writeChunks(this.#core, this.#run, this.#live('write'), data, options, 'w'));
    return this.#p(() => this.#core.writeFile(this.#live('write'), data, options));
  }

  /** writeFile under the name Node also gives it: appends if the file was opened with 'a'. */
  appendFile(data: unknown, options?: unknown): Promise<void> {
    return this.writeFile(data, options);
  }

  /** fstat(2): {@link Stats}, or {@link BigIntStats} with `{ bigint: true }`. */
  stat(options?: { bigint?: boolean }): Promise<AnyStats> {
    return this.#p(() => this.#core.fstat(this.#live('fstat'), options));
  }

  /** ftruncate(2): cut or extend (with a hole) to `len` bytes. */
  truncate(len = 0): Promise<void> {
    return this.#p(() => this.#core.ftruncate(this.#live('ftruncate'), len));
  }

  /** fsync(2): the file's data and metadata reach the image. */
  sync(): Promise<void> {
    return this.#p(() => this.#core.fsync(this.#live('fsync')));
  }

  /** fdatasync(2); done as a full fsync. */
  datasync(): Promise<void> {
    return this.#p(() => this.#core.fsync(this.#live('fsync')));
  }

  /** fchmod(2): permission bits, a number or an octal string. */
  chmod(mode: number | string): Promise<void> {
    return this.#p(() => this.#core.fchmod(this.#live('fchmod'), mode));
  }

  /** fchown(2): owner and group (-1 leaves one unchanged). */
  chown(uid: number, gid: number): Promise<void> {
    return this.#p(() => this.#core.fchown(this.#live('fchown'), uid, gid));
  }

  /** futimes(2): access and modification times (seconds, numeric strings or Dates). */
  utimes(atime: unknown, mtime: unknown): Promise<void> {
    return this.#p(() => this.#core.futimes(this.#live('futime'), atime, mtime));
  }

  /** A ReadStream on this descriptor; it leaves the descriptor open unless autoClose is set. */
  createReadStream(options?: ReadStreamOptions): ReturnType<Streams['createReadStream']> {
    return this.#streams.createReadStream(null, { autoClose: false, ...options, fd: this.#live('read') });
  }

  /** A WriteStream on this descriptor; it leaves the descriptor open unless autoClose is set. */
  createWriteStream(options?: WriteStreamOptions): ReturnType<Streams['createWriteStream']> {
    return this.#streams.createWriteStream(null, { autoClose: false, ...options, fd: this.#live('write') });
  }
}

type Chunks = Iterable<unknown> | AsyncIterable<unknown>;

/** Data fsPromises.writeFile takes beyond bytes and strings: (async) iterables and streams of chunks. */
function isChunks(data: unknown): data is Chunks {
  if (typeof data === 'string' || ArrayBuffer.isView(data) || data === null || typeof data !== 'object') return false;
  return Symbol.asyncIterator in data || Symbol.iterator in data;
}

/** writeFile of an iterable: open (unless given a descriptor), write each chunk in turn, close. */
async function writeChunks(core: Core, run: Runner, file: unknown, data: Chunks, options: unknown, defFlag: string): Promise<void> {
  const o = (options && typeof options === 'object' ? options : {}) as { encoding?: BufferEncoding | null; mode?: number | string; flag?: OpenFlags };
  const encoding = typeof options === 'string' ? (options as BufferEncoding) : (o.encoding ?? 'utf8');
  const given = typeof file === 'number';
  const fd = given ? file : await run.promise(lazy(() => core.open(file, o.flag ?? defFlag, o.mode)));
  try {
    for await (const chunk of data) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
      await run.promise(lazy(() => core.write(fd, bytes)));
    }
  } finally {
    if (!given) await run.promise(core.close(fd));
  }
}

/** A path, or the descriptor behind a FileHandle (readFile/writeFile/appendFile accept either). */
function fileArg(f: unknown): unknown {
  return f instanceof FileHandle ? f.fd : f;
}

export function makePromisesApi(core: Core, run: Runner, streams: Streams) {
  const p =
    <A extends unknown[], T>(make: (...args: A) => Program<T>) =>
    (...args: A): Promise<T> =>
      run.promise(lazy(() => make(...args)));
  return {
    FileHandle,
    open: (path: unknown, flags?: OpenFlags, mode?: number | string) =>
      run.promise(lazy(() => core.open(path, flags, mode))).then((fd) => new FileHandle(core, run, streams, fd)),
    readFile: p((file: unknown, options?: unknown) => core.readFile(fileArg(file), options)),
    writeFile: (file: unknown, data: unknown, options?: unknown): Promise<void> =>
      isChunks(data) ? Promise.resolve().then(() => writeChunks(core, run, fileArg(file), data, options, 'w')) : run.promise(lazy(() => core.writeFile(fileArg(file), data, options))),
    appendFile: (file: unknown, data: unknown, options?: unknown): Promise<void> =>
      isChunks(data) ? Promise.resolve().then(() => writeChunks(core, run, fileArg(file), data, options, 'a')) : run.promise(lazy(() => core.appendFile(fileArg(file), data, options))),
    copyFile: p((src: unknown, dest: unknown, mode?: number) => core.copyFile(src, dest, mode)),
    stat: p((path: unknown, options?: { bigint?: boolean }) => core.stat(path, options)),
    lstat: p((path: unknown, options?: { bigint?: boolean }) => core.lstat(path, options)),
    access: p((path: unknown, mode?: number) => core.access(path, mode)),
    readdir: p((path: unknown, options?: unknown) => core.readdir(path, options, 'promise')),
    mkdir: p((path: unknown, options?: unknown) => core.mkdir(path, options)),
    mkdtemp: p((prefix: unknown, options?: unknown) => core.mkdtemp(prefix, options)),
    rmdir: p((path: unknown, options?: unknown) => core.rmdir(path, options, 'promise')),
    rm: p((path: unknown, options?: unknown) => core.rm(path, options, 'promise')),
    statfs: p((path: unknown, options?: { bigint?: boolean }) => core.statfs(path, options)),
    unlink: p((path: unknown) => core.unlink(path)),
    rename: p((from: unknown, to: unknown) => core.rename(from, to)),
    link: p((existing: unknown, path: unknown) => core.link(existing, path)),
    symlink: p((target: unknown, path: unknown) => core.symlink(target, path)),
    readlink: p((path: unknown, options?: unknown) => core.readlink(path, options)),
    realpath: p((path: unknown, options?: unknown) => core.realpath(path, options)),
    chmod: p((path: unknown, mode: number | string) => core.chmod(path, mode)),
    lchmod: p((path: unknown, mode: number | string) => core.lchmod(path, mode)),
    chown: p((path: unknown, uid: number, gid: number) => core.chown(path, uid, gid)),
    lchown: p((path: unknown, uid: number, gid: number) => core.lchown(path, uid, gid)),
    utimes: p((path: unknown, atime: unknown, mtime: unknown) => core.utimes(path, atime, mtime)),
    lutimes: p((path: unknown, atime: unknown, mtime: unknown) => core.lutimes(path, atime, mtime)),
    truncate: p((path: unknown, len?: number) => core.truncate(path, len)),
  };
}
