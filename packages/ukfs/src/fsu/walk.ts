/**
 * Walking a target's directories safely. Directory entries come from an image, which is hostile input:
 * a name that is empty, `.` or `..` (beyond the directory's own two), or holds `/` or NUL would, joined
 * onto a path, name some other file — in the image, or on the host when copied out. Such entries are
 * reported and skipped, never followed. Trees are bounded in depth, and a directory that is its own
 * ancestor (a hard-linked directory loop) is not entered twice.
 */
import { errno, O_RDONLY, S_IFDIR, S_IFMT, type Stat } from '@rumpts/librump';
import type { Io } from './stdio.js';
import type { FsuTarget } from './target.js';

/** Deeper than any real tree (PATH_MAX 1024 allows ~512 levels); a deeper one is a crafted loop. */
export const MAX_DEPTH = 4096;

/** Join target paths. */
export function ijoin(a: string, b: string): string {
  return a.endsWith('/') ? `${a}${b}` : `${a}/${b}`;
}

export const isDir = (st: Stat): boolean => (st.mode & S_IFMT) === S_IFDIR;

/** A name that may be joined onto a path: not empty, `.` or `..`, without `/` or NUL. */
export function validName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

/** The error for an entry whose name cannot be used. */
export function badName(dir: string, name: string): Error {
  return errno('EINVAL', `bad directory entry name ${JSON.stringify(name)} (skipped)`, { path: dir });
}

/** Every entry name of a directory, in directory order (getdents to the end). */
export async function readdirNames(fs: FsuTarget, dir: string): Promise<string[]> {
  const fd = await fs.open(dir, O_RDONLY);
  try {
    const out: string[] = [];
    for (let d = await fs.getdents(fd, 65536); d.length > 0; d = await fs.getdents(fd, 65536)) for (const e of d) out.push(e.name);
    return out;
  } finally {
    await fs.close(fd);
  }
}

/**
 * The sorted names of a directory without its `.` and `..` (and dot files unless `all`). Entries with
 * names that cannot be used are reported through `io` and left out.
 */
export async function names(fs: FsuTarget, dir: string, all: boolean, io: Io): Promise<string[]> {
  const seen = { '.': false, '..': false };
  const out: string[] = [];
  for (const n of await readdirNames(fs, dir)) {
    if ((n === '.' || n === '..') && !seen[n]) {
      seen[n] = true;
      continue;
    }
    if (!validName(n)) io.fail(badName(dir, n));
    else if (all || !n.startsWith('.')) out.push(n);
  }
  return out.sort();
}

/** The ancestors of a walk: refuses a directory seen higher up (a loop) and trees past MAX_DEPTH. */
export class Ancestry {
  readonly #keys: string[] = [];

  /** Enter a directory; false (after reporting) if it may not be entered. */
  enter(path: string, st: Stat, io: Io): boolean {
    const key = `${st.dev}:${st.ino}`;
    if (this.#keys.length >= MAX_DEPTH) {
      io.fail(errno('ELOOP', 'directory tree too deep', { path }));
      return false;
    }
    if (this.#keys.includes(key)) {
      io.fail(errno('ELOOP', 'directory loop: this directory is its own ancestor (skipped)', { path }));
      return false;
    }
    this.#keys.push(key);
    return true;
  }

  leave(): void {
    this.#keys.pop();
  }
}
