/**
 * rm and rmdir `{ recursive }` as node:fs 20 does them (its rimraf): the option checks, the lstat
 * that decides, then unlink — or rmdir, and on ENOTEMPTY/EEXIST/EPERM the children first and rmdir
 * again — with `maxRetries` tries `retryDelay` ms apart on EBUSY/EMFILE/ENFILE/ENOTEMPTY/EPERM, and
 * ENOENT anywhere meaning "already gone". The sync and the asynchronous forms differ in node:fs and
 * differ here the same way (which call reports an error, where a retry starts over); the
 * asynchronous form removes children one after another where Node starts them all at once.
 *
 * Child paths are `path + '/' + name`, as Node joins them; names that are not one entry
 * (entryname.ts) are refused — never joined — and the removal fails at the end naming them.
 */
import { S_IFDIR, S_IFMT, type Stat } from '@rumpts/librump';
import { toPath, validateBoolean, validateInteger, validateObject } from '../args.js';
import { badEntryName, type RefusedEntry, refusedEntriesError } from '../entryname.js';
import { fsEisdir, hasCode } from '../errors.js';
import { type Program, sleep } from '../program.js';
import { call } from './common.js';
import { rawEntries } from './dirs.js';

/** Which node:fs form is being imitated: they differ in small ways (see the header). */
export type Flavor = 'sync' | 'callback' | 'promise';

interface RimrafOptions {
  recursive: boolean;
  force: boolean;
  maxRetries: number;
  retryDelay: number;
}

const NOT_EMPTY = new Set(['ENOTEMPTY', 'EEXIST', 'EPERM']);
const RETRY = new Set(['EBUSY', 'EMFILE', 'ENFILE', 'ENOTEMPTY', 'EPERM']);

function codeIn(set: ReadonlySet<string>, e: unknown): boolean {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' && set.has(c);
}

/** Node's validateRmdirOptions (+ `force` for rm): defaults merged, each option type-checked. */
function rmOptions(options: unknown, withForce: boolean): RimrafOptions {
  const defaults: RimrafOptions = { recursive: false, force: false, retryDelay: 100, maxRetries: 0 };
  if (options === undefined) return defaults;
  validateObject(options, 'options');
  const o = { ...defaults, ...options };
  validateBoolean(o.recursive, 'options.recursive');
  validateInteger(o.retryDelay, 'options.retryDelay', 0, 2147483647);
  validateInteger(o.maxRetries, 'options.maxRetries', 0, 4294967295);
  if (withForce) validateBoolean(o.force, 'options.force');
  return o;
}

function isDir(st: Stat): boolean {
  return (st.mode & S_IFMT) === S_IFDIR;
}

/** rm(path, { recursive, force, maxRetries, retryDelay }). */
export function* rm(path: unknown, options: unknown, flavor: Flavor): Program<void> {
  const p = toPath(path);
  const o = rmOptions(options, true);
  if (flavor === 'sync') {
    // rmSync skips the check when both force and recursive are set
    if (!o.force || !o.recursive) {
      let st: Stat | undefined;
      try {
        st = yield* call('lstat', p, 'lstat', p);
      } catch (e) {
        if (!(o.force && hasCode(e, 'ENOENT'))) throw e;
      }
      if (st && isDir(st) && !o.recursive) throw fsEisdir(p);
    }
    yield* walk(removeSync, p, o);
    return;
  }
  try {
    const st = yield* call('lstat', p, 'lstat', p);
    if (isDir(st) && !o.recursive) throw fsEisdir(p);
  } catch (e) {
    if (!(o.force && hasCode(e, 'ENOENT'))) throw e;
  }
  yield* walk(removeAsync, p, o);
}

/** rmdir(path[, { recursive }]): with `recursive`, node:fs 20's deprecated tree removal. */
export function* rmdir(path: unknown, options: unknown, flavor: Flavor): Program<void> {
  const p = toPath(path);
  const recursive = (options as { recursive?: unknown } | undefined)?.recursive;
  if (recursive === undefined || recursive === false || recursive === null || recursive === 0 || recursive === '') {
    rmOptions(options, false);
    yield* call('rmdir', p, 'rmdir', p);
    return;
  }
  const o = rmOptions({ ...(options as object), force: false }, true);
  // the promise form stats (following a link), the others lstat; a non-directory goes to rmdir(2)
  const st = flavor === 'promise' ? yield* call('stat', p, 'stat', p) : yield* call('lstat', p, 'lstat', p);
  if (!isDir(st)) {
    yield* call('rmdir', p, 'rmdir', p);
    return;
  }
  yield* walk(flavor === 'sync' ? removeSync : removeAsync, p, o);
}

