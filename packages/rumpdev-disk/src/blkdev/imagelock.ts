/**
 * Advisory locks on host images, as ukfs_mount_disk takes in C: shared for a read-only mount,
 * exclusive for a read-write one, so two writers (or a writer and a reader) never share an image.
 *
 * The lock is a real kernel lock on an open file description (fcntl F_OFD_SETLK on Linux, flock
 * elsewhere) through fs-native-extensions, not a lock file: it belongs to the descriptor this
 * module keeps open, so it is gone the moment the holder closes it or dies however it dies
 * (kill -9 included) — there is never a stale lock to detect or clean up. Two locks taken through
 * two descriptors conflict even inside one process. Other programs see it only if they lock too
 * (flock(1), NetBSD's ukfs); it is advisory.
 *
 * On a refusal the error names the holder when the host can tell (Linux: the process whose
 * descriptor carries the lock in /proc/PID/fdinfo).
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errno } from '@rumpts/librump';
import { hostPathOf } from '@rumpts/etfs';

/** What fs-native-extensions offers (it ships no types). */
interface NativeLocks {
  tryLock(fd: number, opts: { shared: boolean }): boolean;
  unlock(fd: number): void;
}

let native: NativeLocks | null | undefined;

/** The native lock calls, or null where the addon has no build for this platform. */
function nativeLocks(): NativeLocks | null {
  if (native === undefined) {
    const req = createRequire(import.meta.url);
    try {
      native = prebuilt(req) ?? (req('fs-native-extensions') as NativeLocks);
    } catch {
      native = null;
    }
  }
  return native;
}

/** The calls of the addon's binary itself (its binding.c), for the versions whose binding we know. */
interface LockBinding {
  tryLock(fd: number, offset: number, length: number, exclusive: boolean): void;
  unlock(fd: number, offset: number, length: number): void;
}

/**
 * The addon's prebuilt binary for this platform, loaded directly: its JavaScript loader
 * (require-addon and its resolver) finds the same file through ~20–30 ms of module loading, on the
 * way to every image a cold fsu opens. Only for the addon's 1.5 line, whose binding this wraps as its
 * index.js does (tryLock throws EAGAIN on a conflict); null elsewhere, or if the binary is not where
 * the package puts it or does not load (a musl host), and the package is then required as usual.
 */
function prebuilt(req: NodeJS.Require): NativeLocks | null {
  try {
    const dir = packageDir() ?? dirname(req.resolve('fs-native-extensions'));
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
    if (typeof pkg.version !== 'string' || !/^1\.5\.\d+$/.test(pkg.version)) return null;
    const file = join(dir, 'prebuilds', `${process.platform}-${process.arch}`, 'fs-native-extensions.node');
    if (!existsSync(file)) return null;
    const m = { exports: {} as Partial<LockBinding> };
    process.dlopen(m, file);
    if (typeof m.exports.tryLock !== 'function' || typeof m.exports.unlock !== 'function') return null;
    const b = m.exports as LockBinding;
    return {
      tryLock(fd, opts) {
        try {
          b.tryLock(fd, 0, 0, !opts.shared);
          return true;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return false;
          throw e;
        }
      },
      unlock: (fd) => b.unlock(fd, 0, 0),
    };
  } catch {
    return null;
  }
}

/**
 * The addon's package directory as Node's node_modules lookup would find it from this module (the
 * nearest `node_modules/fs-native-extensions` going up), without require.resolve: resolving through
 * pnpm's symbolic links costs a cold start 1.5–2 ms, this a few failed opens. Undefined if not found
 * (require.resolve then decides).
 */
function packageDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  // Bounded by the path's depth: each step goes one directory up until the root.
  for (;;) {
    if (basename(dir) !== 'node_modules') {
      const cand = join(dir, 'node_modules', 'fs-native-extensions');
      if (existsSync(join(cand, 'package.json'))) return cand;
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** A lock held on an image; `release()` lets it go (idempotent). */
export interface ImageLock {
  /** The image as given. */
  readonly path: string;
  /** Shared (read-only users) or exclusive (a writer). */
  readonly shared: boolean;
  /** False where the host offers no locks (the addon has no build for this platform). */
  readonly held: boolean;
  /** Let the lock go; calling it again does nothing. The lock also dies with the process. */
  release(): void;
}

/** What lockImage needs to know. */
export interface ImageLockOptions {
  /** A shared lock (several read-only users); else exclusive. */
  shared: boolean;
  /** Names the user of the image in the error, e.g. `mount` or `-d key=/dev/dk`. */
  what?: string;
}

/**
 * Lock a host image (or block device) for reading (shared) or writing (exclusive), without
 * waiting: EBUSY if another holder has it in a conflicting mode, naming the holder.
 */
export function lockImage(path: string, opts: ImageLockOptions): ImageLock {
  const locks = nativeLocks();
  let fd: number;
  let shared = opts.shared;
  try {
    // An exclusive (write) lock needs a descriptor open for writing; an image the host will not
    // let us write can have no writer through us, so a shared lock is all it needs.
    fd = openSync(hostPathOf(path), shared ? 'r' : 'r+');
  } catch (e) {
    if (shared || (e as NodeJS.ErrnoException).code !== 'EACCES') throw hostError(e, path);
    shared = true;
    fd = openSync(hostPathOf(path), 'r');
  }
  if (!locks) {
    closeSync(fd);
    return { path, shared, held: false, release: () => undefined };
  }
  let ok: boolean;
  try {
    ok = locks.tryLock(fd, { shared });
  } catch (e) {
    closeSync(fd);
    // A file system without lock support (some network mounts): go on unlocked, as flock(1) users do.
    if ((e as NodeJS.ErrnoException).code === 'ENOLCK' || (e as NodeJS.ErrnoException).code === 'EOPNOTSUPP') {
      return { path, shared, held: false, release: () => undefined };
    }
    throw hostError(e, path);
  }
  if (!ok) {
    closeSync(fd);
    const holder = describeHolder(path) ?? (shared ? 'a writer holds its lock' : 'another user holds its lock');
    throw errno('EBUSY', `${opts.what ? `${opts.what}: ` : ''}image in use: ${holder}; wait for it to end, or work through it (fsu --server URL when it is a rump server)`, { path });
  }
  let open = true;
  return {
    path,
    shared,
    held: true,
    release() {
      if (!open) return;
      open = false;
      closeSync(fd); // closing the descriptor drops the lock
    },
  };
}

function hostError(e: unknown, path: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return errno('ENOENT', `${path}: no such image`, { path });
  if (code === 'EACCES' || code === 'EPERM') return errno('EACCES', `${path}: permission denied`, { path });
  return errno('EIO', `${path}: ${e instanceof Error ? e.message : String(e)}`, { path });
}

/** Most processes and descriptors looked at while naming a holder (the error path only). */
const SCAN_LIMIT = 200_000;

/**
 * "pid 1234 (node rump_allserver …)" for the process holding a lock on `path`, found through
 * /proc/PID/fd and /proc/PID/fdinfo (Linux); undefined where that cannot be read.
 */
export function describeHolder(path: string): string | undefined {
  let target: Buffer;
  let pids: string[];
  try {
    // As bytes: the image's name may hold bytes that are not UTF-8 (an escaped path, see etfs hostPathOf).
    target = realpathSync.native(hostPathOf(path), { encoding: 'buffer' });
    pids = readdirSync('/proc').filter((p) => /^[0-9]+$/.test(p));
  } catch {
    return undefined;
  }
  let looked = 0;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or another user's
    }
    for (const fd of fds) {
      if (++looked > SCAN_LIMIT) return undefined;
      try {
        if (!readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'buffer' }).equals(target)) continue;
        const info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
        const lock = /^lock:\s.*\b(READ|WRITE)\b/m.exec(info);
        if (!lock) continue;
        const self = Number(pid) === process.pid ? ', this process' : '';
        return `pid ${pid}${self} (${commandLine(pid)}) holds a ${lock[1] === 'WRITE' ? 'write' : 'read'} lock`;
      } catch {
        // raced with a close; keep looking
      }
    }
  }
  return undefined;
}

function commandLine(pid: string): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    const text = argv.map((a) => (a.startsWith('/') && a.length > 40 ? `…/${a.split('/').slice(-2).join('/')}` : a)).join(' ');
    return text.length > 160 ? `${text.slice(0, 157)}…` : text;
  } catch {
    return '?';
  }
}
