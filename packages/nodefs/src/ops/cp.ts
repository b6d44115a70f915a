/**
 * cp / cpSync / fs.promises.cp as node:fs 20 does them (its internal/fs/cp): the same option checks,
 * the same refusals (ERR_FS_CP_EINVAL for src = dest or a copy into itself, ERR_FS_CP_DIR_TO_NON_DIR,
 * ERR_FS_EISDIR without `recursive`, FIFOs and sockets refused…), files through copyFile then chmod
 * to the source's mode, symbolic links made absolute unless `verbatimSymlinks`, `filter`, `force`,
 * `errorOnExist`, `preserveTimestamps`, `dereference`.
 *
 * The walk is written once over two "sides" (where src is read, where dest is written), each a set
 * of node:fs-level operations: the facade on both sides for the facade's own cp, or the facade on
 * one side and the host's node:fs on the other for a copy across the hijack's border. Every step is
 * a `host` step of a program (program.ts), so the sync API gets plain values and the asynchronous
 * ones await — and a sync `filter` that returns a promise is refused, as cpSync refuses it.
 *
 * Directory entry names are untrusted (entryname.ts): an unsafe name is never joined onto either
 * path; it is refused, the copy goes on, and cp fails at the end naming it.
 */
import { posix } from 'node:path';
import { types } from 'node:util';
import { toPath, validateBoolean, validateFunction, validateInteger, validateObject } from '../args.js';
import { COPYFILE_EXCL, COPYFILE_FICLONE, COPYFILE_FICLONE_FORCE } from '../constants.js';
import { badEntryName, type RefusedEntry, refusedEntriesError } from '../entryname.js';
import { fsError, hasCode, hostErrnoOf, incompatibleOptions, invalidReturnValue, systemError } from '../errors.js';
import { host, type Program } from '../program.js';
import type { BigIntStats, Stats } from '../stats.js';

type R<T> = T | Promise<T>;

/** The node:fs-level operations cp needs on one side, sync or returning promises. */
export interface CpOps {
  lstat(p: string): R<Stats>;
  stat(p: string): R<Stats>;
  lstatBig(p: string): R<BigIntStats>;
  statBig(p: string): R<BigIntStats>;
  readlink(p: string): R<string>;
  symlink(target: string, p: string): R<void>;
  mkdir(p: string, recursive: boolean): R<unknown>;
  /** Every entry name of a directory as the file system gives it (unsafe names included). */
  names(p: string): R<string[]>;
  unlink(p: string): R<void>;
  chmod(p: string, mode: number): R<void>;
  utimes(p: string, atime: Date, mtime: Date): R<void>;
  copyFile(src: string, dest: string, mode: number): R<void>;
  /** The side's cwd, for resolve() (node:fs resolves against process.cwd()). */
  cwd(): R<string>;
  openRead(p: string): R<unknown>;
  openWrite(p: string, exclusive: boolean, mode: number): R<unknown>;
  /** Read up to buf.length bytes at `position`; 0 at the end. */
  read(h: unknown, buf: Buffer, position: number): R<number>;
  /** Write all of buf. */
  write(h: unknown, buf: Buffer): R<void>;
  close(h: unknown): R<void>;
}

/** Where src is read and dest written; `same` when both are one namespace (the checks that compare them apply). */
export interface CpSides {
  src: CpOps;
  dest: CpOps;
  same: boolean;
}

export interface CpOptions {
  dereference: boolean;
  errorOnExist: boolean;
  filter: ((src: string, dest: string) => unknown) | undefined;
  force: boolean;
  mode: number;
  preserveTimestamps: boolean;
  recursive: boolean;
  verbatimSymlinks: boolean;
}

/** Node's validateCpOptions. */
export function cpOptions(options: unknown): CpOptions {
  const defaults: CpOptions = {
    dereference: false, errorOnExist: false, filter: undefined, force: true, mode: 0, preserveTimestamps: false, recursive: false,
    verbatimSymlinks: false,
  };
  if (options === undefined) return defaults;
  validateObject(options, 'options');
  const o = { ...defaults, ...options };
  validateBoolean(o.dereference, 'options.dereference');
  validateBoolean(o.errorOnExist, 'options.errorOnExist');
  validateBoolean(o.force, 'options.force');
  validateBoolean(o.preserveTimestamps, 'options.preserveTimestamps');
  validateBoolean(o.recursive, 'options.recursive');
  validateBoolean(o.verbatimSymlinks, 'options.verbatimSymlinks');
  if (o.mode === undefined || o.mode === null) o.mode = 0;
  validateInteger(o.mode, 'mode', 0, COPYFILE_EXCL | COPYFILE_FICLONE | COPYFILE_FICLONE_FORCE);
  if (o.dereference && o.verbatimSymlinks) throw incompatibleOptions('dereference', 'verbatimSymlinks');
  if (o.filter !== undefined) validateFunction(o.filter, 'options.filter');
  return o;
}

