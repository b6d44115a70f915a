/**
 * createFs(target): a node:fs-shaped object over a rump kernel process or a mounted ukfs handle.
 * Every function is a plain closure (no `this`), so libraries may take them off the object.
 */
import type * as nodeFs from 'node:fs';
import type { RumpClient } from '@rumpts/server';
import type { Ukfs } from '@rumpts/ukfs';
import { core } from './core.js';
import type { Program, SyscallTarget, SysName } from './program.js';
import { Runner, type Target } from './runner.js';
import { Dir, openDir } from './dir.js';
import { popCallback } from './callbacks.js';
import { makeCallbackApi, readArgs, writeCall } from './callbacks.js';
import { constants } from './constants.js';
import { invalidArgType } from './errors.js';
import type { FileHandle} from './promises.js';
import { makePromisesApi } from './promises.js';
import { BigIntStats, Dirent, StatFs, Stats } from './stats.js';
import { makeStreams } from './streams.js';
import { cp } from './ops/cp.js';
import { asyncSide, type SideSource, syncSide } from './ops/cpside.js';
import { call } from './ops/common.js';
import { rawEntries } from './ops/dirs.js';
import { FSWatcher, makePromisesWatch, makeWatch, makeWatchFile, StatWatcher } from './watch.js';

/**
 * What createFs works over: a kernel process (kernel.proc, proc.rfork()…), a ukfs handle, a
 * RemoteProc (all of these synchronous), or a RumpClient (asynchronous: no *Sync calls).
 */
export type FsTarget = SyscallTarget | Pick<Ukfs, 'proc'> | Pick<RumpClient, 'call' | 'inFlight' | SysName>;

type SyncName =
  | 'openSync' | 'closeSync' | 'readSync' | 'writeSync' | 'readvSync' | 'writevSync' | 'fstatSync' | 'fsyncSync'
  | 'fdatasyncSync' | 'ftruncateSync' | 'fchmodSync' | 'fchownSync' | 'futimesSync' | 'readFileSync' | 'writeFileSync'
  | 'appendFileSync' | 'copyFileSync' | 'statSync' | 'lstatSync' | 'accessSync' | 'existsSync' | 'readdirSync' | 'mkdirSync'
  | 'mkdtempSync' | 'rmdirSync' | 'rmSync' | 'unlinkSync' | 'renameSync' | 'linkSync' | 'symlinkSync' | 'readlinkSync'
  | 'realpathSync' | 'chmodSync' | 'lchmodSync' | 'chownSync' | 'lchownSync' | 'utimesSync' | 'lutimesSync' | 'truncateSync'
  | 'opendirSync' | 'cpSync' | 'statfsSync';

type CallbackName =
  | 'open' | 'close' | 'read' | 'write' | 'readv' | 'writev' | 'fstat' | 'fsync' | 'fdatasync' | 'ftruncate' | 'fchmod'
  | 'fchown' | 'futimes' | 'readFile' | 'writeFile' | 'appendFile' | 'copyFile' | 'stat' | 'lstat' | 'access' | 'exists'
  | 'readdir' | 'mkdir' | 'mkdtemp' | 'rmdir' | 'rm' | 'unlink' | 'rename' | 'link' | 'symlink' | 'readlink' | 'realpath'
  | 'chmod' | 'lchmod' | 'chown' | 'lchown' | 'utimes' | 'lutimes' | 'truncate' | 'opendir' | 'cp' | 'statfs' | 'watch'
  | 'watchFile' | 'unwatchFile';

type PromiseName =
  | 'open' | 'readFile' | 'writeFile' | 'appendFile' | 'copyFile' | 'stat' | 'lstat' | 'access' | 'readdir' | 'mkdir'
  | 'mkdtemp' | 'rmdir' | 'rm' | 'unlink' | 'rename' | 'link' | 'symlink' | 'readlink' | 'realpath' | 'chmod' | 'lchmod'
  | 'chown' | 'lchown' | 'utimes' | 'lutimes' | 'truncate' | 'opendir' | 'cp' | 'statfs' | 'watch';

/**
 * The facade's type: exactly node:fs's own typings for the functions it has (see the README for
 * the option values they do not honour), with the host's `constants`.
 */
export interface RumpFs extends Pick<typeof nodeFs, SyncName | CallbackName | 'createReadStream' | 'createWriteStream'> {
  /** The fs.promises calls the facade has, over the same kernel target. */
  promises: Pick<typeof nodeFs.promises, PromiseName> & {
    /** The same host `constants` as `fs.constants`. */
    constants: typeof constants;
    /** The class of the handles `promises.open` returns. */
    FileHandle: typeof FileHandle;
  };
  /** fs.constants: the host's own values (open flags are turned into NetBSD's by the facade). */
  constants: typeof constants;
  /** The class of what stat/lstat/fstat return (passes `instanceof fs.Stats`). */
  Stats: typeof Stats;
  /** The class of what the stat calls return with `{ bigint: true }`. */
  BigIntStats: typeof BigIntStats;
  /** The class of what statfs returns. */
  StatFs: typeof StatFs;
  /** The class of readdir's `{ withFileTypes: true }` entries (passes `instanceof fs.Dirent`). */
  Dirent: typeof Dirent;
  /** The class of what opendir returns. */
  Dir: typeof Dir;
  /** The class of what watch returns. */
  FSWatcher: typeof FSWatcher;
  /** The class of what watchFile returns. */
  StatWatcher: typeof StatWatcher;
}

