/**
 * createFs(target): a node:fs-shaped object over a rump kernel process or a mounted ukfs handle.
 * Every function is a plain closure (no `this`), so libraries may take them off the object.
 */
import type * as nodeFs from 'node:fs';
import type { Ukfs } from '@rumpts/ukfs';
import { type AnyStats, Core, type SyscallTarget } from './core.js';
import { makeCallbackApi, readArgs, writeCall } from './callbacks.js';
import { constants } from './constants.js';
import { invalidArgType } from './errors.js';
import type { FileHandle} from './promises.js';
import { makePromisesApi } from './promises.js';
import { BigIntStats, Dirent, Stats } from './stats.js';
import { makeStreams } from './streams.js';

/** What createFs works over: a kernel process (kernel.proc, proc.rfork()…) or a ukfs handle. */
export type FsTarget = SyscallTarget | Pick<Ukfs, 'proc'>;

type SyncName =
  | 'openSync' | 'closeSync' | 'readSync' | 'writeSync' | 'readvSync' | 'writevSync' | 'fstatSync' | 'fsyncSync'
  | 'fdatasyncSync' | 'ftruncateSync' | 'fchmodSync' | 'fchownSync' | 'futimesSync' | 'readFileSync' | 'writeFileSync'
  | 'appendFileSync' | 'copyFileSync' | 'statSync' | 'lstatSync' | 'accessSync' | 'existsSync' | 'readdirSync' | 'mkdirSync'
  | 'mkdtempSync' | 'rmdirSync' | 'rmSync' | 'unlinkSync' | 'renameSync' | 'linkSync' | 'symlinkSync' | 'readlinkSync'
  | 'realpathSync' | 'chmodSync' | 'lchmodSync' | 'chownSync' | 'lchownSync' | 'utimesSync' | 'lutimesSync' | 'truncateSync';

type CallbackName =
  | 'open' | 'close' | 'read' | 'write' | 'readv' | 'writev' | 'fstat' | 'fsync' | 'fdatasync' | 'ftruncate' | 'fchmod'
  | 'fchown' | 'futimes' | 'readFile' | 'writeFile' | 'appendFile' | 'copyFile' | 'stat' | 'lstat' | 'access' | 'exists'
  | 'readdir' | 'mkdir' | 'mkdtemp' | 'rmdir' | 'rm' | 'unlink' | 'rename' | 'link' | 'symlink' | 'readlink' | 'realpath'
  | 'chmod' | 'lchmod' | 'chown' | 'lchown' | 'utimes' | 'lutimes' | 'truncate';

type PromiseName =
  | 'open' | 'readFile' | 'writeFile' | 'appendFile' | 'copyFile' | 'stat' | 'lstat' | 'access' | 'readdir' | 'mkdir'
  | 'mkdtemp' | 'rmdir' | 'rm' | 'unlink' | 'rename' | 'link' | 'symlink' | 'readlink' | 'realpath' | 'chmod' | 'lchmod'
  | 'chown' | 'lchown' | 'utimes' | 'lutimes' | 'truncate';

/**
 * The facade's type: exactly node:fs's own typings for the functions it has (see the README for
 * the option values they do not honour), with this facade's NetBSD `constants`.
 */
export interface RumpFs extends Pick<typeof nodeFs, SyncName | CallbackName | 'createReadStream' | 'createWriteStream'> {
  promises: Pick<typeof nodeFs.promises, PromiseName> & { constants: typeof constants; FileHandle: typeof FileHandle };
  constants: typeof constants;
  Stats: typeof Stats;
  BigIntStats: typeof BigIntStats;
  Dirent: typeof Dirent;
}

function procOf(target: FsTarget): () => SyscallTarget {
  if (typeof target !== 'object' || target === null) throw invalidArgType('target', 'a Proc or a Ukfs handle', target);
  // A ukfs handle has file calls of its own (write(path, offset, buf)…): use its process, not them.
  if ('proc' in target) return () => target.proc;
  if ('getdents' in target && typeof target.getdents === 'function') return () => target;
  throw invalidArgType('target', 'a Proc or a Ukfs handle', target);
}