/** One operation on a side, as a program step. */
function* on<T>(fn: () => R<T>): Program<T> {
  return (yield* host(fn)) as T;
}

type Flavor = 'sync' | 'async';

interface Ctx {
  sides: CpSides;
  o: CpOptions;
  flavor: Flavor;
  refused: RefusedEntry[];
  /** cwd of the src side (same-side checks resolve with it). */
  cwd: string;
}

const EINVAL_DETAIL = 'Invalid src or dest';

function cpError(key: string, prefix: string, code: string, detail: string, path: string): Error {
  return systemError(key, prefix, code, detail, path, 'cp');
}

/**
 * cp(src, dest, options) as a program over two sides. `flavor` 'sync' is cpSync (a promise from
 * `filter` is refused); 'async' is cp and fs.promises.cp.
 */
export function* cp(srcArg: unknown, destArg: unknown, options: unknown, sides: CpSides, flavor: Flavor): Program<void> {
  const o = cpOptions(options);
  const src = toPath(srcArg, 'src');
  const dest = toPath(destArg, 'dest');
  const ctx: Ctx = { sides, o, flavor, refused: [], cwd: '/' };
  ctx.cwd = sides.same ? yield* on(() => sides.src.cwd()) : '/';
  const checked = yield* checkPaths(ctx, src, dest);
  if (checked !== undefined) {
    if (sides.same) yield* checkParentPaths(ctx, src, checked.srcStat, dest);
    yield* checkParentDir(ctx, checked.destStat, src, dest);
  }
  if (ctx.refused.length > 0) throw refusedEntriesError('cp', ctx.refused);
}

function* filtered(ctx: Ctx, src: string, dest: string): Program<boolean> {
  const f = ctx.o.filter;
  if (f === undefined) return true;
  const r = yield* host(() => f(src, dest));
  if (ctx.flavor === 'sync' && types.isPromise(r)) throw invalidReturnValue('boolean', 'filter', r);
  return Boolean(r);
}

function isDirectory(st: Stats | BigIntStats): boolean {
  return st.isDirectory();
}

/** src/dest checks before anything is copied: undefined when the filter skips the pair. */
function* checkPaths(ctx: Ctx, src: string, dest: string): Program<{ srcStat: BigIntStats; destStat: BigIntStats | undefined } | undefined> {
  if (!(yield* filtered(ctx, src, dest))) return undefined;
  const { src: S, dest: D } = ctx.sides;
  const srcStat = yield* on(() => (ctx.o.dereference ? S.statBig(src) : S.lstatBig(src)));
  let destStat: BigIntStats | undefined;
  try {
    destStat = yield* on(() => (ctx.o.dereference ? D.statBig(dest) : D.lstatBig(dest)));
  } catch (e) {
    if (!hasCode(e, 'ENOENT')) throw e;
  }
  if (destStat) {
    if (ctx.sides.same && identical(srcStat, destStat)) {
      throw cpError('ERR_FS_CP_EINVAL', EINVAL_DETAIL, 'EINVAL', 'src and dest cannot be the same', dest);
    }
    if (isDirectory(srcStat) && !isDirectory(destStat)) {
      throw cpError('ERR_FS_CP_DIR_TO_NON_DIR', 'Cannot overwrite non-directory with directory', 'EISDIR', `cannot overwrite non-directory ${dest} with directory ${src}`, dest);
    }
    if (!isDirectory(srcStat) && isDirectory(destStat)) {
      throw cpError('ERR_FS_CP_NON_DIR_TO_DIR', 'Cannot overwrite directory with non-directory', 'ENOTDIR', `cannot overwrite directory ${dest} with non-directory ${src}`, dest);
    }
  }
  if (ctx.sides.same && isDirectory(srcStat) && isSubdir(ctx, src, dest)) {
    throw cpError('ERR_FS_CP_EINVAL', EINVAL_DETAIL, 'EINVAL', `cannot copy ${src} to a subdirectory of self ${dest}`, dest);
  }
  return { srcStat, destStat };
}

