/**
 * rumphijack for Node: make node:fs (and node:fs/promises) send calls on paths under a prefix
 * (default /rump) to a rump kernel process, leaving every other path to the host — as NetBSD's
 * rumphijack(3) does for C programs with its path prefix. Descriptors the kernel hands out are
 * shifted by RUMP_FD_BASE so that fd calls can be told apart from the host's.
 */
import { syncBuiltinESMExports } from 'node:module';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodeFs from 'node:fs';
import { decodeName, encodeName, MNT_NOSUID, S_ISGID, S_ISUID } from '@rumpts/librump';
import type { SyscallTarget } from '../core.js';
import { hostArg } from '../args.js';
import { createFs, rawNames, type RumpFs } from '../createfs.js';
import { cp } from '../ops/cp.js';
import { asyncSide, type SideSource, syncSide } from '../ops/cpside.js';
import { runSync, runSyncOrAwait, type SyscallTarget as Target } from '../program.js';
import { fsError } from '../errors.js';
import { FileHandle } from '../promises.js';
import { Dir } from '../dir.js';
import { Dirent, type Stats } from '../stats.js';
import type { CpOps } from '../ops/cp.js';

/** A cross-border cp makes no system calls of its own (every step goes through node:fs): it has no target. */
const noTarget = (): Target => {
  throw new Error('a cross-border cp made a system call');
};

/** Kernel descriptor n is n + RUMP_FD_BASE to the program (far above any host descriptor). */
export const RUMP_FD_BASE = 1 << 24;

/** What {@link installHijack} routes: the kernel target and the path prefix. */
export interface HijackOptions {
  /** The kernel process calls go to (a RemoteProc for a rump server, or a local Proc). */
  target: SyscallTarget;
  /** Paths equal to or under this go to the kernel, with the prefix taken off (default '/rump'). */
  prefix?: string;
}

/** An installed hijack: node:fs is patched until `uninstall()`. */
export interface Hijack {
  /** The prefix in effect, normalized (no trailing '/'). */
  readonly prefix: string;
  /** The facade the routed calls use. */
  readonly fs: RumpFs;
  /** Put node:fs back as it was. */
  uninstall(): void;
}

/** How a function's arguments are routed. */
type Kind = 'path' | 'pathOrFd' | 'path2' | 'symlink' | 'fd';
type Flavor = 'sync' | 'cb' | 'promise';
type AnyFn = (...args: unknown[]) => unknown;

const SYNC: Record<string, Kind> = {
  accessSync: 'path', appendFileSync: 'pathOrFd', chmodSync: 'path', chownSync: 'path', lchmodSync: 'path',
  lchownSync: 'path', lstatSync: 'path', mkdirSync: 'path', mkdtempSync: 'path', openSync: 'path',
  readFileSync: 'pathOrFd', readdirSync: 'path', readlinkSync: 'path', realpathSync: 'path', rmSync: 'path',
  rmdirSync: 'path', statSync: 'path', truncateSync: 'path', unlinkSync: 'path', utimesSync: 'path',
  lutimesSync: 'path', writeFileSync: 'pathOrFd', existsSync: 'path', renameSync: 'path2', linkSync: 'path2',
  copyFileSync: 'path2', symlinkSync: 'symlink', closeSync: 'fd', readSync: 'fd', writeSync: 'fd', readvSync: 'fd',
  writevSync: 'fd', fstatSync: 'fd', fsyncSync: 'fd', fdatasyncSync: 'fd', ftruncateSync: 'fd', fchmodSync: 'fd',
  fchownSync: 'fd', futimesSync: 'fd', opendirSync: 'path', createReadStream: 'path', createWriteStream: 'path',
  statfsSync: 'path', cpSync: 'path2',
};
/** Calls that are neither a *Sync nor a callback form: routed by path, called and returned as they are. */
const PLAIN: Record<string, Kind> = { watch: 'path', watchFile: 'path', unwatchFile: 'path' };
const CALLBACK: Record<string, Kind> = Object.fromEntries(
  Object.entries(SYNC)
    .filter(([n]) => n.endsWith('Sync'))
    .map(([n, k]) => [n.slice(0, -4), k]),
);
const PROMISES: Record<string, Kind> = {
  access: 'path', appendFile: 'pathOrFd', chmod: 'path', chown: 'path', lchmod: 'path', lchown: 'path', lstat: 'path',
  mkdir: 'path', mkdtemp: 'path', open: 'path', readFile: 'pathOrFd', readdir: 'path', readlink: 'path',
  realpath: 'path', rm: 'path', rmdir: 'path', stat: 'path', truncate: 'path', unlink: 'path', utimes: 'path',
  lutimes: 'path', writeFile: 'pathOrFd', rename: 'path2', link: 'path2', copyFile: 'path2', symlink: 'symlink',
  opendir: 'path', statfs: 'path', cp: 'path2',
};

