/**
 * fsu ls: ls(1) on a target. Operands that are not directories are listed first, then each directory
 * under a `path:` header when there are several; `-l` prints ls's long format (a `total` line of 1 KiB
 * blocks per directory, columns aligned, dates as ls prints them in local time), `-a` includes `.` and
 * `..`, `-d` lists directories themselves, `-R` recurses. Owners are numeric: an image has no password
 * file.
 */
import { S_IFBLK, S_IFCHR, S_IFLNK, S_IFMT, S_IFDIR, S_IFIFO, S_IFSOCK, isRumpError, nameText, type Stat } from '@rumpts/librump';
import { major, minor } from '@rumpts/rumpvfs';
import type { Io } from './stdio.js';
import type { FsuTarget } from './target.js';
import { Ancestry, ijoin, isDir, names } from './walk.js';

export interface LsOptions {
  long?: boolean;
  all?: boolean;
  recursive?: boolean;
  directory?: boolean;
}

/** ls's mode column: type letter and rwx triplets with s/S/t/T. */
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

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SIX_MONTHS_MS = ((365.2425 * 24 * 3600) / 2) * 1000;

/**
 * ls's date column in local time: `Mon dd HH:MM` for the last six months, else `Mon dd  YYYY` (also
 * for times in the future), as ls(1) prints them.
 */
export function lsDate(sec: number, now = Date.now()): string {
  const ms = sec * 1000;
  const d = new Date(ms);
  const head = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)}`;
  if (ms > now - SIX_MONTHS_MS && ms <= now) return `${head} ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return `${head}  ${d.getFullYear()}`;
}

interface Entry {
  /** Where it is on the target. */
  path: string;
  /** What ls prints for it. */
  name: string;
  st: Stat;
}

const isDevice = (st: Stat): boolean => (st.mode & S_IFMT) === S_IFCHR || (st.mode & S_IFMT) === S_IFBLK;

/** Print entries, in long format with columns aligned across them. */
async function print(fs: FsuTarget, entries: Entry[], o: LsOptions, io: Io): Promise<void> {
  if (!o.long) {
    // A name's bytes that are not valid UTF-8 show as \xNN: names that differ only there stay apart.
    for (const e of entries) io.out(nameText(e.name));
    return;
  }
  const sizes = entries.map((e) => (isDevice(e.st) ? `${major(e.st.rdev)}, ${minor(e.st.rdev)}` : String(e.st.size)));
  const w = (f: (e: Entry, i: number) => string): number => entries.reduce((m, e, i) => Math.max(m, f(e, i).length), 0);
  const wl = w((e) => String(e.st.nlink));
  const wu = w((e) => String(e.st.uid));
  const wg = w((e) => String(e.st.gid));
  const ws = w((_e, i) => sizes[i] as string);
  const now = Date.now();
  for (const [i, e] of entries.entries()) {
    let line = `${modeString(e.st.mode)} ${String(e.st.nlink).padStart(wl)} ${String(e.st.uid).padEnd(wu)} ${String(e.st.gid).padEnd(wg)} ${(sizes[i] as string).padStart(ws)} ${lsDate(e.st.mtime.sec, now)} ${nameText(e.name)}`;
    if ((e.st.mode & S_IFMT) === S_IFLNK) {
      try {
        line += ` -> ${nameText(await fs.readlink(e.path))}`;
      } catch (err) {
        io.fail(err, e.path);
      }
    }
    io.out(line);
  }
}

/** ls [-l] [-a] [-R] [-d] PATH…: every operand is tried; a bad one is reported and the others listed. */
export async function cmd_ls(fs: FsuTarget, paths: string[], o: LsOptions, io: Io): Promise<void> {
  const operands = paths.length ? paths : ['/'];
  const files: Entry[] = [];
  const dirs: Entry[] = [];
  for (const path of operands) {
    try {
      // Like ls, a symbolic link operand is followed to a directory unless -l or -d asks about the link.
      let st = await fs.lstat(path);
      if ((st.mode & S_IFMT) === S_IFLNK && !o.long && !o.directory) {
        try {
          st = await fs.stat(path);
        } catch (e) {
          if (!isRumpError(e)) throw e; // dangling: list the link itself
        }
      }
      (isDir(st) && !o.directory ? dirs : files).push({ path, name: path, st });
    } catch (e) {
      io.fail(e, path);
    }
  }
  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  dirs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  await print(fs, files, o, io);
  const headers = files.length > 0 || dirs.length > 1 || !!o.recursive;
  let first = files.length === 0;
  const ancestry = new Ancestry();
  const listDir = async (dir: Entry): Promise<void> => {
    if (!first) io.out('');
    first = false;
    if (headers) io.out(`${nameText(dir.path)}:`);
    let entries: Entry[];
    try {
      const ns = await names(fs, dir.path, !!o.all, io);
      entries = [];
      if (o.all) entries.push({ path: dir.path, name: '.', st: dir.st }, { path: ijoin(dir.path, '..'), name: '..', st: dir.st });
      const needStat = !!o.long || !!o.recursive;
      for (const n of ns) {
        const p = ijoin(dir.path, n);
        try {
          entries.push({ path: p, name: n, st: needStat ? await fs.lstat(p) : dir.st });
        } catch (e) {
          io.fail(e, p);
        }
      }
      if (o.all && o.long) {
        const dotdot = entries[1] as Entry;
        try {
          dotdot.st = await fs.lstat(dotdot.path);
        } catch (e) {
          io.fail(e, dotdot.path);
        }
      }
    } catch (e) {
      io.fail(e, dir.path);
      return;
    }
    if (o.long) io.out(`total ${Math.ceil(entries.reduce((s, e) => s + e.st.blocks, 0) / 2)}`);
    await print(fs, entries, o, io);
    if (!o.recursive) return;
    for (const e of entries) {
      if (e.name === '.' || e.name === '..' || !isDir(e.st)) continue;
      if (!ancestry.enter(e.path, e.st, io)) continue;
      try {
        await listDir(e);
      } finally {
        ancestry.leave();
      }
    }
  };
  for (const d of dirs) {
    if (!ancestry.enter(d.path, d.st, io)) continue;
    try {
      await listDir(d);
    } finally {
      ancestry.leave();
    }
  }
}