function identical(a: BigIntStats, b: BigIntStats): boolean {
  return b.ino !== 0n && b.dev !== 0n && a.ino === b.ino && a.dev === b.dev;
}

function resolve(ctx: Ctx, p: string): string {
  return posix.resolve(ctx.cwd, p);
}

/** Is dest (as a path string) under src or src itself? */
function isSubdir(ctx: Ctx, src: string, dest: string): boolean {
  const s = resolve(ctx, src).split('/').filter(Boolean);
  const d = resolve(ctx, dest).split('/').filter(Boolean);
  return s.every((c, i) => d[i] === c);
}

/** Walk up from dest's parent to src's parent or the root: meeting src itself means a copy into itself. */
function* checkParentPaths(ctx: Ctx, src: string, srcStat: BigIntStats, dest: string): Program<void> {
  const srcParent = resolve(ctx, posix.dirname(src));
  // bounded by the depth of dest: each round goes one component up
  for (let cur = dest; ; ) {
    const destParent = resolve(ctx, posix.dirname(cur));
    if (destParent === srcParent || destParent === '/') return;
    let st: BigIntStats;
    try {
      st = yield* on(() => ctx.sides.dest.statBig(destParent));
    } catch (e) {
      if (hasCode(e, 'ENOENT')) return;
      throw e;
    }
    if (identical(srcStat, st)) {
      throw cpError('ERR_FS_CP_EINVAL', EINVAL_DETAIL, 'EINVAL', `cannot copy ${src} to a subdirectory of self ${dest}`, dest);
    }
    cur = destParent;
  }
}

function* checkParentDir(ctx: Ctx, destStat: BigIntStats | undefined, src: string, dest: string): Program<void> {
  const destParent = posix.dirname(dest);
  let exists = true;
  try {
    yield* on(() => ctx.sides.dest.stat(destParent));
  } catch (e) {
    // cpSync uses existsSync (any error: make it); cp stats and passes on all but ENOENT
    if (ctx.flavor === 'async' && !hasCode(e, 'ENOENT')) throw e;
    exists = false;
  }
  if (!exists) yield* on(() => ctx.sides.dest.mkdir(destParent, true));
  yield* copyOne(ctx, destStat, src, dest);
}

function* copyOne(ctx: Ctx, destStat: BigIntStats | undefined, src: string, dest: string): Program<void> {
  const S = ctx.sides.src;
  const st = yield* on(() => (ctx.o.dereference ? S.stat(src) : S.lstat(src)));
  if (st.isDirectory() && ctx.o.recursive) {
    if (!destStat) {
      yield* on(() => ctx.sides.dest.mkdir(dest, false));
      yield* copyDir(ctx, src, dest);
      yield* on(() => ctx.sides.dest.chmod(dest, st.mode));
      return;
    }
    yield* copyDir(ctx, src, dest);
    return;
  }
  if (st.isDirectory()) {
    // node:fs's cpSync reports EINVAL's number here, cp EISDIR's
    const errno = hostErrnoOf(ctx.flavor === 'sync' ? 'EINVAL' : 'EISDIR');
    throw systemError('ERR_FS_EISDIR', 'Path is a directory', 'EISDIR', `${src} is a directory (not copied)`, src, 'cp', errno);
  }
  if (st.isFile() || st.isCharacterDevice() || st.isBlockDevice()) {
    if (!destStat) {
      yield* copyFile(ctx, st, src, dest);
      return;
    }
    if (ctx.o.force) {
      yield* on(() => ctx.sides.dest.unlink(dest));
      yield* copyFile(ctx, st, src, dest);
    } else if (ctx.o.errorOnExist) {
      throw cpError('ERR_FS_CP_EEXIST', 'Target already exists', 'EEXIST', `${dest} already exists`, dest);
    }
    return;
  }
  if (st.isSymbolicLink()) {
    yield* copyLink(ctx, destStat, src, dest);
    return;
  }
  if (st.isSocket()) throw cpError('ERR_FS_CP_SOCKET', 'Cannot copy a socket file', 'EINVAL', `cannot copy a socket file: ${dest}`, dest);
  if (st.isFIFO()) throw cpError('ERR_FS_CP_FIFO_PIPE', 'Cannot copy a FIFO pipe', 'EINVAL', `cannot copy a FIFO pipe: ${dest}`, dest);
  throw cpError('ERR_FS_CP_UNKNOWN', 'Cannot copy an unknown file type', 'EINVAL', `cannot copy an unknown file type: ${dest}`, dest);
}