const EXPECTED = 'a Proc, a Ukfs handle, a RemoteProc or a RumpClient';

function targetOf(target: FsTarget): Target {
  if (typeof target !== 'object' || target === null) throw invalidArgType('target', EXPECTED, target);
  // A ukfs handle has file calls of its own (write(path, offset, buf)…): use its process, not them.
  if ('proc' in target) return { sync: true, proc: () => target.proc };
  // @rumpts/server's RumpClient: the same calls, returning promises.
  if ('call' in target && typeof target.call === 'function' && 'inFlight' in target) return { sync: false, client: target };
  if ('getdents' in target && typeof target.getdents === 'function') {
    const proc = target as SyscallTarget;
    return { sync: true, proc: () => proc };
  }
  throw invalidArgType('target', EXPECTED, target);
}

/** Each facade's raw directory listing (unsafe names included), for the hijack's cross-border cp. */
const rawNamesOf = new WeakMap<object, { sync: (dir: string) => string[]; async: (dir: string) => Promise<string[]> }>();

/** @internal The raw entry names of a directory through `fs` (a facade from createFs). */
export function rawNames(fs: RumpFs): { sync: (dir: string) => string[]; async: (dir: string) => Promise<string[]> } {
  const r = rawNamesOf.get(fs);
  if (!r) throw new TypeError('not a facade made by createFs');
  return r;
}

/** Every entry name of a directory, unsafe ones included (cp refuses those itself). */
function* entryNames(dir: string): Program<string[]> {
  return (yield* rawEntries(dir)).map((d) => d.name);
}

function* cwd(): Program<string> {
  return yield* call('getcwd', undefined, 'getcwd');
}

/** A program built only when it first runs, so argument errors become rejections. */
function* lazy<T>(make: () => Program<T>): Program<T> {
  return yield* make();
}

