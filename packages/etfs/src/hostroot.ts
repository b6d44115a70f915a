/**
 * The host directory behind a DIR key, reached without ever following a host symlink below it.
 *
 * An etfs node names its host entry by a path below the key's root. Resolving that path by name
 * each time would follow whatever the host has put there since — a directory replaced by a symlink
 * leads anywhere on the host. So every host operation first *walks* the node's path from the root:
 * each component is opened as a directory with O_NOFOLLOW (a symlink, a file or a missing entry
 * ends the walk with ENOENT), the last one's device and inode must equal the node's, and a directory
 * the host removed (st_nlink 0) is dead. The operation then runs inside the directory it holds.
 *
 * Node has no openat(2). On Linux `/proc/self/fd/N/name` is one: the kernel resolves `N` to the very
 * directory the descriptor holds (not to a name), then looks `name` up in it. Walks use O_PATH
 * descriptors (no read permission needed, no I/O possible), so the whole chain from the root's
 * descriptor to the entry is bound to inodes, not names, and a concurrent host rename or
 * dir↔symlink swap cannot redirect it. Elsewhere the walk checks every component with lstat before
 * the operation and again after it; that leaves a window between check and use, documented in the
 * README.
 */
import { closeSync, constants as fsc, fstatSync, lstatSync, openSync, realpathSync, type BigIntStats } from 'node:fs';
import { decodeName, errno } from '@rumpts/librump';
import { hostError } from './hosterr.js';
import { hostPathOf } from './hostnames.js';

/** Linux O_PATH: the value every architecture Node runs on uses (asm-generic, x86, arm, ppc, s390, riscv). */
export const O_PATH = 0o10000000;

let btimeIsReal: boolean | undefined;

/**
 * Whether st_birthtime tells host files apart: it does where Node reads it with statx (or the BSD
 * stat); where libuv falls back to stat(2) on Linux it copies st_ctime, which changes with chmod.
 * The host's `/` tells which: its ctime moves with every entry added, its birth time never.
 */
function birthtimeIsReal(): boolean {
  if (btimeIsReal === undefined) {
    try {
      const st = lstatSync('/', { bigint: true });
      btimeIsReal = st.birthtimeNs !== st.ctimeNs;
    } catch {
      btimeIsReal = false;
    }
  }
  return btimeIsReal;
}

/**
 * A host entry's identity: `dev:ino`, and its birth time where the host keeps one — hosts reuse an
 * inode number as soon as it is freed (a directory removed and made again often gets the same
 * one), and the birth time is what tells the new entry from the old. Bigint fields keep it exact.
 */
export function hostIdOf(st: BigIntStats): string {
  const id = `${st.dev}:${st.ino}`;
  return st.birthtimeNs !== 0n && birthtimeIsReal() ? `${id}:${st.birthtimeNs}` : id;
}

/** Errors meaning "this path no longer leads to a directory": the node is stale. */
const STALE = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ESTALE']);

function stale(what: string): Error {
  return errno('ENOENT', `${what}: gone from the host, or replaced by something that is not the same directory`);
}

/** Open with NOFOLLOW semantics mapped to ENOENT for a stale component. */
function openComponent(path: string, flags: number, what: string): number {
  try {
    return openSync(hostPathOf(path), flags);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== undefined && STALE.has(code)) throw stale(what);
    throw hostError(e, `open ${what}`);
  }
}

/** How a {@link HostRoot} reaches the host: through /proc/self/fd, or by the lstat-checked fallback. */
export interface HostRootOptions {
  /** Use `/proc/self/fd` (default: when the platform has it). `false` forces the lstat fallback. */
  procfd?: boolean;
}

/** The root directory of a DIR key, held open for the key's life. */
export class HostRoot {
  /** The host path the user registered (resolved against the cwd at registration). */
  readonly path: string;
  /** The root's identity at registration. */
  readonly id: string;
  /** Whether walks are bound to descriptors (`/proc/self/fd`), or checked by lstat before and after. */
  readonly procfd: boolean;
  /** O_PATH descriptor of the root (procfd), or -1. */
  #fd = -1;
  /** The root with symlinks resolved once, at registration (fallback walks start here). */
  readonly #real: string;