/** A whole removal walk: its refusals, if any, end it with the error naming them. */
function* walk(remove: (path: string, o: RimrafOptions, refused: RefusedEntry[]) => Program<void>, path: string, o: RimrafOptions): Program<void> {
  const refused: RefusedEntry[] = [];
  yield* remove(path, o, refused);
  if (refused.length > 0) throw refusedEntriesError('rm', refused);
}

/** The children of `path`, refusing unsafe names; their full paths as Node joins them. */
function* children(path: string, refused: RefusedEntry[]): Program<string[]> {
  const out: string[] = [];
  for (const d of yield* rawEntries(path)) {
    const reason = badEntryName(d.name);
    if (reason === undefined) out.push(`${path}/${d.name}`);
    else refused.push({ dir: path, name: d.name, reason });
  }
  return out;
}

// ---- the sync form (rimrafSync) ----

function* removeSync(path: string, o: RimrafOptions, refused: RefusedEntry[]): Program<void> {
  let st: Stat | undefined;
  try {
    st = yield* call('lstat', path, 'lstat', path);
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return;
    // any other lstat error: try unlink, which reports what is wrong
  }
  try {
    if (st && isDir(st)) yield* rmdirSync(path, o, null, refused);
    else yield* unlinkSync(path, o);
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return;
    if (hasCode(e, 'EPERM')) {
      yield* rmdirSync(path, o, e, refused);
      return;
    }
    if (!hasCode(e, 'EISDIR')) throw e;
    yield* rmdirSync(path, o, e, refused);
  }
}

/** `tries` attempts of one call, sleeping i × retryDelay after the i-th retryable failure. */
function* withRetries(o: RimrafOptions, attempt: () => Program<void>): Program<void> {
  const tries = o.maxRetries + 1;
  for (let i = 1; i <= tries; i++) {
    try {
      yield* attempt();
      return;
    } catch (e) {
      if (codeIn(RETRY, e) && i < tries && o.retryDelay > 0) yield* sleep(i * o.retryDelay);
      else if (hasCode(e, 'ENOENT')) return;
      else if (i === tries) throw e;
    }
  }
}

function* unlinkSync(path: string, o: RimrafOptions): Program<void> {
  yield* withRetries(o, () => call('unlink', path, 'unlink', path));
}

function* rmdirSync(path: string, o: RimrafOptions, original: unknown, refused: RefusedEntry[]): Program<void> {
  try {
    yield* call('rmdir', path, 'rmdir', path);
    return;
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return;
    if (hasCode(e, 'ENOTDIR')) throw original ?? e;
    if (!codeIn(NOT_EMPTY, e)) throw original ?? e;
  }
  const before = refused.length;
  for (const child of yield* children(path, refused)) yield* removeSync(child, o, refused);
  // a refused entry is still there: rmdir could only say ENOTEMPTY; the walk's end names it instead
  if (refused.length > before) return;
  yield* withRetries(o, () => call('rmdir', path, 'rmdir', path));
}

// ---- the asynchronous form (rimraf) ----

function* removeAsync(path: string, o: RimrafOptions, refused: RefusedEntry[]): Program<void> {
  // a retryable failure starts this path over, after retries × retryDelay
  for (let retries = 0; ; ) {
    try {
      yield* removeOnce(path, o, refused);
      return;
    } catch (e) {
      if (codeIn(RETRY, e) && retries < o.maxRetries) {
        retries++;
        yield* sleep(retries * o.retryDelay);
        continue;
      }
      if (hasCode(e, 'ENOENT')) return;
      throw e;
    }
  }
}

function* removeOnce(path: string, o: RimrafOptions, refused: RefusedEntry[]): Program<void> {
  let st: Stat | undefined;
  try {
    st = yield* call('lstat', path, 'lstat', path);
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return;
  }
  if (st && isDir(st)) {
    yield* rmdirAsync(path, o, null, refused);
    return;
  }
  try {
    yield* call('unlink', path, 'unlink', path);
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return;
    if (hasCode(e, 'EISDIR') || hasCode(e, 'EPERM')) {
      yield* rmdirAsync(path, o, e, refused);
      return;
    }
    throw e;
  }
}

function* rmdirAsync(path: string, o: RimrafOptions, original: unknown, refused: RefusedEntry[]): Program<void> {
  try {
    yield* call('rmdir', path, 'rmdir', path);
    return;
  } catch (e) {
    if (hasCode(e, 'ENOTDIR')) {
      // node:fs hands back the error that sent it here — none when lstat had said "directory"
      if (original !== null) throw original as Error;
      return;
    }
    if (!codeIn(NOT_EMPTY, e)) throw e;
  }
  const before = refused.length;
  for (const child of yield* children(path, refused)) yield* removeAsync(child, o, refused);
  if (refused.length > before) return;
  yield* call('rmdir', path, 'rmdir', path);
}
