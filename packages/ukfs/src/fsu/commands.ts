/** The fsu commands that work inside a mounted image (fs-utils' fsu_ls, fsu_cat, fsu_ecp …). */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeSync, lstatSync, readlinkSync, symlinkSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  DT_DIR, errno, isRumpError, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG,
  S_IFSOCK, type Stat,
} from '@rumpts/librump';
import type { Ukfs } from '../ukfs.js';
import type { Progress } from './progress.js';

export type Out = (line: string) => void;

const CHUNK = 1 << 20;

/** Join image paths. */
export function ijoin(a: string, b: string): string {
  return a.endsWith('/') ? `${a}${b}` : `${a}/${b}`;
}

function names(fs: Ukfs, dir: string, all: boolean): string[] {
  return fs
    .readdir(dir)
    .map((d) => d.name)
    .filter((n) => all || !n.startsWith('.'))
    .filter((n) => n !== '.' && n !== '..')
    .sort();
}

function modeString(mode: number): string {
  const t = mode & S_IFMT;
  const c = t === S_IFDIR ? 'd' : t === S_IFLNK ? 'l' : t === S_IFCHR ? 'c' : t === S_IFBLK ? 'b' : t === S_IFIFO ? 'p' : t === S_IFSOCK ? 's' : '-';
  const r = (bit: number, ch: string): string => ((mode & bit) !== 0 ? ch : '-');
  let s = c + r(0o400, 'r') + r(0o200, 'w') + r(0o100, 'x') + r(0o40, 'r') + r(0o20, 'w') + r(0o10, 'x') + r(0o4, 'r') + r(0o2, 'w') + r(0o1, 'x');
  if (mode & 0o4000) s = s.slice(0, 3) + ((mode & 0o100) !== 0 ? 's' : 'S') + s.slice(4);
  if (mode & 0o2000) s = s.slice(0, 6) + ((mode & 0o10) !== 0 ? 's' : 'S') + s.slice(7);
  if (mode & 0o1000) s = s.slice(0, 9) + ((mode & 0o1) !== 0 ? 't' : 'T');
  return s;
}

function longLine(fs: Ukfs, path: string, name: string, st: Stat): string {
  const date = new Date(st.mtime.sec * 1000).toISOString().slice(0, 16).replace('T', ' ');
  const size = (st.mode & S_IFMT) === S_IFCHR || (st.mode & S_IFMT) === S_IFBLK ? `${st.rdev >>> 8 & 0xfff}, ${st.rdev & 0xff}` : String(st.size);
  let line = `${modeString(st.mode)} ${String(st.nlink).padStart(3)} ${String(st.uid).padEnd(5)} ${String(st.gid).padEnd(5)} ${size.padStart(9)} ${date} ${name}`;
  if ((st.mode & S_IFMT) === S_IFLNK) line += ` -> ${fs.readlink(path)}`;
  return line;
}

export function cmd_ls(fs: Ukfs, paths: string[], o: { long?: boolean; all?: boolean; recursive?: boolean }, out: Out): void {
  const targets = paths.length ? paths : ['/'];
  const one = (path: string, header: boolean): void => {
    const st = fs.lstat(path);
    if ((st.mode & S_IFMT) !== S_IFDIR) {
      out(o.long ? longLine(fs, path, path, st) : path);
      return;
    }
    if (header) out(`${path}:`);
    const ns = names(fs, path, !!o.all);
    for (const n of ns) {
      const p = ijoin(path, n);
      out(o.long ? longLine(fs, p, n, fs.lstat(p)) : n);
    }
    if (o.recursive) {
      for (const n of ns) {
        const p = ijoin(path, n);
        if ((fs.lstat(p).mode & S_IFMT) === S_IFDIR) {
          out('');
          one(p, true);
        }
      }
    }
  };
  targets.forEach((t, i) => {
    if (i > 0) out('');
    one(t, targets.length > 1 || !!o.recursive);
  });
}

/** Stream a file of the image to a sink in chunks. */
function readFileChunks(fs: Ukfs, path: string, sink: (b: Uint8Array) => void, progress?: Progress): void {
  const p = fs.proc;
  const fd = p.open(path, O_RDONLY);
  try {
    const buf = new Uint8Array(CHUNK);
    for (;;) {
      const n = p.read(fd, buf);
      if (n === 0) break;
      sink(buf.subarray(0, n));
      progress?.add(n);
    }
  } finally {
    p.close(fd);
  }
}

export function cmd_cat(fs: Ukfs, paths: string[], write: (b: Uint8Array) => void): void {
  for (const path of paths) readFileChunks(fs, path, write);
}

/** Total bytes of regular files under an image path (for the progress bar). */
function imageBytes(fs: Ukfs, path: string): number {
  const st = fs.lstat(path);
  if ((st.mode & S_IFMT) === S_IFREG) return st.size;
  if ((st.mode & S_IFMT) !== S_IFDIR) return 0;
  return names(fs, path, true).reduce((s, n) => s + imageBytes(fs, ijoin(path, n)), 0);
}

