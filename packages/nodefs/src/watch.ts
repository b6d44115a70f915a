/**
 * fs.watch, fs.watchFile/unwatchFile and fs.promises.watch by POLLING: a rump kernel has no
 * inotify to subscribe to, so the facade looks again every `interval` ms.
 *
 * - watchFile is node:fs's own design (a StatWatcher polling stat, `interval` default 5007 ms):
 *   the listener gets (curr, prev) when any of ctime, mtime, birthtime, size, mode, uid, gid, ino,
 *   dev, nlink changes, once with zeroed Stats when the file is missing, and again when it comes back.
 * - watch keeps a snapshot of the file, or of the directory's entries (the whole tree with
 *   `recursive`, at most WATCH_LIMIT entries), every `interval` ms (default 100, an option Node does
 *   not have) and emits 'rename' for an entry that appeared, went or was replaced and 'change' for
 *   one whose contents or attributes changed (a directory: its attributes) — what inotify would
 *   have said, coalesced to one event per entry per interval. The first snapshot is taken before watch() returns over a synchronous
 *   target (a missing path throws ENOENT as in node:fs); over a RumpClient it is taken
 *   asynchronously and a failure is an 'error' event.
 */
import { EventEmitter } from 'node:events';
import { posix } from 'node:path';
import { S_IFDIR, S_IFMT, type Stat } from '@rumpts/librump';
import { encodingOf, nameOut, toPath, validateFunction, validateInteger } from './args.js';
import { translate } from './errors.js';
import { call } from './ops/common.js';
import { rawEntries } from './ops/dirs.js';
import { badEntryName } from './entryname.js';
import type { Program } from './program.js';
import type { Runner } from './runner.js';
import { BigIntStats, Stats } from './stats.js';

/** The most entries a recursive watch keeps in its snapshot; deeper ones are not watched. */
export const WATCH_LIMIT = 10_000;

const ZERO_TS = { sec: 0, nsec: 0 };
const ZERO: Stat = {
  dev: 0, ino: 0, mode: 0, nlink: 0, uid: 0, gid: 0, rdev: 0, size: 0, blocks: 0, blksize: 0, flags: 0, gen: 0, atime: ZERO_TS,
  mtime: ZERO_TS, ctime: ZERO_TS, birthtime: ZERO_TS,
};

function same(a: Stat, b: Stat): boolean {
  const ts = (x: { sec: number; nsec: number }, y: { sec: number; nsec: number }): boolean => x.sec === y.sec && x.nsec === y.nsec;
  return (
    ts(a.ctime, b.ctime) && ts(a.mtime, b.mtime) && ts(a.birthtime, b.birthtime) && a.size === b.size && a.mode === b.mode &&
    a.uid === b.uid && a.gid === b.gid && a.ino === b.ino && a.dev === b.dev && a.nlink === b.nlink && a.flags === b.flags && a.gen === b.gen
  );
}

/**
 * A directory's times and size move whenever an entry in it comes or goes — which is reported for
 * that entry — so a directory only 'change's when its attributes do (inotify's IN_ATTRIB).
 */
function sameAttributes(a: Stat, b: Stat): boolean {
  return a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.flags === b.flags;
}

function* maybeStat(path: string): Program<{ st: Stat } | { code: string }> {
  try {
    return { st: yield* call('stat', path, 'stat', path) };
  } catch (e) {
    const c = (e as { code?: unknown }).code;
    if (typeof c !== 'string') throw e;
    return { code: c };
  }
}

/** fs.StatWatcher: what watchFile returns; emits 'change' (curr, prev). */
export class StatWatcher extends EventEmitter {
  #timer: NodeJS.Timeout | undefined;
  #prev: Stat = ZERO;
  #lastError: string | undefined;
  #busy = false;
  #refed: boolean;
  readonly #bigint: boolean;

  /** @internal */
  constructor(
    private readonly run: Runner,
    /** The path watched, as the caller gave it. */
    readonly path: string,
    /** Milliseconds between two stats. */
    readonly interval: number,
    persistent: boolean,
    bigint: boolean,
  ) {
    super();
    this.#refed = persistent;
    this.#bigint = bigint;
  }

