/**
 * A side of a cp (cp.ts) made from any node:fs-shaped object — this facade, or the host's own
 * node:fs functions — in its sync form (the *Sync calls) or its asynchronous form (fs.promises).
 */
import type * as nodeFs from 'node:fs';
import type { BigIntStats, Stats } from '../stats.js';
import type { CpOps } from './cp.js';

type SyncPart = Pick<
  typeof nodeFs,
  | 'lstatSync' | 'statSync' | 'readlinkSync' | 'symlinkSync' | 'mkdirSync' | 'unlinkSync' | 'chmodSync' | 'utimesSync'
  | 'copyFileSync' | 'openSync' | 'readSync' | 'writeSync' | 'closeSync'
>;
type AsyncPart = Pick<
  typeof nodeFs.promises,
  'lstat' | 'stat' | 'readlink' | 'symlink' | 'mkdir' | 'unlink' | 'chmod' | 'utimes' | 'copyFile' | 'open'
>;

/** What a side is made of: node:fs-shaped calls, how to list a directory's raw names, and the cwd. */
export interface SideSource {
  fs: SyncPart & { promises: AsyncPart };
  /** Every entry name of a directory (unsafe ones included, for cp to refuse). */
  namesSync(dir: string): string[];
  names(dir: string): Promise<string[]>;
  cwdSync(): string;
  cwd(): Promise<string>;
}

/** The sync form of a side. */
export function syncSide(s: SideSource): CpOps {
  const f = s.fs;
  return {
    lstat: (p) => f.lstatSync(p) as unknown as Stats,
    stat: (p) => f.statSync(p) as unknown as Stats,
    lstatBig: (p) => f.lstatSync(p, { bigint: true }) as unknown as BigIntStats,
    statBig: (p) => f.statSync(p, { bigint: true }) as unknown as BigIntStats,
    readlink: (p) => f.readlinkSync(p),
    symlink: (t, p) => f.symlinkSync(t, p),
    mkdir: (p, recursive) => f.mkdirSync(p, { recursive }),
    names: (p) => s.namesSync(p),
    unlink: (p) => f.unlinkSync(p),
    chmod: (p, m) => f.chmodSync(p, m),
    utimes: (p, a, m) => f.utimesSync(p, a, m),
    copyFile: (a, b, m) => f.copyFileSync(a, b, m),
    cwd: () => s.cwdSync(),
    openRead: (p) => f.openSync(p, 'r'),
    openWrite: (p, excl, mode) => f.openSync(p, excl ? 'wx' : 'w', mode),
    read: (h, buf, pos) => f.readSync(h as number, buf, 0, buf.length, pos),
    write: (h, buf) => {
      for (let off = 0; off < buf.length; ) {
        const n = f.writeSync(h as number, buf, off, buf.length - off);
        if (n <= 0) throw new Error('write made no progress');
        off += n;
      }
    },
    close: (h) => f.closeSync(h as number),
  };
}

type Handle = Awaited<ReturnType<AsyncPart['open']>>;

/** The asynchronous form of a side (fs.promises calls; descriptors are FileHandles). */
export function asyncSide(s: SideSource): CpOps {
  const f = s.fs.promises;
  return {
    lstat: (p) => f.lstat(p) as unknown as Promise<Stats>,
    stat: (p) => f.stat(p) as unknown as Promise<Stats>,
    lstatBig: (p) => f.lstat(p, { bigint: true }) as unknown as Promise<BigIntStats>,
    statBig: (p) => f.stat(p, { bigint: true }) as unknown as Promise<BigIntStats>,
    readlink: (p) => f.readlink(p),
    symlink: (t, p) => f.symlink(t, p),
    mkdir: (p, recursive) => f.mkdir(p, { recursive }),
    names: (p) => s.names(p),
    unlink: (p) => f.unlink(p),
    chmod: (p, m) => f.chmod(p, m),
    utimes: (p, a, m) => f.utimes(p, a, m),
    copyFile: (a, b, m) => f.copyFile(a, b, m),
    cwd: () => s.cwd(),
    openRead: (p) => f.open(p, 'r'),
    openWrite: (p, excl, mode) => f.open(p, excl ? 'wx' : 'w', mode),
    read: async (h, buf, pos) => (await (h as Handle).read(buf, 0, buf.length, pos)).bytesRead,
    write: async (h, buf) => {
      for (let off = 0; off < buf.length; ) {
        const { bytesWritten } = await (h as Handle).write(buf, off, buf.length - off);
        if (bytesWritten <= 0) throw new Error('write made no progress');
        off += bytesWritten;
      }
    },
    close: (h) => (h as Handle).close(),
  };
}
