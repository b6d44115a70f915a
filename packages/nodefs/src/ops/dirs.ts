/** Directory operations as programs: readdir (flat or recursive), mkdir (-p), mkdtemp. */
import { posix } from 'node:path';
import { randomBytes } from 'node:crypto';
import { O_DIRECTORY, O_RDONLY, S_IFDIR, S_IFLNK, S_IFMT, type Dirent as KDirent, type Stat } from '@rumpts/librump';
import { encodingOf, nameOut, objectOf, toMode, toPath, validateBoolean } from '../args.js';
import { badEntryName, warnSkipped } from '../entryname.js';
import { fsError, hasCode } from '../errors.js';
import { type Program, sc } from '../program.js';
import { Dirent, dtToIfmt } from '../stats.js';
import { call, as, codeOf, errnoOf, type ReaddirOptions, type MkdirOptions } from './common.js';

/** Which node:fs form is asking: their recursive walks differ (see readdir). */
export type ReaddirFlavor = 'sync' | 'callback' | 'promise';

/**
 * readdir, flat or `recursive` as node:fs 20 walks: breadth-first for the sync and callback forms,
 * the last directory found first for the promise form; with `withFileTypes` a directory entry is
 * descended into, without it whatever stat(2) — following symbolic links — calls a directory.
 */
export function* readdir(path: unknown, options?: unknown, flavor: ReaddirFlavor = 'sync'): Program<(string | Buffer | Dirent<string | Buffer>)[]> {
  const root = toPath(path);
  const o = objectOf<ReaddirOptions>(options);
  if (o.recursive !== undefined && o.recursive !== null) validateBoolean(o.recursive, 'options.recursive');
  const encoding = encodingOf(options, 'utf8');
  const withTypes = o.withFileTypes === true;
  const name = (n: string): string | Buffer => nameOut(n, encoding);
  const out: (string | Buffer | Dirent<string | Buffer>)[] = [];
  // [directory to read, its path relative to root]
  const queue: [string, string][] = [[root, '']];
  const next = (): [string, string] | undefined => (flavor === 'promise' ? queue.pop() : queue.shift());
  for (let item = next(); item !== undefined; item = next()) {
    const [dir, rel] = item;
    for (const d of yield* entries(dir)) {
      const relName = rel === '' ? d.name : posix.join(rel, d.name);
      const child = posix.join(dir, d.name);
      let fmt = dtToIfmt(d.type);
      if (fmt === undefined && withTypes) fmt = (yield* call('lstat', child, 'lstat', child)).mode & S_IFMT;
      if (withTypes) out.push(new Dirent(name(d.name), fmt ?? 0, rel === '' ? root : posix.join(root, rel)));
      else out.push(name(relName));
      if (o.recursive !== true) continue;
      // a symbolic link loop ends at ELOOP or ENAMETOOLONG from stat: not a directory
      const descend = withTypes ? fmt === S_IFDIR : fmt === S_IFDIR || (fmt === S_IFLNK || fmt === undefined ? yield* isDirFollowing(child) : false);
      if (descend) queue.push([child, relName]);
    }
  }
  return out;
}

/** Does stat(2) call `path` a directory? (Any error: no.) */
function* isDirFollowing(path: string): Program<boolean> {
  try {
    return ((yield* sc('stat', path)).mode & S_IFMT) === S_IFDIR;
  } catch {
    return false;
  }
}

/**
 * The entries of one directory for readdir: without '.' and '..', and without names that are not
 * one entry of it (entryname.ts), which are left out with a warning.
 */
function* entries(dir: string): Program<KDirent[]> {
  const out: KDirent[] = [];
  for (const d of yield* rawEntries(dir)) {
    const bad = badEntryName(d.name);
    if (bad === undefined) out.push(d);
    else warnSkipped(dir, d.name, bad);
  }
  return out;
}

/** Every entry getdents gives but '.' and '..' (errors as readdir's: scandir on `dir`). */
export function* rawEntries(dir: string): Program<KDirent[]> {
  return yield* as('scandir', dir, scan(dir));
}

function* scan(dir: string): Program<KDirent[]> {
  const fd = yield* sc('open', dir, O_RDONLY | O_DIRECTORY);
  try {
    const out: KDirent[] = [];
    // getdents returns an empty batch at the end; a directory cannot hold more entries than bytes read
    for (let batch = yield* sc('getdents', fd, 65536); batch.length > 0; batch = yield* sc('getdents', fd, 65536)) {
      for (const d of batch) if (d.name !== '.' && d.name !== '..') out.push(d);
    }
    return out;
  } finally {
    yield* sc('close', fd);
  }
}

/** mkdir; with `recursive`, mkdir -p returning the first directory made (undefined if none). */
export function* mkdir(path: unknown, options?: unknown): Program<string | undefined> {
  const p = toPath(path);
  const o = typeof options === 'number' || typeof options === 'string' ? { mode: options } : objectOf<MkdirOptions>(options);
  const mode = toMode(o.mode, 0o777);
  if (o.recursive !== true) {
    yield* call('mkdir', p, 'mkdir', p, mode);
    return undefined;
  }
  return yield* mkdirp(p, mode, 0);
}

function* mkdirp(path: string, mode: number, depth: number): Program<string | undefined> {
  try {
    yield* sc('mkdir', path, mode);
    return path;
  } catch (e) {
    if (hasCode(e, 'EEXIST')) {
      const st = yield* maybeStat(path);
      if (st && (st.mode & S_IFMT) === S_IFDIR) return undefined;
      throw fsError('EEXIST', 17, 'mkdir', path);
    }
    const parent = posix.dirname(path);
    if (!hasCode(e, 'ENOENT') || parent === path || depth > 512) throw fsError(codeOf(e), errnoOf(e), 'mkdir', path);
    const first = yield* mkdirp(parent, mode, depth + 1);
    yield* call('mkdir', path, 'mkdir', path, mode);
    return first ?? path;
  }
}

function* maybeStat(path: string): Program<Stat | undefined> {
  try {
    return yield* sc('stat', path);
  } catch {
    return undefined;
  }
}

export function* mkdtemp(prefix: unknown, options?: unknown): Program<string | Buffer> {
  const pre = toPath(prefix, 'prefix');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (let attempt = 0; ; attempt++) {
    const name = pre + Array.from(randomBytes(6), (b) => alphabet[b % alphabet.length]).join('');
    try {
      yield* sc('mkdir', name, 0o700);
      return nameOut(name, encodingOf(options));
    } catch (e) {
      if (!hasCode(e, 'EEXIST') || attempt >= 100) throw fsError(codeOf(e), errnoOf(e), 'mkdtemp', `${pre}XXXXXX`);
    }
  }
}