  #stats(st: Stat): Stats | BigIntStats {
    return this.#bigint ? new BigIntStats(st) : new Stats(st);
  }

  /** @internal Take the first stat and start polling. */
  start(): void {
    void this.#poll(true);
    this.#timer = setInterval(() => void this.#poll(false), this.interval);
    if (!this.#refed) this.#timer.unref();
  }

  async #poll(first: boolean): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const r = await this.run.promise(maybeStat(this.path));
      if (this.#timer === undefined && !first) return;
      if ('code' in r) {
        if (r.code !== this.#lastError) {
          const prev = this.#prev;
          this.#prev = ZERO;
          this.#lastError = r.code;
          // a missing file: one call with zeroed stats (node:fs's documented behaviour)
          this.emit('change', this.#stats(ZERO), this.#stats(prev));
        }
        return;
      }
      if (first) {
        this.#prev = r.st;
        return;
      }
      if (this.#lastError !== undefined || !same(r.st, this.#prev)) {
        const prev = this.#prev;
        this.#prev = r.st;
        this.#lastError = undefined;
        this.emit('change', this.#stats(r.st), this.#stats(prev));
      }
    } catch (e) {
      this.emit('error', e);
    } finally {
      this.#busy = false;
    }
  }

  /** @internal */
  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.emit('stop');
  }

  /** Keep the process alive while polling (the default unless `persistent: false`). */
  ref(): this {
    this.#refed = true;
    this.#timer?.ref();
    return this;
  }

  /** Let the process exit even though polling goes on. */
  unref(): this {
    this.#refed = false;
    this.#timer?.unref();
    return this;
  }
}

type ChangeListener = (curr: Stats | BigIntStats, prev: Stats | BigIntStats) => void;

/** watchFile/unwatchFile over one facade: one StatWatcher per path, shared by its listeners, as in node:fs. */
export function makeWatchFile(run: Runner) {
  const watchers = new Map<string, StatWatcher>();
  const watchFile = (filename: unknown, ...rest: unknown[]): StatWatcher => {
    const path = toPath(filename, 'filename');
    const listener = rest.pop();
    validateFunction(listener, 'listener');
    const o = (rest[0] ?? {}) as { interval?: unknown; persistent?: unknown; bigint?: unknown };
    const interval = o.interval ?? 5007;
    validateInteger(interval, 'interval', 0, 2147483647);
    let w = watchers.get(path);
    if (!w) {
      w = new StatWatcher(run, path, Math.max(1, interval), o.persistent !== false, o.bigint === true);
      watchers.set(path, w);
      w.start();
    }
    w.on('change', listener as ChangeListener);
    return w;
  };
  const unwatchFile = (filename: unknown, listener?: ChangeListener): void => {
    const path = toPath(filename, 'filename');
    const w = watchers.get(path);
    if (!w) return;
    if (typeof listener === 'function') w.removeListener('change', listener);
    else w.removeAllListeners('change');
    if (w.listenerCount('change') === 0) {
      w.stop();
      watchers.delete(path);
    }
  };
  return { watchFile, unwatchFile };
}

/** One entry of a watch snapshot: its stat, keyed by path relative to the watched directory. */
type Snapshot = Map<string, Stat>;

/** The snapshot of a watched path: the file itself (key ''), or the directory's entries (the tree with `recursive`). */
function* snapshot(path: string, recursive: boolean): Program<{ dir: boolean; entries: Snapshot }> {
  const top = yield* call('watch', path, 'stat', path);
  const entries: Snapshot = new Map();
  if ((top.mode & S_IFMT) !== S_IFDIR) {
    entries.set('', top);
    return { dir: false, entries };
  }
  const queue: string[] = [''];
  for (let rel = queue.shift(); rel !== undefined; rel = queue.shift()) {
    const dir = rel === '' ? path : posix.join(path, rel);
    let names;
    try {
      names = yield* rawEntries(dir);
    } catch (e) {
      // a subdirectory that went between two calls is simply not there any more
      if (rel !== '') continue;
      throw e;
    }
    for (const d of names) {
      if (badEntryName(d.name) !== undefined) continue;
      if (entries.size >= WATCH_LIMIT) return { dir: true, entries };
      const key = rel === '' ? d.name : `${rel}/${d.name}`;
      let st: Stat;
      try {
        st = yield* call('lstat', posix.join(path, key), 'lstat', posix.join(path, key));
      } catch {
        continue;
      }
      entries.set(key, st);
      if (recursive && (st.mode & S_IFMT) === S_IFDIR) queue.push(key);
    }
  }
  return { dir: true, entries };
}

/** fs.FSWatcher: emits 'change' (eventType, filename), 'error' and 'close'. */
export class FSWatcher extends EventEmitter {
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #busy = false;
  #snap: Snapshot | undefined;
  #refed: boolean;

  /** @internal */
  constructor(
    private readonly run: Runner,
    private readonly path: string,
    private readonly opts: { recursive: boolean; buffer: boolean; interval: number; persistent: boolean },
  ) {
    super();
    this.#refed = opts.persistent;
  }

  /** @internal Take the first snapshot now (throws as node:fs's watch does) over a sync target. */
  startSync(): void {
    const first = this.run.sync('watch', snapshot(this.path, this.opts.recursive));
    this.#snap = first.entries;
    this.#arm();
  }

  /** @internal Take the first snapshot asynchronously (a RumpClient target). */
  startAsync(): void {
    this.#arm();
    void this.#poll();
  }

  #arm(): void {
    this.#timer = setInterval(() => void this.#poll(), this.opts.interval);
    if (!this.#refed) this.#timer.unref();
  }