/** A node:fs-compatible object over `target` (see the README for what is and is not there). */
export function createFs(target: FsTarget): RumpFs {
  const run = new Runner(targetOf(target));
  const cb = makeCallbackApi(core, run);
  const streams = makeStreams(cb);
  const promises: ReturnType<typeof makePromisesApi> & {
    constants: typeof constants;
    opendir?: (p: unknown, o?: unknown) => Promise<Dir>;
    cp?: (src: unknown, dest: unknown, o?: unknown) => Promise<void>;
    watch?: ReturnType<typeof makePromisesWatch>;
  } = {
    ...makePromisesApi(core, run, streams),
    constants,
    watch: makePromisesWatch(run),
  };
  const S = <T>(name: string, g: Program<T>): T => run.sync(name, g);
  const realpathSync = Object.assign((p: unknown, o?: unknown) => S('realpath', core.realpath(p, o)), {
    native: (p: unknown, o?: unknown) => S('realpath', core.realpath(p, o)),
  });

  const sync = {
    openSync: (p: unknown, f?: string | number, m?: number | string) => S('open', core.open(p, f, m)),
    closeSync: (fd: unknown) => S('close', core.close(fd)),
    readSync: (fd: unknown, ...args: unknown[]) => {
      const r = readArgs(args);
      return S('read', core.read(fd, r.buffer, r.offset, r.length, r.position));
    },
    writeSync: (fd: unknown, ...args: unknown[]) => S('write', writeCall(core, fd, args)),
    readvSync: (fd: unknown, bufs: ArrayBufferView[], pos?: number | null) => S('readv', core.readv(fd, bufs, pos)),
    writevSync: (fd: unknown, bufs: ArrayBufferView[], pos?: number | null) => S('writev', core.writev(fd, bufs, pos)),
    fstatSync: (fd: unknown, o?: { bigint?: boolean }) => S('fstat', core.fstat(fd, o)),
    fsyncSync: (fd: unknown) => S('fsync', core.fsync(fd)),
    fdatasyncSync: (fd: unknown) => S('fdatasync', core.fsync(fd)),
    ftruncateSync: (fd: unknown, len?: number) => S('ftruncate', core.ftruncate(fd, len)),
    fchmodSync: (fd: unknown, m: number | string) => S('fchmod', core.fchmod(fd, m)),
    fchownSync: (fd: unknown, u: number, g: number) => S('fchown', core.fchown(fd, u, g)),
    futimesSync: (fd: unknown, a: unknown, m: unknown) => S('futimes', core.futimes(fd, a, m)),
    readFileSync: (p: unknown, o?: unknown) => S('readFile', core.readFile(p, o)),
    writeFileSync: (p: unknown, d: unknown, o?: unknown) => S('writeFile', core.writeFile(p, d, o)),
    appendFileSync: (p: unknown, d: unknown, o?: unknown) => S('appendFile', core.appendFile(p, d, o)),
    copyFileSync: (s: unknown, d: unknown, m?: number) => S('copyFile', core.copyFile(s, d, m)),
    statSync: (p: unknown, o?: { bigint?: boolean; throwIfNoEntry?: boolean }) => S('stat', core.stat(p, o)),
    lstatSync: (p: unknown, o?: { bigint?: boolean; throwIfNoEntry?: boolean }) => S('lstat', core.lstat(p, o)),
    accessSync: (p: unknown, m?: number) => S('access', core.access(p, m)),
    existsSync: (p: unknown) => S('exists', core.exists(p)),
    readdirSync: (p: unknown, o?: unknown) => S('readdir', core.readdir(p, o)),
    mkdirSync: (p: unknown, o?: unknown) => S('mkdir', core.mkdir(p, o)),
    mkdtempSync: (p: unknown, o?: unknown) => S('mkdtemp', core.mkdtemp(p, o)),
    rmdirSync: (p: unknown, o?: unknown) => S('rmdir', core.rmdir(p, o, 'sync')),
    rmSync: (p: unknown, o?: unknown) => S('rm', core.rm(p, o, 'sync')),
    statfsSync: (p: unknown, o?: { bigint?: boolean }) => S('statfs', core.statfs(p, o)),
    unlinkSync: (p: unknown) => S('unlink', core.unlink(p)),
    renameSync: (a: unknown, b: unknown) => S('rename', core.rename(a, b)),
    linkSync: (a: unknown, b: unknown) => S('link', core.link(a, b)),
    symlinkSync: (t: unknown, p: unknown) => S('symlink', core.symlink(t, p)),
    readlinkSync: (p: unknown, o?: unknown) => S('readlink', core.readlink(p, o)),
    realpathSync,
    chmodSync: (p: unknown, m: number | string) => S('chmod', core.chmod(p, m)),
    lchmodSync: (p: unknown, m: number | string) => S('lchmod', core.lchmod(p, m)),
    chownSync: (p: unknown, u: number, g: number) => S('chown', core.chown(p, u, g)),
    lchownSync: (p: unknown, u: number, g: number) => S('lchown', core.lchown(p, u, g)),
    utimesSync: (p: unknown, a: unknown, m: unknown) => S('utimes', core.utimes(p, a, m)),
    lutimesSync: (p: unknown, a: unknown, m: unknown) => S('lutimes', core.lutimes(p, a, m)),
    truncateSync: (p: unknown, len?: number) => S('truncate', core.truncate(p, len)),
    opendirSync: (p: unknown, o?: unknown) => {
      const d = S('opendir', openDir(p, false));
      return new Dir(run, d.path, d.fd, o);
    },
  };

  const opendir = (p: unknown, ...rest: unknown[]): void => {
    const done = popCallback(rest);
    run.callback(done, openDir(p), (d) => [new Dir(run, d.path, d.fd, rest[0])]);
  };
  promises.opendir = (p: unknown, o?: unknown) => run.promise(openDir(p)).then((d) => new Dir(run, d.path, d.fd, o));

  const fs = {
    ...sync,
    ...cb,
    opendir,
    Dir,
    ...streams,
    promises,
    constants,
    Stats,
    BigIntStats,
    StatFs,
    Dirent,
    FSWatcher,
    StatWatcher,
    watch: makeWatch(run),
    ...makeWatchFile(run),
  };

  // cp walks with the facade's own node:fs-level calls on both sides (ops/cp.ts)
  const self: SideSource = {
    fs: fs as unknown as SideSource['fs'],
    namesSync: (d) => run.sync('scandir', entryNames(d)),
    names: (d) => run.promise(entryNames(d)),
    cwdSync: () => run.sync('getcwd', cwd()),
    cwd: () => run.promise(cwd()),
  };
  const cpSync = (src: unknown, dest: unknown, o?: unknown): void =>
    run.sync('cp', cp(src, dest, o, { src: syncSide(self), dest: syncSide(self), same: true }, 'sync'));
  const cpAsync = (src: unknown, dest: unknown, o?: unknown): Program<void> =>
    cp(src, dest, o, { src: asyncSide(self), dest: asyncSide(self), same: true }, 'async');
  const cpCallback = (src: unknown, dest: unknown, ...rest: unknown[]): void => {
    const done = popCallback(rest);
    run.callback(done, cpAsync(src, dest, rest[0]));
  };
  promises.cp = (src: unknown, dest: unknown, o?: unknown) => run.promise(lazy(() => cpAsync(src, dest, o)));
  Object.assign(fs, { cpSync, cp: cpCallback });
  rawNamesOf.set(fs, { sync: (d) => self.namesSync(d), async: (d) => self.names(d) });
  // One cast, at the edge: the closures take `unknown` and check at run time, as node:fs does.
  return fs as unknown as RumpFs;
}
