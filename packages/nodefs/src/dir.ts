/**
 * fs.Dir (opendir): a directory descriptor read in getdents batches, one Dirent at a time, with
 * read/readSync/close/closeSync, callbacks and `for await`, and `recursive` (node:fs 20.1+). Entries of
 * type DT_UNKNOWN are lstat'ed; unsafe names (entryname.ts) are left out with a warning.
 */
import { posix } from 'node:path';
import { decodeName, type Dirent as KDirent, isRumpError, O_DIRECTORY, O_RDONLY, S_IFMT } from '@rumpts/librump';
import { encodingOf, nameOut, toPath, validateInteger } from './args.js';
import { badEntryName, warnSkipped } from './entryname.js';
import { FD_BIAS } from './core.js';
import { fsError, translate } from './errors.js';
import { type Program, sc } from './program.js';
import type { Callback, Runner } from './runner.js';
import { Dirent, dtToIfmt } from './stats.js';

/** Node's ERR_DIR_CLOSED. */
function dirClosed(): Error & { code: string } {
  const e = new Error('Directory handle was closed') as Error & { code: string };
  e.code = 'ERR_DIR_CLOSED';
  return e;
}

/** open(2) of a directory for a Dir. `withPath`: node:fs leaves the path out of opendirSync's errors only. */
export function* openDir(path: unknown, withPath = true): Program<{ path: string; fd: number }> {
  const p = toPath(path);
  try {
    return { path: p, fd: (yield* sc('open', p, O_RDONLY | O_DIRECTORY)) + FD_BIAS };
  } catch (e) {
    if (!isRumpError(e)) throw e;
    throw fsError(e.code, e.errno, 'opendir', withPath ? p : undefined);
  }
}

export class Dir {
  /** The path as the program knows it (entries' parentPath); the hijack shows its own prefix here. */
  #shown: string;
  /** The path in the kernel, for lstat of DT_UNKNOWN entries. */
  readonly #kpath: string;
  readonly #fd: number;
  readonly #run: Runner;
  readonly #buffer: boolean;
  readonly #recursive: boolean;
  #queue: Dirent<string | Buffer>[] = [];
  #eof = false;
  #closed = false;

  constructor(run: Runner, path: string, fd: number, options?: unknown) {
    this.#run = run;
    this.#shown = path;
    this.#kpath = path;
    this.#fd = fd;
    this.#buffer = encodingOf(options) === 'buffer';
    const o = (options !== null && typeof options === 'object' ? options : {}) as { bufferSize?: unknown; recursive?: unknown };
    // Node's check of bufferSize (getdents here reads 64 KiB whatever it is)
    if (o.bufferSize !== undefined) validateInteger(o.bufferSize, 'options.bufferSize', 1, 4294967295);
    this.#recursive = o.recursive === true;
  }

  get path(): string {
    return this.#shown;
  }

  /** @internal Show another path for this directory (the hijack maps kernel paths back to the program's). */
  static reroot(dir: Dir, shown: string): Dir {
    dir.#shown = shown;
    return dir;
  }

  /** The next entry, reading another batch when the queue is empty; null at the end. */
  *#next(): Program<Dirent<string | Buffer> | null> {
    if (this.#closed) throw dirClosed();
    while (this.#queue.length === 0 && !this.#eof) {
      let batch;
      try {
        batch = yield* sc('getdents', this.#fd - FD_BIAS, 65536);
      } catch (e) {
        throw translate(e, 'scandir', this.#shown);
      }
      if (batch.length === 0) this.#eof = true;
      yield* this.#take(batch, this.#kpath, this.#shown);
    }
    const d = this.#queue.shift() ?? null;
    // recursive: a directory's entries go to the end of the queue when it is handed out, as in node:fs
    if (d !== null && this.#recursive && d.isDirectory()) yield* this.#descend(d);
    return d;
  }

  /** Queue a batch of entries read from kernel directory `kdir` (shown as `shown`). */
  *#take(batch: readonly KDirent[], kdir: string, shown: string): Program<void> {
    for (const d of batch) {
      if (d.name === '.' || d.name === '..') continue;
      const bad = badEntryName(d.name);
      if (bad !== undefined) {
        warnSkipped(shown, d.name, bad);
        continue;
      }
      let fmt = dtToIfmt(d.type);
      if (fmt === undefined) {
        const child = posix.join(kdir, d.name);
        try {
          fmt = (yield* sc('lstat', child)).mode & S_IFMT;
        } catch (e) {
          throw translate(e, 'lstat', posix.join(shown, d.name));
        }
      }
      this.#queue.push(new Dirent(this.#buffer ? nameOut(d.name, 'buffer') : d.name, fmt, shown));
    }
  }

  /** Read all of a subdirectory's entries into the queue (errors as opendir's on it). */
  *#descend(d: Dirent<string | Buffer>): Program<void> {
    const name = Buffer.isBuffer(d.name) ? decodeName(d.name) : d.name;
    const shown = posix.join(d.parentPath, name);
    const kdir = posix.join(this.#kpath, posix.relative(this.#shown, shown));
    let fd: number;
    try {
      fd = yield* sc('open', kdir, O_RDONLY | O_DIRECTORY);
    } catch (e) {
      throw translate(e, 'opendir', shown);
    }
    try {
      for (let batch = yield* sc('getdents', fd, 65536); batch.length > 0; batch = yield* sc('getdents', fd, 65536)) {
        yield* this.#take(batch, kdir, shown);
      }
    } catch (e) {
      throw translate(e, 'scandir', shown);
    } finally {
      yield* sc('close', fd);
    }
  }

  *#close(): Program<void> {
    if (this.#closed) throw dirClosed();
    this.#closed = true;
    yield* sc('close', this.#fd - FD_BIAS);
  }

  readSync(): Dirent<string | Buffer> | null {
    return this.#run.sync('readdir', this.#next());
  }

  read(): Promise<Dirent<string | Buffer> | null>;
  read(cb: Callback): void;
  read(cb?: Callback): Promise<Dirent<string | Buffer> | null> | void {
    // a closed Dir throws at the call, promise form included, as node:fs does
    if (this.#closed) throw dirClosed();
    if (cb) return this.#run.callback(cb, this.#next(), (d) => [d]);
    return this.#run.promise(this.#next());
  }

  closeSync(): void {
    this.#run.sync('closedir', this.#close());
  }

  close(): Promise<void>;
  close(cb: Callback): void;
  close(cb?: Callback): Promise<void> | void {
    if (this.#closed) throw dirClosed();
    if (cb) return this.#run.callback(cb, this.#close());
    return this.#run.promise(this.#close());
  }

  /** The entries as an async iterator; the Dir is closed at the end (or when the loop is left). */
  entries(): AsyncGenerator<Dirent<string | Buffer>, void, undefined> {
    return this[Symbol.asyncIterator]();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Dirent<string | Buffer>, void, undefined> {
    try {
      for (let d = await this.read(); d !== null; d = await this.read()) yield d;
    } finally {
      if (!this.#closed) await this.close();
    }
  }
}