  constructor(path: string, opts: HostRootOptions = {}) {
    this.path = path;
    // The key's own host path is the registering user's choice and may be a symlink: follow it once.
    // As bytes when the path holds escaped ones (a name that is not UTF-8): realpath keeps them.
    const hp = hostPathOf(path);
    this.#real = typeof hp === 'string' ? realpathSync(hp) : decodeName(realpathSync.native(hp, { encoding: 'buffer' }));
    const st = lstatSync(hostPathOf(this.#real), { bigint: true });
    if (!st.isDirectory()) throw errno('ENOTDIR', `${path} is not a directory`);
    this.id = hostIdOf(st);
    if (opts.procfd !== false && process.platform === 'linux') {
      try {
        const fd = openSync(hostPathOf(this.#real), O_PATH | fsc.O_DIRECTORY | fsc.O_NOFOLLOW);
        if (hostIdOf(fstatSync(fd, { bigint: true })) === this.id && this.#probe(fd)) this.#fd = fd;
        else closeSync(fd);
      } catch {
        this.#fd = -1;
      }
    }
    if (opts.procfd === true && this.#fd < 0) throw errno('ENOSYS', '/proc/self/fd is not available on this host');
    this.procfd = this.#fd >= 0;
  }

  /** /proc/self/fd/N/. names the directory N holds (procfs mounted, O_PATH honoured). */
  #probe(fd: number): boolean {
    try {
      const sub = openSync(`/proc/self/fd/${fd}/.`, O_PATH | fsc.O_DIRECTORY);
      try {
        return hostIdOf(fstatSync(sub, { bigint: true })) === this.id;
      } finally {
        closeSync(sub);
      }
    } catch {
      return false;
    }
  }

  /** Let go of the root (key removal). */
  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }

  /**
   * Run `fn` inside the host directory `rel` (names below the root, none of them '', '.', '..' or
   * containing '/'). `dir` is a path naming exactly that directory: `${dir}/${name}` reaches an entry
   * in it, and `dir` itself may be handed to calls that follow it (chmod, utimes) — it is the
   * directory, not a symlink. `st` is its lstat. With `id`, the directory must still be that host
   * directory. Throws ENOENT if any component is gone, not a directory, a symlink, or removed.
   */
  inDir<T>(rel: readonly string[], id: string | null, fn: (dir: string, st: BigIntStats) => T): T {
    for (const c of rel) {
      if (c === '' || c === '.' || c === '..' || c.includes('/') || c.includes('\0')) throw errno('EINVAL', `bad host path component '${c}'`);
    }
    const what = rel.length === 0 ? this.path : `${this.path}/${rel.join('/')}`;
    return this.procfd ? this.#inDirFd(rel, id, what, fn) : this.#inDirChecked(rel, id, what, fn);
  }

  #inDirFd<T>(rel: readonly string[], id: string | null, what: string, fn: (dir: string, st: BigIntStats) => T): T {
    let fd = this.#fd;
    try {
      for (const c of rel) {
        const next = openComponent(`/proc/self/fd/${fd}/${c}`, O_PATH | fsc.O_DIRECTORY | fsc.O_NOFOLLOW, what);
        if (fd !== this.#fd) closeSync(fd);
        fd = next;
      }
      const st = fstatSync(fd, { bigint: true });
      if (!st.isDirectory() || st.nlink === 0n || (id !== null && hostIdOf(st) !== id)) throw stale(what);
      return fn(`/proc/self/fd/${fd}`, st);
    } finally {
      if (fd !== this.#fd) closeSync(fd);
    }
  }

  /** Fallback without descriptors: each prefix lstat'ed (a real directory), before and after `fn`. */
  #inDirChecked<T>(rel: readonly string[], id: string | null, what: string, fn: (dir: string, st: BigIntStats) => T): T {
    const check = (): { path: string; st: BigIntStats } => {
      let path = this.#real;
      let st = this.#lstat(path, what);
      if (hostIdOf(st) !== this.id) throw stale(what);
      for (const c of rel) {
        path = path === '/' ? `/${c}` : `${path}/${c}`;
        st = this.#lstat(path, what);
      }
      if (id !== null && hostIdOf(st) !== id) throw stale(what);
      return { path, st };
    };
    const before = check();
    const out = fn(before.path, before.st);
    const after = check();
    if (hostIdOf(after.st) !== hostIdOf(before.st)) throw stale(what);
    return out;
  }

  #lstat(path: string, what: string): BigIntStats {
    let st: BigIntStats;
    try {
      st = lstatSync(hostPathOf(path), { bigint: true });
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== undefined && STALE.has(code)) throw stale(what);
      throw hostError(e, `lstat ${what}`);
    }
    if (!st.isDirectory() || st.nlink === 0n) throw stale(what);
    return st;
  }
}
