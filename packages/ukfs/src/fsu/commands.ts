/**
 * The fsu commands (fs-utils' fsu_ls, fsu_cat, fsu_ecp …), written against an FsuTarget so they run on a
 * mounted image or on a rump server alike. Paths are the target's; host paths are Node's.
 */
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync, symlinkSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  errno, isRumpError, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK,
  SEEK_END, type Stat,
} from '@rumpts/librump';
import type { FsuTarget } from './target.js';
import type { Progress } from './progress.js';

export type Out = (line: string) => void;

const CHUNK = 1 << 20;

/** Join target paths. */
export function ijoin(a: string, b: string): string {
  return a.endsWith('/') ? `${a}${b}` : `${a}/${b}`;
}

/** Every entry of a directory (getdents to the end). */
async function readdir(fs: FsuTarget, dir: string): Promise<{ name: string }[]> {
  const fd = await fs.open(dir, O_RDONLY);
  try {
    const out: { name: string }[] = [];
    for (let d = await fs.getdents(fd, 65536); d.length > 0; d = await fs.getdents(fd, 65536)) out.push(...d);
    return out;
  } finally {
    await fs.close(fd);
  }
}

/** Sorted names of a directory, without '.' and '..' (and dot files unless `all`). */
async function names(fs: FsuTarget, dir: string, all: boolean): Promise<string[]> {
  return (await readdir(fs, dir))
    .map((d) => d.name)
    .filter((n) => n !== '.' && n !== '..' && (all || !n.startsWith('.')))
    .sort();
}

const isDir = (st: Stat): boolean => (st.mode & S_IFMT) === S_IFDIR;

export function modeString(mode: number): string {
  const t = mode & S_IFMT;
  const c = t === S_IFDIR ? 'd' : t === S_IFLNK ? 'l' : t === S_IFCHR ? 'c' : t === S_IFBLK ? 'b' : t === S_IFIFO ? 'p' : t === S_IFSOCK ? 's' : '-';
  const r = (bit: number, ch: string): string => ((mode & bit) !== 0 ? ch : '-');
  let s = c + r(0o400, 'r') + r(0o200, 'w') + r(0o100, 'x') + r(0o40, 'r') + r(0o20, 'w') + r(0o10, 'x') + r(0o4, 'r') + r(0o2, 'w') + r(0o1, 'x');
  if (mode & 0o4000) s = s.slice(0, 3) + ((mode & 0o100) !== 0 ? 's' : 'S') + s.slice(4);
  if (mode & 0o2000) s = s.slice(0, 6) + ((mode & 0o10) !== 0 ? 's' : 'S') + s.slice(7);
  if (mode & 0o1000) s = s.slice(0, 9) + ((mode & 0o1) !== 0 ? 't' : 'T');
  return s;
}

async function longLine(fs: FsuTarget, path: string, name: string, st: Stat): Promise<string> {
  const date = new Date(st.mtime.sec * 1000).toISOString().slice(0, 16).replace('T', ' ');
  const dev = (st.mode & S_IFMT) === S_IFCHR || (st.mode & S_IFMT) === S_IFBLK;
  const size = dev ? `${(st.rdev >>> 8) & 0xfff}, ${st.rdev & 0xff}` : String(st.size);
  let line = `${modeString(st.mode)} ${String(st.nlink).padStart(3)} ${String(st.uid).padEnd(5)} ${String(st.gid).padEnd(5)} ${size.padStart(9)} ${date} ${name}`;
  if ((st.mode & S_IFMT) === S_IFLNK) line += ` -> ${await fs.readlink(path)}`;
  return line;
}

export async function cmd_ls(fs: FsuTarget, paths: string[], o: { long?: boolean; all?: boolean; recursive?: boolean }, out: Out): Promise<void> {
  const targets = paths.length ? paths : ['/'];
  const one = async (path: string, header: boolean): Promise<void> => {
    const st = await fs.lstat(path);
    if (!isDir(st)) {
      out(o.long ? await longLine(fs, path, path, st) : path);
      return;
    }
    if (header) out(`${path}:`);
    const ns = await names(fs, path, !!o.all);
    const subdirs: string[] = [];
    for (const n of ns) {
      const p = ijoin(path, n);
      const cst = await fs.lstat(p);
      if (isDir(cst)) subdirs.push(p);
      out(o.long ? await longLine(fs, p, n, cst) : n);
    }
    if (o.recursive) {
      for (const p of subdirs) {
        out('');
        await one(p, true);
      }
    }
  };
  for (let i = 0; i < targets.length; i++) {
    if (i > 0) out('');
    await one(targets[i] as string, targets.length > 1 || !!o.recursive);
  }
}