function hostBytes(path: string): number {
  const st = lstatSync(path);
  if (st.isFile()) return st.size;
  if (!st.isDirectory()) return 0;
  return readdirSync(path).reduce((s, n) => s + hostBytes(join(path, n)), 0);
}

/** cp -R destination rule: into an existing directory the source keeps its name, else it becomes dst. */
function hostTarget(src: string, dst: string): string {
  return existsSync(dst) && statSync(dst).isDirectory() ? join(dst, basename(src) || 'root') : dst;
}

export function cmd_get(fs: Ukfs, srcs: string[], dst: string, o: { recursive?: boolean }, progress: Progress): void {
  if (srcs.length > 1 && !(existsSync(dst) && statSync(dst).isDirectory())) throw errno('ENOTDIR', 'target must be a directory for several sources', { path: dst });
  progress.start(srcs.reduce((s, x) => s + imageBytes(fs, x), 0));
  const copy = (src: string, to: string): void => {
    const st = fs.lstat(src);
    const t = st.mode & S_IFMT;
    if (t === S_IFDIR) {
      if (!o.recursive) throw errno('EISDIR', 'is a directory (use -r)', { path: src });
      if (!existsSync(to)) mkdirSync(to, { mode: st.mode & 0o7777 });
      for (const n of names(fs, src, true)) copy(ijoin(src, n), join(to, n));
    } else if (t === S_IFLNK) {
      symlinkSync(fs.readlink(src), to);
    } else if (t === S_IFREG) {
      const fd = openSync(to, 'w', st.mode & 0o777);
      try {
        readFileChunks(fs, src, (b) => {
          writeSync(fd, b);
        }, progress);
      } finally {
        closeSync(fd);
      }
    } else {
      throw errno('EOPNOTSUPP', 'not copying a device node or fifo to the host', { path: src });
    }
  };
  for (const src of srcs) {
    const isRootCopy = src === '/' || src === '';
    copy(src, isRootCopy && !existsSync(dst) ? dst : hostTarget(src, dst));
  }
  progress.stop();
}

/** Image-side cp -R destination rule. */
function imageTarget(fs: Ukfs, name: string, dst: string): string {
  try {
    if ((fs.stat(dst).mode & S_IFMT) === S_IFDIR) return ijoin(dst, name);
  } catch (e) {
    if (!(isRumpError(e) && e.code === 'ENOENT')) throw e;
  }
  return dst;
}