/** A node:fs-compatible object over `target` (see the README for what is and is not there). */
export function createFs(target: FsTarget): RumpFs {
  const core = new Core(procOf(target));
  const cb = makeCallbackApi(core);
  const streams = makeStreams(cb);
  const promises = { ...makePromisesApi(core, streams), constants };
  const realpathSync = Object.assign((p: unknown, o?: unknown) => core.realpath(p, o), { native: (p: unknown, o?: unknown) => core.realpath(p, o) });

  const sync = {
    openSync: (p: unknown, f?: string | number, m?: number | string) => core.open(p, f, m),
    closeSync: (fd: unknown) => core.close(fd),
    readSync: (fd: unknown, ...args: unknown[]) => {
      const r = readArgs(args);
      return core.read(fd, r.buffer, r.offset, r.length, r.position);
    },
    writeSync: (fd: unknown, ...args: unknown[]) => writeCall(core, fd, args),
    readvSync: (fd: unknown, bufs: ArrayBufferView[], pos?: number | null) => core.readv(fd, bufs, pos),
    writevSync: (fd: unknown, bufs: ArrayBufferView[], pos?: number | null) => core.writev(fd, bufs, pos),
    fstatSync: (fd: unknown, o?: { bigint?: boolean }): AnyStats => core.fstat(fd, o),
    fsyncSync: (fd: unknown) => core.fsync(fd),
    fdatasyncSync: (fd: unknown) => core.fsync(fd),
    ftruncateSync: (fd: unknown, len?: number) => core.ftruncate(fd, len),
    fchmodSync: (fd: unknown, m: number | string) => core.fchmod(fd, m),
    fchownSync: (fd: unknown, u: number, g: number) => core.fchown(fd, u, g),
    futimesSync: (fd: unknown, a: unknown, m: unknown) => core.futimes(fd, a, m),
    readFileSync: (p: unknown, o?: unknown) => core.readFile(p, o),
    writeFileSync: (p: unknown, d: unknown, o?: unknown) => core.writeFile(p, d, o),
    appendFileSync: (p: unknown, d: unknown, o?: unknown) => core.appendFile(p, d, o),
    copyFileSync: (s: unknown, d: unknown, m?: number) => core.copyFile(s, d, m),
    statSync: (p: unknown, o?: { bigint?: boolean; throwIfNoEntry?: boolean }) => core.stat(p, o),
    lstatSync: (p: unknown, o?: { bigint?: boolean; throwIfNoEntry?: boolean }) => core.lstat(p, o),
    accessSync: (p: unknown, m?: number) => core.access(p, m),
    existsSync: (p: unknown) => core.exists(p),
    readdirSync: (p: unknown, o?: unknown) => core.readdir(p, o),
    mkdirSync: (p: unknown, o?: unknown) => core.mkdir(p, o),
    mkdtempSync: (p: unknown, o?: unknown) => core.mkdtemp(p, o),
    rmdirSync: (p: unknown, o?: { recursive?: boolean }) => core.rmdir(p, o),
    rmSync: (p: unknown, o?: { recursive?: boolean; force?: boolean }) => core.rm(p, o),
    unlinkSync: (p: unknown) => core.unlink(p),
    renameSync: (a: unknown, b: unknown) => core.rename(a, b),
    linkSync: (a: unknown, b: unknown) => core.link(a, b),
    symlinkSync: (t: unknown, p: unknown) => core.symlink(t, p),
    readlinkSync: (p: unknown, o?: unknown) => core.readlink(p, o),
    realpathSync,
    chmodSync: (p: unknown, m: number | string) => core.chmod(p, m),
    lchmodSync: (p: unknown, m: number | string) => core.lchmod(p, m),
    chownSync: (p: unknown, u: number, g: number) => core.chown(p, u, g),
    lchownSync: (p: unknown, u: number, g: number) => core.lchown(p, u, g),
    utimesSync: (p: unknown, a: unknown, m: unknown) => core.utimes(p, a, m),
    lutimesSync: (p: unknown, a: unknown, m: unknown) => core.lutimes(p, a, m),
    truncateSync: (p: unknown, len?: number) => core.truncate(p, len),
  };

  const fs = {
    ...sync,
    ...cb,
    ...streams,
    promises,
    constants,
    Stats,
    BigIntStats,
    Dirent,
  };
  // One cast, at the edge: the closures take `unknown` and check at run time, as node:fs does.
  return fs as unknown as RumpFs;
}
