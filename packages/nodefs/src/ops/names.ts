/** Name operations as programs: stat/lstat/access/exists, link/symlink/rename/unlink, readlink/realpath, attribute setters, truncate. */
import { S_IFDIR, S_IFLNK, S_IFMT, F_OK } from '@rumpts/librump';
import { encodingOf, isFd, nameOut, toMode, toPath, toTimespec } from '../args.js';
import { fsError, hasCode } from '../errors.js';
import { type Program, sc } from '../program.js';
import { MAXSYMLINKS, call, as, toStats, type StatOptions, type AnyStats } from './common.js';
import { ftruncate } from './fd.js';
import { StatFs } from '../stats.js';

export function* stat(path: unknown, opts?: StatOptions): Program<AnyStats | undefined> {
  const p = toPath(path);
  try {
    return toStats(yield* call('stat', p, 'stat', p), opts);
  } catch (e) {
    if (opts?.throwIfNoEntry === false && hasCode(e, 'ENOENT')) return undefined;
    throw e;
  }
}

export function* lstat(path: unknown, opts?: StatOptions): Program<AnyStats | undefined> {
  const p = toPath(path);
  try {
    return toStats(yield* call('lstat', p, 'lstat', p), opts);
  } catch (e) {
    if (opts?.throwIfNoEntry === false && hasCode(e, 'ENOENT')) return undefined;
    throw e;
  }
}

export function* access(path: unknown, mode: number = F_OK): Program<void> {
  const p = toPath(path);
  yield* call('access', p, 'access', p, mode);
}

export function* exists(path: unknown): Program<boolean> {
  try {
    const p = toPath(path);
    yield* sc('stat', p);
    return true;
  } catch {
    return false;
  }
}

export function* unlink(path: unknown): Program<void> {
  const p = toPath(path);
  yield* call('unlink', p, 'unlink', p);
}

export function* rename(from: unknown, to: unknown): Program<void> {
  const f = toPath(from, 'oldPath');
  const t = toPath(to, 'newPath');
  yield* as('rename', f, sc('rename', f, t), t);
}

export function* link(existing: unknown, path: unknown): Program<void> {
  const e = toPath(existing, 'existingPath');
  const n = toPath(path, 'newPath');
  yield* as('link', e, sc('link', e, n), n);
}

/** symlink(target, path): `type` is for Windows and ignored, as on POSIX Node. */
export function* symlink(target: unknown, path: unknown): Program<void> {
  const t = toPath(target, 'target');
  const p = toPath(path);
  yield* as('symlink', t, sc('symlink', t, p), p);
}

export function* readlink(path: unknown, options?: unknown): Program<string | Buffer> {
  const p = toPath(path);
  const s = yield* call('readlink', p, 'readlink', p);
  return nameOut(s, encodingOf(options));
}

/**
 * realpath: resolve '.', '..' and symbolic links component by component from the process's cwd,
 * at most MAXSYMLINKS links (ELOOP past that), like realpath(3).
 */
export function* realpath(path: unknown, options?: unknown): Program<string | Buffer> {
  const input = toPath(path);
  const start = input.startsWith('/') ? '/' : yield* call('realpath', input, 'getcwd');
  const resolved: string[] = start.split('/').filter((c) => c !== '');
  const pending = input.split('/').filter((c) => c !== '').reverse();
  let links = 0;
  for (let c = pending.pop(); c !== undefined; c = pending.pop()) {
    if (c === '.') continue;
    if (c === '..') {
      resolved.pop();
      continue;
    }
    const candidate = `/${[...resolved, c].join('/')}`;
    const st = yield* call('lstat', input, 'lstat', candidate);
    if ((st.mode & S_IFMT) === S_IFLNK) {
      if (++links > MAXSYMLINKS) throw fsError('ELOOP', 62, 'realpath', input);
      const target = yield* call('readlink', input, 'readlink', candidate);
      if (target.startsWith('/')) resolved.length = 0;
      for (const t of target.split('/').filter((x) => x !== '').reverse()) pending.push(t);
    } else {
      if (pending.length > 0 && (st.mode & S_IFMT) !== S_IFDIR) throw fsError('ENOTDIR', 20, 'realpath', input);
      resolved.push(c);
    }
  }
  const out = `/${resolved.join('/')}`;
  return nameOut(out, encodingOf(options));
}

export function* chmod(path: unknown, mode: number | string): Program<void> {
  const p = toPath(path);
  const m = toMode(mode, 0);
  yield* call('chmod', p, 'chmod', p, m);
}

export function* lchmod(path: unknown, mode: number | string): Program<void> {
  const p = toPath(path);
  const m = toMode(mode, 0);
  yield* call('lchmod', p, 'lchmod', p, m);
}

export function* chown(path: unknown, uid: number, gid: number): Program<void> {
  const p = toPath(path);
  yield* call('chown', p, 'chown', p, uid, gid);
}

export function* lchown(path: unknown, uid: number, gid: number): Program<void> {
  const p = toPath(path);
  yield* call('lchown', p, 'lchown', p, uid, gid);
}

export function* utimes(path: unknown, atime: unknown, mtime: unknown): Program<void> {
  const p = toPath(path);
  const a = toTimespec(atime, 'atime');
  const m = toTimespec(mtime, 'mtime');
  yield* call('utime', p, 'utimes', p, a, m);
}

export function* lutimes(path: unknown, atime: unknown, mtime: unknown): Program<void> {
  const p = toPath(path);
  const a = toTimespec(atime, 'atime');
  const m = toTimespec(mtime, 'mtime');
  yield* call('lutime', p, 'lutimes', p, a, m);
}

export function* truncate(path: unknown, len = 0): Program<void> {
  if (isFd(path)) {
    yield* ftruncate(path, len);
    return;
  }
  const p = toPath(path);
  yield* call('open', p, 'truncate', p, Math.max(0, len));
}

/** statfs: the file system's sizes from statvfs(2), as fs.StatFs. */
export function* statfs(path: unknown, opts?: { bigint?: boolean }): Program<StatFs<number> | StatFs<bigint>> {
  const p = toPath(path);
  const sv = yield* call('statfs', p, 'statvfs', p);
  return opts?.bigint === true ? new StatFs<bigint>(sv, true) : new StatFs<number>(sv, false);
}