function* copyFile(ctx: Ctx, st: Stats, src: string, dest: string): Program<void> {
  const { src: S, dest: D } = ctx.sides;
  if (ctx.sides.same) yield* on(() => S.copyFile(src, dest, ctx.o.mode));
  else yield* copyAcross(ctx, st, src, dest);
  if (ctx.o.preserveTimestamps) {
    // a read-only copy must be made writable before its times can be set
    if ((st.mode & 0o200) === 0) yield* on(() => D.chmod(dest, st.mode | 0o200));
    // the source's atime changed as it was read: stat it again
    const now = yield* on(() => S.stat(src));
    yield* on(() => D.utimes(dest, now.atime, now.mtime));
  }
  yield* on(() => D.chmod(dest, st.mode));
}

/** copyFile from one side to the other: read in 64 KiB pieces, write them, keep the permission bits. */
function* copyAcross(ctx: Ctx, st: Stats, src: string, dest: string): Program<void> {
  const { src: S, dest: D } = ctx.sides;
  const exclusive = (ctx.o.mode & COPYFILE_EXCL) !== 0;
  if ((ctx.o.mode & COPYFILE_FICLONE_FORCE) !== 0) {
    throw fsError('ENOTSUP', 86, 'copyfile', src, dest);
  }
  const input = yield* on(() => S.openRead(src));
  try {
    const output = yield* on(() => D.openWrite(dest, exclusive, st.mode & 0o7777));
    try {
      const buf = Buffer.allocUnsafe(64 * 1024);
      // ends at the first empty read; a file that keeps growing is copied as far as it has grown
      for (let pos = 0; ; ) {
        const n = yield* on(() => S.read(input, buf, pos));
        if (n <= 0) break;
        yield* on(() => D.write(output, buf.subarray(0, n)));
        pos += n;
      }
    } finally {
      yield* on(() => D.close(output));
    }
  } finally {
    yield* on(() => S.close(input));
  }
}

function* copyDir(ctx: Ctx, src: string, dest: string): Program<void> {
  const names = yield* on(() => ctx.sides.src.names(src));
  for (const name of names) {
    const reason = badEntryName(name);
    if (reason !== undefined) {
      ctx.refused.push({ dir: src, name, reason });
      continue;
    }
    const srcItem = posix.join(src, name);
    const destItem = posix.join(dest, name);
    const checked = yield* checkPaths(ctx, srcItem, destItem);
    if (checked !== undefined) yield* copyOne(ctx, checked.destStat, srcItem, destItem);
  }
}

function* copyLink(ctx: Ctx, destStat: BigIntStats | undefined, src: string, dest: string): Program<void> {
  const { src: S, dest: D } = ctx.sides;
  let target = yield* on(() => S.readlink(src));
  if (!ctx.o.verbatimSymlinks && !posix.isAbsolute(target)) target = posix.resolve(ctx.sides.same ? ctx.cwd : '/', posix.dirname(src), target);
  if (!destStat) {
    yield* on(() => D.symlink(target, dest));
    return;
  }
  let destTarget: string;
  try {
    destTarget = yield* on(() => D.readlink(dest));
  } catch (e) {
    // dest is there and is not a link: symlink says EEXIST, as node:fs lets it
    if (hasCode(e, 'EINVAL') || hasCode(e, 'UNKNOWN')) {
      yield* on(() => D.symlink(target, dest));
      return;
    }
    throw e;
  }
  if (!posix.isAbsolute(destTarget)) destTarget = posix.resolve(ctx.sides.same ? ctx.cwd : '/', posix.dirname(dest), destTarget);
  if (ctx.sides.same) {
    if (isSubdir(ctx, target, destTarget)) {
      throw cpError('ERR_FS_CP_EINVAL', EINVAL_DETAIL, 'EINVAL', `cannot copy ${target} to a subdirectory of self ${destTarget}`, dest);
    }
    const isDir = ctx.flavor === 'sync' ? (yield* on(() => D.stat(dest))).isDirectory() : (yield* on(() => S.stat(src))).isDirectory();
    if (isDir && isSubdir(ctx, destTarget, target)) {
      throw cpError('ERR_FS_CP_SYMLINK_TO_SUBDIRECTORY', 'Cannot overwrite symlink in subdirectory of self', 'EINVAL', `cannot overwrite ${destTarget} with ${target}`, dest);
    }
  }
  yield* on(() => D.unlink(dest));
  yield* on(() => D.symlink(target, dest));
}