/** Where a call goes: its kernel arguments, kernel → program paths for errors, and for a copyFile across the border, which side the source is on. */
interface Routed {
  args: unknown[];
  paths: Map<string, string>;
  cross?: { srcInRump: boolean };
}

/** Calls whose result is a kernel path the program must see with the prefix back on. */
const RETURNS_PATH = new Set(['mkdir', 'mkdtemp', 'realpath']);

/**
 * rumphijack(3) for Node: patch node:fs and node:fs/promises in place (ESM named exports too) so
 * calls on paths under the prefix, and on descriptors from RUMP_FD_BASE up, go to `opts.target`;
 * every other call reaches the host unchanged. TypeError for a relative prefix or '/'.
 */
export function installHijack(opts: HijackOptions): Hijack {
  const prefix = posix.normalize(opts.prefix ?? '/rump').replace(/\/+$/, '');
  if (!prefix.startsWith('/') || prefix === '') throw new TypeError(`hijack prefix must be an absolute path other than /: ${opts.prefix}`);
  const rfs = createFs(opts.target);
  const host = nodeFs as unknown as Record<string, unknown>;
  const hostPromises = nodeFs.promises as unknown as Record<string, unknown>;
  const rump = rfs as unknown as Record<string, AnyFn>;
  const rumpPromises = rfs.promises as unknown as Record<string, AnyFn>;
  const saved: [Record<string, unknown>, string, unknown][] = [];

  /** The kernel path for a program path under the prefix, else undefined. */
  const toKernel = (p: unknown): string | undefined => {
    let s: string;
    if (typeof p === 'string') s = p;
    // Names are bytes: a Buffer path keeps bytes that are not UTF-8 (librump decodeName).
    else if (Buffer.isBuffer(p)) s = decodeName(p);
    else if (p instanceof URL && p.protocol === 'file:') s = fileURLToPath(p);
    else return undefined;
    if (!s.startsWith('/')) return undefined;
    const n = posix.normalize(s);
    if (n === prefix || n === `${prefix}/`) return '/';
    return n.startsWith(`${prefix}/`) ? n.slice(prefix.length) : undefined;
  };
  const toProgram = (k: string): string => (k === '/' ? prefix : `${prefix}${k}`);

  /** Kernel paths in an error back to the program's. */
  const fixError = (e: unknown, paths: Map<string, string>): unknown => {
    if (!(e instanceof Error)) return e;
    const x = e as Error & { path?: string; dest?: string };
    for (const key of ['path', 'dest'] as const) {
      const v = x[key];
      if (typeof v === 'string') {
        const orig = paths.get(v) ?? (v.startsWith('/') ? toProgram(v) : v);
        if (orig !== v) {
          x.message = x.message.replace(`'${v}'`, `'${orig}'`);
          x[key] = orig;
        }
      }
    }
    return e;
  };

  const fixResult = (name: string, r: unknown): unknown => {
    if (RETURNS_PATH.has(name)) {
      if (typeof r === 'string') return toProgram(r);
      if (Buffer.isBuffer(r)) return Buffer.from(encodeName(toProgram(decodeName(r))));
    }
    if (name === 'readdir' && Array.isArray(r)) {
      return r.map((d: unknown) => (d instanceof Dirent ? d.withParentPath(toProgram(d.parentPath)) : d));
    }
    if (name === 'open' && typeof r === 'number') return r + RUMP_FD_BASE;
    if (name === 'opendir' && r instanceof Dir) return Dir.reroot(r, toProgram(r.path));
    return r;
  };

  /**
   * Decide where a call goes: undefined for the host, else the arguments for the kernel and the
   * kernel-path → program-path map for errors. Throws EXDEV for a two-path call across the border.
   */
  const routeArgs = (name: string, kind: Kind, args: unknown[]): Routed | undefined => {
    const paths = new Map<string, string>();
    const a = [...args];
    const mapPath = (i: number): boolean => {
      const k = toKernel(a[i]);
      if (k === undefined) return false;
      paths.set(k, String(a[i] instanceof URL ? fileURLToPath(a[i]) : a[i]));
      a[i] = k;
      return true;
    };
    const mapFd = (i: number): boolean => {
      const fd = a[i];
      if (typeof fd !== 'number' || fd < RUMP_FD_BASE) return false;
      a[i] = fd - RUMP_FD_BASE;
      return true;
    };
    switch (kind) {
      case 'path':
        return mapPath(0) ? { args: a, paths } : undefined;
      case 'pathOrFd':
        if (a[0] instanceof FileHandle) return { args: a, paths };
        return (typeof a[0] === 'number' ? mapFd(0) : mapPath(0)) ? { args: a, paths } : undefined;
      case 'fd':
        return mapFd(0) ? { args: a, paths } : undefined;
      case 'symlink':
        return mapPath(1) ? { args: a, paths } : undefined;
      case 'path2': {
        const first = mapPath(0);
        const second = mapPath(1);
        if (first !== second) {
          if (name.startsWith('copyFile') || name.startsWith('cp')) return { args: a, paths, cross: { srcInRump: first } };
          throw fsError('EXDEV', 18, name.replace(/Sync$/, '').toLowerCase(), String(args[0]), String(args[1]));
        }
        return first ? { args: a, paths } : undefined;
      }
    }
  };

  /**
   * A host call's arguments with its paths as hostArg gives them: a name read from the kernel (a cp
   * out of it) with escaped bytes reaches the host as exactly those bytes. No copy when none has any.
   */
  const hostArgs = (kind: Kind, args: unknown[]): unknown[] => {
    const n = kind === 'fd' ? 0 : kind === 'path' || kind === 'pathOrFd' ? 1 : 2;
    let out = args;
    for (let i = 0; i < n && i < args.length; i++) {
      const h = hostArg(args[i]);
      if (h === args[i]) continue;
      if (out === args) out = [...args];
      out[i] = h;
    }
    return out;
  };

  // The host's own calls, taken before anything is patched.
  const { readFileSync: rawHostRead, writeFileSync: rawHostWrite, statSync: rawHostStat, readdirSync: rawHostReaddir, readlinkSync: rawHostReadlink } = nodeFs;
  const hostRead = (p: string): Buffer => rawHostRead(hostArg(p) as string);
  const hostWrite = (p: string, data: Uint8Array, o: nodeFs.WriteFileOptions): void => rawHostWrite(hostArg(p) as string, data, o);
  const hostStat = (p: string): nodeFs.Stats => rawHostStat(hostArg(p) as string);
  /** A host directory's names; one that is not valid UTF-8 as the kernel would name it (decodeName), not U+FFFD. */
  const hostReaddir = (dir: string): string[] => {
    const h = hostArg(dir) as string;
    const names = rawHostReaddir(h);
    if (!names.some((n) => n.includes('\uFFFD'))) return names;
    return rawHostReaddir(h, { encoding: 'buffer' }).map((b) => decodeName(b));
  };
  /** A host symlink's target; one that is not valid UTF-8 as the kernel would hold it (decodeName), not U+FFFD. */
  const hostReadlink = (p: string): string => {
    const h = hostArg(p) as string;
    const t = rawHostReadlink(h);
    return t.includes('\uFFFD') ? decodeName(rawHostReadlink(h, { encoding: 'buffer' })) : t;
  };

  /**
   * The mode a file or directory read from kernel path `k` gets on the host: without its set-user-id
   * and set-group-id bits when its mount is nosuid (images are, unless asked) — the bits never take
   * effect there, and a host copy must not give them effect, as cp without -p drops them when it
   * does not keep the owner. When the mount cannot be asked, they are dropped too.
   */
  const hostMode = (k: string, mode: number): number => {
    if ((mode & (S_ISUID | S_ISGID)) === 0) return mode;
    let nosuid = true;
    try {
      nosuid = (opts.target.statvfs(k).flag & MNT_NOSUID) !== 0;
    } catch {
      // unknown: the safer thing
    }
    return nosuid ? mode & ~(S_ISUID | S_ISGID) : mode;
  };
  /** A cp side whose stat/lstat of kernel paths report the mode hostMode gives (what the copy writes on the host). */
  const outOfKernel = (side: CpOps): CpOps => {
    const fix = (p: string, st: Stats): Stats => {
      const k = toKernel(p);
      if (k !== undefined) st.mode = hostMode(k, st.mode);
      return st;
    };
    const wrap = (f: (p: string) => Stats | Promise<Stats>) => (p: string): Stats | Promise<Stats> => {
      const r = f(p);
      return r instanceof Promise ? r.then((st) => fix(p, st)) : fix(p, r);
    };
    return { ...side, stat: wrap((p) => side.stat(p)), lstat: wrap((p) => side.lstat(p)) };
  };

  /**
   * copyFile with one side in the kernel and one on the host: read the whole source on its side and
   * write it on the other with the source's permission bits (O_EXCL for COPYFILE_EXCL), as cp(1)
   * under rumphijack would — set-id bits from a nosuid mount dropped (hostMode).
   */
  const crossCopy = (r: Routed): void => {
    const [src, dst, mode] = r.args as [string, string, number | undefined];
    const flag = ((mode ?? 0) & nodeFs.constants.COPYFILE_EXCL) !== 0 ? 'wx' : 'w';
    if (r.cross?.srcInRump) {
      const data = rfs.readFileSync(src);
      hostWrite(dst, data, { flag, mode: hostMode(src, rfs.statSync(src).mode & 0o7777) });
    } else {
      const data = hostRead(src);
      rfs.writeFileSync(dst, data, { flag, mode: hostStat(src).mode & 0o7777 });
    }
  };

  /**
   * cp with one side in the kernel and one on the host: node:fs's cp walk (ops/cp.ts) over the
   * program's own paths, each call going to its side through the patched node:fs — and directory
   * names read from the kernel side refused, never joined onto a host path, when they are unsafe.
   */
  const names: Pick<SideSource, 'namesSync' | 'names'> = {
    namesSync: (dir) => {
      const k = toKernel(dir);
      return k === undefined ? hostReaddir(dir) : rawNames(rfs).sync(k);
    },
    names: (dir) => {
      const k = toKernel(dir);
      return k === undefined ? Promise.resolve(hostReaddir(dir)) : rawNames(rfs).async(k);
    },
  };
  /** The patched node:fs, but a host link target keeps bytes that are not UTF-8 (hostReadlink). */
  const readlinkOf = (p: string): string => (toKernel(p) === undefined ? hostReadlink(p) : nodeFs.readlinkSync(p));
  const readlinkAsync = (p: string): Promise<string> => (toKernel(p) === undefined ? Promise.resolve().then(() => hostReadlink(p)) : nodeFs.promises.readlink(p));
  // Own properties over the patched node:fs (its `promises` is a getter: defined, not assigned).
  const sideFs = Object.create(nodeFs, {
    readlinkSync: { value: readlinkOf },
    promises: { value: Object.create(nodeFs.promises, { readlink: { value: readlinkAsync } }) as typeof nodeFs.promises },
  }) as typeof nodeFs;
  const patched = (): SideSource => ({
    fs: sideFs,
    ...names,
    cwdSync: () => process.cwd(),
    cwd: () => Promise.resolve(process.cwd()),
  });
  const crossCp = (flavor: Flavor, args: unknown[]): unknown => {
    const [src, dest, options] = args;
    if (flavor === 'sync') {
      const side = syncSide(patched());
      return runSync(cp(src, dest, options, { src: outOfKernel(side), dest: side, same: false }, 'sync'), noTarget);
    }
    const side = asyncSide(patched());
    return Promise.resolve().then(() => runSyncOrAwait(cp(src, dest, options, { src: outOfKernel(side), dest: side, same: false }, 'async'), noTarget));
  };

  const wrap = (obj: Record<string, unknown>, name: string, kind: Kind, flavor: Flavor, impl: AnyFn): AnyFn | undefined => {
    const orig = obj[name];
    if (typeof orig !== 'function') return undefined;
    const base = name.replace(/Sync$/, '');
    const hostFn = orig as AnyFn;
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      let routed;
      try {
        routed = routeArgs(name, kind, args);
      } catch (e) {
        // a cross-border two-path call: report it the way this flavour reports errors
        if (flavor === 'promise') return Promise.reject(e instanceof Error ? e : new Error(String(e)));
        const cb = args[args.length - 1];
        if (flavor === 'cb' && typeof cb === 'function') {
          setImmediate(() => (cb as AnyFn)(e));
          return undefined;
        }
        throw e;
      }
      if (routed === undefined) return hostFn.apply(this, hostArgs(kind, args));
      const { args: a, paths } = routed;
      if (routed.cross && base === 'cp') {
        if (flavor !== 'cb') return crossCp(flavor, args);
        const cb = args[args.length - 1];
        if (typeof cb !== 'function') throw fsError('EINVAL', 22, 'cp', String(args[0]), String(args[1]));
        (crossCp('promise', args.slice(0, -1)) as Promise<unknown>).then(
          () => setImmediate(() => (cb as AnyFn)(null)),
          (e: unknown) => setImmediate(() => (cb as AnyFn)(e)),
        );
        return undefined;
      }
      if (routed.cross) {
        const r = routed;
        if (flavor === 'sync') {
          try {
            crossCopy(r);
            return undefined;
          } catch (e) {
            throw fixError(e, paths);
          }
        }
        if (flavor === 'promise') return Promise.resolve().then(() => crossCopy(r)).catch((e: unknown) => Promise.reject(fixError(e, paths) as Error));
        const cb = a[a.length - 1];
        let err: unknown = null;
        try {
          crossCopy(r);
        } catch (e) {
          err = fixError(e, paths);
        }
        if (typeof cb === 'function') setImmediate(() => (cb as AnyFn)(err));
        return undefined;
      }
      if (flavor === 'sync') {
        try {
          return fixResult(base, impl(...a));
        } catch (e) {
          throw fixError(e, paths);
        }
      }
      if (flavor === 'promise') {
        return (impl(...a) as Promise<unknown>).then(
          (r) => fixResult(base, r),
          (e: unknown) => Promise.reject(fixError(e, paths) as Error),
        );
      }
      const cb = a[a.length - 1];
      if (typeof cb === 'function') {
        a[a.length - 1] = (err: unknown, ...res: unknown[]) =>
          base === 'exists' ? (cb as AnyFn)(err, ...res) : (cb as AnyFn)(err === null ? null : fixError(err, paths), ...res.map((r, i) => (i === 0 ? fixResult(base, r) : r)));
      }
      return impl(...a);
    };
    saved.push([obj, name, orig]);
    obj[name] = wrapped;
    return wrapped;
  };

  for (const [name, kind] of Object.entries(SYNC)) {
    const impl = rump[name];
    if (impl) wrap(host, name, kind, 'sync', impl);
  }
  for (const [name, kind] of Object.entries(CALLBACK)) {
    const impl = rump[name];
    if (impl) wrap(host, name, kind, 'cb', impl);
  }
  for (const [name, kind] of Object.entries(PROMISES)) {
    const impl = rumpPromises[name];
    if (impl) wrap(hostPromises, name, kind, 'promise', impl);
  }
  for (const [name, kind] of Object.entries(PLAIN)) {
    const impl = rump[name];
    if (impl) wrap(host, name, kind, 'sync', impl);
  }
  // fs.promises.watch returns an async iterator, not a promise
  if (rumpPromises['watch']) wrap(hostPromises, 'watch', 'path', 'sync', rumpPromises['watch']);
  // realpath.native / realpathSync.native: the routed wrapper (the host side then uses the JS realpath)
  for (const name of ['realpathSync', 'realpath'] as const) (host[name] as Record<string, unknown>)['native'] = host[name];
  syncBuiltinESMExports();

  return {
    prefix,
    fs: rfs,
    uninstall(): void {
      for (const [obj, name, orig] of saved.splice(0).reverse()) obj[name] = orig;
      syncBuiltinESMExports();
    },
  };
}