/** Stream a file of the target to a sink in chunks. */
async function readFileChunks(fs: FsuTarget, path: string, sink: (b: Uint8Array) => void, progress?: Progress): Promise<void> {
  const fd = await fs.open(path, O_RDONLY);
  try {
    const buf = new Uint8Array(CHUNK);
    for (;;) {
      const n = await fs.read(fd, buf);
      if (n === 0) break;
      sink(buf.subarray(0, n));
      progress?.add(n);
    }
  } finally {
    await fs.close(fd);
  }
}

/** Write a file of the target from chunks (created or truncated). */
async function writeFileChunks(fs: FsuTarget, to: string, mode: number, fill: (sink: (b: Uint8Array) => Promise<void>) => Promise<void>): Promise<void> {
  const fd = await fs.open(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
  try {
    await fill(async (b) => {
      let off = 0;
      while (off < b.length) off += await fs.write(fd, b.subarray(off));
    });
  } finally {
    await fs.close(fd);
  }
}

export async function cmd_cat(fs: FsuTarget, paths: string[], write: (b: Uint8Array) => void): Promise<void> {
  for (const path of paths) await readFileChunks(fs, path, write);
}

/** Total bytes of regular files under a target path (for the progress bar). */
async function targetBytes(fs: FsuTarget, path: string): Promise<number> {
  const st = await fs.lstat(path);
  if ((st.mode & S_IFMT) === S_IFREG) return st.size;
  if (!isDir(st)) return 0;
  let s = 0;
  for (const n of await names(fs, path, true)) s += await targetBytes(fs, ijoin(path, n));
  return s;
}

function hostBytes(path: string): number {
  const st = lstatSync(path);
  if (st.isFile()) return st.size;
  if (!st.isDirectory()) return 0;
  return readdirSync(path).reduce((s, n) => s + hostBytes(join(path, n)), 0);
}

const hostIsDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();

async function targetIsDir(fs: FsuTarget, p: string): Promise<boolean> {
  try {
    return isDir(await fs.stat(p));
  } catch (e) {
    if (isRumpError(e) && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return false;
    throw e;
  }
}

/** fsu get: copy out to the host, with cp -R's rule for the destination. */
export async function cmd_get(fs: FsuTarget, srcs: string[], dst: string, o: { recursive?: boolean }, progress: Progress): Promise<void> {
  if (srcs.length > 1 && !hostIsDir(dst)) throw errno('ENOTDIR', 'target must be a directory for several sources', { path: dst });
  let total = 0;
  for (const s of srcs) total += await targetBytes(fs, s);
  progress.start(total);
  const copy = async (src: string, to: string): Promise<void> => {
    const st = await fs.lstat(src);
    const t = st.mode & S_IFMT;
    if (t === S_IFDIR) {
      if (!o.recursive) throw errno('EISDIR', 'is a directory (use -r)', { path: src });
      if (!existsSync(to)) mkdirSync(to, { mode: st.mode & 0o7777 });
      for (const n of await names(fs, src, true)) await copy(ijoin(src, n), join(to, n));
    } else if (t === S_IFLNK) {
      symlinkSync(await fs.readlink(src), to);
    } else if (t === S_IFREG) {
      const fd = openSync(to, 'w', st.mode & 0o777);
      try {
        await readFileChunks(fs, src, (b) => void writeSync(fd, b), progress);
      } finally {
        closeSync(fd);
      }
    } else {
      throw errno('EOPNOTSUPP', 'not copying a device node or fifo to the host', { path: src });
    }
  };
  for (const src of srcs) {
    const root = src === '/' || src === '';
    await copy(src, root && !existsSync(dst) ? dst : hostIsDir(dst) ? join(dst, basename(src) || 'root') : dst);
  }
  progress.stop();
}

/** fsu put: copy host files in, with cp -R's rule for the destination. */
export async function cmd_put(fs: FsuTarget, srcs: string[], dst: string, o: { recursive?: boolean }, progress: Progress): Promise<void> {
  progress.start(srcs.reduce((s, x) => s + hostBytes(x), 0));
  const copy = async (src: string, to: string): Promise<void> => {
    const st = lstatSync(src);
    if (st.isDirectory()) {
      if (!o.recursive) throw errno('EISDIR', 'is a directory (use -r)', { path: src });
      try {
        await fs.mkdir(to, st.mode & 0o7777);
      } catch (e) {
        if (!(isRumpError(e) && e.code === 'EEXIST')) throw e;
      }
      for (const n of readdirSync(src).sort()) await copy(join(src, n), ijoin(to, n));
    } else if (st.isSymbolicLink()) {
      await fs.symlink(readlinkSync(src), to);
    } else if (st.isFile()) {
      await writeFileChunks(fs, to, st.mode & 0o7777, async (sink) => {
        const fd = openSync(src, 'r');
        try {
          const buf = new Uint8Array(CHUNK);
          for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) {
            await sink(buf.subarray(0, n));
            progress.add(n);
          }
        } finally {
          closeSync(fd);
        }
      });
    } else {
      throw errno('EOPNOTSUPP', 'not copying a host device, fifo or socket', { path: src });
    }
  };
  const into = await targetIsDir(fs, dst);
  if (srcs.length > 1 && !into) throw errno('ENOTDIR', 'target must be a directory for several sources', { path: dst });
  for (const src of srcs) await copy(src, into ? ijoin(dst, basename(src)) : dst);
  progress.stop();
}

export async function cmd_cp(fs: FsuTarget, src: string, dst: string, o: { recursive?: boolean }): Promise<void> {
  const copy = async (from: string, to: string): Promise<void> => {
    const st = await fs.lstat(from);
    const t = st.mode & S_IFMT;
    if (t === S_IFDIR) {
      if (!o.recursive) throw errno('EISDIR', 'is a directory (use -r)', { path: from });
      await fs.mkdir(to, st.mode & 0o7777);
      for (const n of await names(fs, from, true)) await copy(ijoin(from, n), ijoin(to, n));
    } else if (t === S_IFLNK) await fs.symlink(await fs.readlink(from), to);
    else if (t === S_IFREG) await writeFileChunks(fs, to, st.mode & 0o7777, (sink) => readFileChunks(fs, from, (b) => void sink(b)));
    else await fs.mknod(to, st.mode, st.rdev);
  };
  await copy(src, (await targetIsDir(fs, dst)) ? ijoin(dst, basename(src)) : dst);
}

export async function cmd_mv(fs: FsuTarget, src: string, dst: string): Promise<void> {
  await fs.rename(src, (await targetIsDir(fs, dst)) ? ijoin(dst, basename(src)) : dst);
}

export async function cmd_rm(fs: FsuTarget, paths: string[], o: { recursive?: boolean; force?: boolean }): Promise<void> {
  const rm = async (path: string): Promise<void> => {
    let st: Stat;
    try {
      st = await fs.lstat(path);
    } catch (e) {
      if (o.force && isRumpError(e) && e.code === 'ENOENT') return;
      throw e;
    }
    if (isDir(st)) {
      if (!o.recursive) throw errno('EISDIR', 'is a directory (use -r)', { path });
      for (const n of await names(fs, path, true)) await rm(ijoin(path, n));
      await fs.rmdir(path);
    } else await fs.unlink(path);
  };
  for (const p of paths) await rm(p);
}

export async function cmd_mkdir(fs: FsuTarget, paths: string[], o: { parents?: boolean; mode?: number }): Promise<void> {
  const mode = o.mode ?? 0o755;
  for (const p of paths) {
    if (!o.parents) {
      await fs.mkdir(p, mode);
      continue;
    }
    let cur = p.startsWith('/') ? '' : '.';
    for (const c of p.split('/').filter(Boolean)) {
      cur = `${cur}/${c}`;
      try {
        await fs.mkdir(cur, mode);
      } catch (e) {
        if (!(isRumpError(e) && e.code === 'EEXIST')) throw e;
      }
    }
  }
}

export async function cmd_touch(fs: FsuTarget, paths: string[]): Promise<void> {
  for (const p of paths) {
    await fs.close(await fs.open(p, O_WRONLY | O_CREAT, 0o644));
    await fs.utimes(p, null, null);
  }
}

export async function cmd_stat(fs: FsuTarget, paths: string[], out: Out): Promise<void> {
  const t = (ts: { sec: number; nsec: number }): string => `${new Date(ts.sec * 1000).toISOString().replace('.000Z', '')}.${String(ts.nsec).padStart(9, '0')}Z`;
  for (const p of paths) {
    const st = await fs.lstat(p);
    out(`  File: ${p}${(st.mode & S_IFMT) === S_IFLNK ? ` -> ${await fs.readlink(p)}` : ''}`);
    out(`  Size: ${st.size}  Blocks: ${st.blocks}  IO Block: ${st.blksize}  ${modeString(st.mode)}`);
    out(`Device: ${st.dev}  Inode: ${st.ino}  Links: ${st.nlink}  Flags: 0x${st.flags.toString(16)}`);
    out(`  Mode: ${(st.mode & 0o7777).toString(8).padStart(4, '0')}  Uid: ${st.uid}  Gid: ${st.gid}  Rdev: ${st.rdev}`);
    out(`Access: ${t(st.atime)}`);
    out(`Modify: ${t(st.mtime)}`);
    out(`Change: ${t(st.ctime)}`);
    out(` Birth: ${t(st.birthtime)}`);
  }
}

function globToRegExp(g: string): RegExp {
  const s = g.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.').replace(/\[!/g, '[^');
  return new RegExp(`^${s}$`);
}

const FIND_TYPES: Record<string, number> = { f: S_IFREG, d: S_IFDIR, l: S_IFLNK, p: S_IFIFO, c: S_IFCHR, b: S_IFBLK, s: S_IFSOCK };

export async function cmd_find(fs: FsuTarget, start: string, o: { name?: string; type?: string }, out: Out): Promise<void> {
  const re = o.name ? globToRegExp(o.name) : null;
  const want = o.type === undefined ? undefined : FIND_TYPES[o.type];
  if (o.type !== undefined && want === undefined) throw errno('EINVAL', `bad -type '${o.type}'`);
  const walk = async (path: string, name: string, depth: number): Promise<void> => {
    if (depth > 4096) throw errno('ELOOP', 'directory tree too deep', { path });
    const st = await fs.lstat(path);
    if ((!re || re.test(name)) && (want === undefined || (st.mode & S_IFMT) === want)) out(path);
    if (isDir(st)) for (const n of await names(fs, path, true)) await walk(ijoin(path, n), n, depth + 1);
  };
  await walk(start, basename(start) || '/', 0);
}

/** du: KiB used, per directory (or -s the total); hard links count once. */
export async function cmd_du(fs: FsuTarget, paths: string[], o: { summary?: boolean }, out: Out): Promise<void> {
  const seen = new Set<number>();
  const du = async (path: string, depth: number): Promise<number> => {
    const st = await fs.lstat(path);
    let kb = 0;
    if (st.nlink === 1 || isDir(st) || !seen.has(st.ino)) {
      seen.add(st.ino);
      kb = Math.ceil((st.blocks * 512) / 1024);
    }
    if (isDir(st)) {
      for (const n of await names(fs, path, true)) kb += await du(ijoin(path, n), depth + 1);
      if (!o.summary || depth === 0) out(`${kb}\t${path}`);
    } else if (depth === 0) out(`${kb}\t${path}`);
    return kb;
  };
  for (const p of paths.length ? paths : ['/']) await du(p, 0);
}

export async function cmd_df(fs: FsuTarget, label: string, out: Out): Promise<void> {
  const s = await fs.statvfs('/');
  const k = (blocks: number): number => Math.floor((blocks * s.frsize) / 1024);
  const used = s.blocks - s.bfree;
  const cap = s.blocks > 0 ? Math.round((used / (used + s.bavail || 1)) * 100) : 0;
  out('Filesystem                 1K-blocks       Used      Avail Capacity  Type');
  out(`${label.padEnd(24)} ${String(k(s.blocks)).padStart(11)} ${String(k(used)).padStart(10)} ${String(k(s.bavail)).padStart(10)} ${String(cap).padStart(7)}%  ${s.fstypename}`);
}

export async function cmd_write(fs: FsuTarget, path: string, data: Uint8Array, append: boolean): Promise<void> {
  const fd = await fs.open(path, O_WRONLY | O_CREAT | (append ? 0 : O_TRUNC), 0o644);
  try {
    if (append) await fs.lseek(fd, 0, SEEK_END);
    let off = 0;
    while (off < data.length) off += await fs.write(fd, data.subarray(off));
  } finally {
    await fs.close(fd);
  }
}

/** Read all of standard input (fsu write). */
export function readStdin(): Uint8Array {
  return readFileSync(0);
}