  #emitChange(type: 'rename' | 'change', name: string): void {
    this.emit('change', type, this.opts.buffer ? nameOut(name, 'buffer') : name);
  }

  async #poll(): Promise<void> {
    if (this.#busy || this.#closed) return;
    this.#busy = true;
    try {
      let next: Snapshot;
      try {
        next = (await this.run.promise(snapshot(this.path, this.opts.recursive))).entries;
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
        // the watched path itself is gone: every entry it had is a rename
        next = new Map();
      }
      if (this.#closed) return;
      const prev = this.#snap;
      this.#snap = next;
      if (prev === undefined) return;
      const base = posix.basename(this.path);
      for (const [key, st] of next) {
        const old = prev.get(key);
        const name = key === '' ? base : key;
        if (old === undefined || old.ino !== st.ino || (old.mode & S_IFMT) !== (st.mode & S_IFMT)) this.#emitChange('rename', name);
        else if ((st.mode & S_IFMT) === S_IFDIR ? !sameAttributes(old, st) : !same(old, st)) this.#emitChange('change', name);
      }
      for (const key of prev.keys()) if (!next.has(key)) this.#emitChange('rename', key === '' ? base : key);
    } catch (e) {
      this.emit('error', translate(e, 'watch', this.path));
    } finally {
      this.#busy = false;
    }
  }

  /** Stop polling; emits 'close' on the next tick. Calling it again does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    process.nextTick(() => this.emit('close'));
  }

  /** Keep the process alive while polling (the default unless `persistent: false`). */
  ref(): this {
    this.#refed = true;
    this.#timer?.ref();
    return this;
  }

  /** Let the process exit even though polling goes on. */
  unref(): this {
    this.#refed = false;
    this.#timer?.unref();
    return this;
  }
}

interface WatchOptions {
  persistent?: boolean;
  recursive?: boolean;
  encoding?: BufferEncoding | 'buffer';
  signal?: AbortSignal;
  /** Polling period in ms (default 100): not a node:fs option. */
  interval?: number;
}

function watchOptions(options: unknown): { recursive: boolean; buffer: boolean; interval: number; persistent: boolean; signal: AbortSignal | undefined } {
  const o = (typeof options === 'string' ? { encoding: options } : (options ?? {})) as WatchOptions;
  const interval = o.interval ?? 100;
  validateInteger(interval, 'options.interval', 1, 2147483647);
  return {
    recursive: o.recursive === true,
    buffer: encodingOf(o) === 'buffer',
    interval,
    persistent: o.persistent !== false,
    signal: o.signal,
  };
}

/** fs.watch over one facade. */
export function makeWatch(run: Runner) {
  return (filename: unknown, ...rest: unknown[]): FSWatcher => {
    const path = toPath(filename, 'filename');
    const listener = typeof rest[rest.length - 1] === 'function' ? (rest.pop() as (t: string, f: string | Buffer) => void) : undefined;
    const o = watchOptions(rest[0]);
    const w = new FSWatcher(run, path, o);
    if (run.target.sync) w.startSync();
    else w.startAsync();
    if (listener) w.on('change', listener);
    if (o.signal) {
      if (o.signal.aborted) process.nextTick(() => w.close());
      else o.signal.addEventListener('abort', () => w.close(), { once: true });
    }
    return w;
  };
}

/** fs.promises.watch: an async iterator of { eventType, filename } (ended by `signal` or `return()`). */
export function makePromisesWatch(run: Runner) {
  const watch = makeWatch(run);
  return (filename: unknown, options?: unknown): AsyncIterableIterator<{ eventType: string; filename: string | Buffer }> => {
    const o = (typeof options === 'string' ? { encoding: options } : (options ?? {})) as WatchOptions;
    const w = watch(filename, { ...o, signal: undefined });
    const queue: { eventType: string; filename: string | Buffer }[] = [];
    let wake: (() => void) | undefined;
    let failure: unknown;
    let done = false;
    w.on('change', (eventType: string, name: string | Buffer) => {
      queue.push({ eventType, filename: name });
      wake?.();
    });
    w.on('error', (e) => {
      failure = e;
      wake?.();
    });
    const end = (): void => {
      done = true;
      w.close();
      wake?.();
    };
    if (o.signal) {
      if (o.signal.aborted) end();
      else o.signal.addEventListener('abort', end, { once: true });
    }
    const abortError = (): Error => Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next() {
        while (queue.length === 0 && !done && failure === undefined) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        const item = queue.shift();
        if (item) return { value: item, done: false };
        if (failure !== undefined) {
          end();
          throw failure as Error;
        }
        // node:fs's iterator rejects with an AbortError when its signal ends it
        if (o.signal?.aborted) throw abortError();
        return { value: undefined, done: true };
      },
      return() {
        end();
        return Promise.resolve({ value: undefined, done: true as const });
      },
    };
  };
}