function writeImageFile(fs: Ukfs, to: string, mode: number, chunks: (sink: (b: Uint8Array) => void) => void): void {
  const p = fs.proc;
  const fd = p.open(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
  try {
    chunks((b) => {
      let off = 0;
      while (off < b.length) off += p.write(fd, b.subarray(off));
    });
  } finally {
    p.close(fd);
  }
}

export function cmd_put(fs: Ukfs, srcs: string[], dst: string, o: { recursive?: boolean }, progress: Progress): void {
  progress.start(srcs.reduce((s, x) => s + hostBytes(x), 0));
  const copy = (src: string, to: string): void => {
    const st = lstatSync(src);
    if (st.isDirectory()) {
      if (!o.recursive) throw errno('EISDIR', 'is a directory (use -r)', { path: src });
      try {
        fs.mkdir(to, st.mode & 0o7777);
      } catch (e) {
        if (!(isRumpError(e) && e.code === 'EEXIST')) throw e;
      }
      for (const n of readdirSync(src).sort()) copy(join(src, n), ijoin(to, n));
    } else if (st.isSymbolicLink()) {
      fs.symlink(readlinkSync(src), to);
    } else if (st.isFile()) {
      writeImageFile(fs, to, st.mode & 0o7777, (sink) => {
        const fd = openSync(src, 'r');
        try {
          const buf = new Uint8Array(CHUNK);
          for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) {
            sink(buf.subarray(0, n));
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
  for (const src of srcs) copy(src, imageTarget(fs, basename(src), dst));
  progress.stop();
}

export function cmd_cp(fs: Ukfs, src: string, dst: string, o: { recursive?: boolean }): void {
  const copy = (from: string, to: string): void => {
    const st = fs.lstat(from);
    const t = st.mode & S_IFMT;
    if (t === S_IFDIR) {
      if (!o.recursive) throw errno('EISDIR', 'is a directory (use -r)', { path: from });
      fs.mkdir(to, st.mode & 0o7777);
      for (const n of names(fs, from, true)) copy(ijoin(from, n), ijoin(to, n));
    } else if (t === S_IFLNK) fs.symlink(fs.readlink(from), to);
    else if (t === S_IFREG) writeImageFile(fs, to, st.mode & 0o7777, (sink) => readFileChunks(fs, from, sink));
    else fs.mknod(to, st.mode, st.rdev);
  };
  copy(src, imageTarget(fs, basename(src), dst));
}

export function cmd_mv(fs: Ukfs, src: string, dst: string): void {
  fs.rename(src, imageTarget(fs, basename(src), dst));
}

export function cmd_rm(fs: Ukfs, paths: string[], o: { recursive?: boolean; force?: boolean }): void {
  const rm = (path: string): void => {
    let st: Stat;
    try {
      st = fs.lstat(path);
    } catch (e) {
      if (o.force && isRumpError(e) && e.code === 'ENOENT') return;
      throw e;
    }
    if ((st.mode & S_IFMT) === S_IFDIR) {
      if (!o.recursive) throw errno('EISDIR', 'is a directory (use -r)', { path });
      for (const n of names(fs, path, true)) rm(ijoin(path, n));
      fs.rmdir(path);
    } else fs.remove(path);
  };
  for (const p of paths) rm(p);
}

export function cmd_mkdir(fs: Ukfs, paths: string[], o: { parents?: boolean; mode?: number }): void {
  for (const p of paths) {
    if (o.parents) fs.builddirs(p, o.mode ?? 0o755);
    else fs.mkdir(p, o.mode ?? 0o755);
  }
}

export function cmd_touch(fs: Ukfs, paths: string[]): void {
  for (const p of paths) {
    fs.create(p, 0o644);
    fs.utimes(p, null, null);
  }
}

export function cmd_stat(fs: Ukfs, paths: string[], out: Out): void {
  for (const p of paths) {
    const st = fs.lstat(p);
    const t = (ts: { sec: number; nsec: number }): string => `${new Date(ts.sec * 1000).toISOString().replace('.000Z', '')}.${String(ts.nsec).padStart(9, '0')}Z`;
    out(`  File: ${p}${(st.mode & S_IFMT) === S_IFLNK ? ` -> ${fs.readlink(p)}` : ''}`);
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

export function cmd_find(fs: Ukfs, start: string, o: { name?: string; type?: string }, out: Out): void {
  const re = o.name ? globToRegExp(o.name) : null;
  const want = o.type ? { f: S_IFREG, d: S_IFDIR, l: S_IFLNK, p: S_IFIFO, c: S_IFCHR, b: S_IFBLK, s: S_IFSOCK }[o.type] : undefined;
  if (o.type && want === undefined) throw errno('EINVAL', `bad -type '${o.type}'`);
  const walk = (path: string, name: string, depth: number): void => {
    if (depth > 4096) throw errno('ELOOP', 'directory tree too deep', { path });
    const st = fs.lstat(path);
    if ((!re || re.test(name)) && (want === undefined || (st.mode & S_IFMT) === want)) out(path);
    if ((st.mode & S_IFMT) === S_IFDIR) {
      for (const d of fs.readdir(path)) {
        if (d.name === '.' || d.name === '..') continue;
        walk(ijoin(path, d.name), d.name, depth + 1);
      }
    }
  };
  walk(start, basename(start) || '/', 0);
}

/** du: 1 KiB blocks used, per directory (or -s the total). */
export function cmd_du(fs: Ukfs, paths: string[], o: { summary?: boolean }, out: Out): void {
  const seen = new Set<number>();
  const du = (path: string, depth: number): number => {
    const st = fs.lstat(path);
    let kb = 0;
    if (!seen.has(st.ino) || st.nlink === 1) {
      seen.add(st.ino);
      kb = Math.ceil((st.blocks * 512) / 1024);
    }
    if ((st.mode & S_IFMT) === S_IFDIR) {
      for (const d of fs.readdir(path)) {
        if (d.name === '.' || d.name === '..') continue;
        kb += du(ijoin(path, d.name), depth + 1);
      }
      if (!o.summary || depth === 0) out(`${kb}\t${path}`);
    } else if (depth === 0) out(`${kb}\t${path}`);
    return kb;
  };
  for (const p of paths.length ? paths : ['/']) du(p, 0);
}

export function cmd_df(fs: Ukfs, image: string, out: Out): void {
  const s = fs.statvfs();
  const k = (blocks: number): number => Math.floor((blocks * s.frsize) / 1024);
  const used = s.blocks - s.bfree;
  const cap = s.blocks > 0 ? Math.round((used / (used + s.bavail || 1)) * 100) : 0;
  out('Filesystem                 1K-blocks       Used      Avail Capacity  Type');
  out(`${image.padEnd(24)} ${String(k(s.blocks)).padStart(11)} ${String(k(used)).padStart(10)} ${String(k(s.bavail)).padStart(10)} ${String(cap).padStart(7)}%  ${s.fstypename}`);
}

export function cmd_write(fs: Ukfs, path: string, data: Uint8Array, append: boolean): void {
  const p = fs.proc;
  const fd = p.open(path, O_WRONLY | O_CREAT | (append ? 0 : O_TRUNC), 0o644);
  try {
    if (append) p.lseek(fd, 0, 2);
    let off = 0;
    while (off < data.length) off += p.write(fd, data.subarray(off));
  } finally {
    p.close(fd);
  }
}

/** Read all of standard input (fsu write). */
export function readStdin(): Uint8Array {
  return readFileSync(0);
}

export { DT_DIR };
