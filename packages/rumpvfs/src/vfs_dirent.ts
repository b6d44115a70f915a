/**
 * What the VFS lets a file system hand out as a directory entry name. A name read from an image is
 * hostile like any other image byte: an empty name, one holding '/' or NUL, or a '.'/'..' that is
 * not one of the two entries a directory starts with could make a caller (a copy tool joining names
 * onto a host path, a walker) go somewhere else than the entry. NetBSD's ufs_readdir and lookup never
 * produce one; here the VFS enforces it for every file system — FFS, cd9660's Rock Ridge names,
 * third-party plugins — by skipping such an entry (with a kernel message naming the directory and
 * the entry) rather than failing the whole directory, so the rest stays readable.
 */
import { nameByteLength } from '@rumpts/librump';

/**
 * Why `name` can never be a directory entry (empty, holds '/' or NUL, or a lone surrogate that
 * stands for no byte: names are bytes, see librump's names.ts), or null when it can be.
 */
export function direntNameInvalid(name: string): string | null {
  if (name.length === 0) return 'an empty name';
  if (name.includes('/')) return "a name with '/'";
  if (name.includes('\0')) return 'a name with NUL';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return noByteForm(name);
  }
  return null;
}

/** Null if `name` (which holds a surrogate) has a byte form, else why not. */
function noByteForm(name: string): string | null {
  try {
    nameByteLength(name);
    return null;
  } catch {
    return 'a name with a lone surrogate (no byte form)';
  }
}

/**
 * The state of one directory stream: '.' and '..' may come only first, once each, before any
 * other name; afterwards they are misplaced. Restarted when the stream goes back to its start.
 */
export class DirentStream {
  #dot = false;
  #dotdot = false;
  #others = false;

  /** Start again (a read from cookie 0: opendir, rewinddir). */
  rewind(): void {
    this.#dot = this.#dotdot = this.#others = false;
  }

  /** Why the next entry `name` must be skipped, or null to hand it out (and note it). */
  check(name: string): string | null {
    const bad = direntNameInvalid(name);
    if (bad) return bad;
    if (name === '.' || name === '..') {
      const seen = name === '.' ? this.#dot : this.#dotdot;
      if (this.#others || seen) return `a '${name}' that is not one of the first two entries`;
      if (name === '.') this.#dot = true;
      else this.#dotdot = true;
      return null;
    }
    this.#others = true;
    return null;
  }

  /**
   * Forget the last `check` of `name` (it passed but did not fit in the caller's buffer: the next
   * call meets it again). Only '.' and '..' need undoing; a later name keeps `others` set, which it
   * would set again anyway.
   */
  uncheck(name: string): void {
    if (name === '.') this.#dot = false;
    else if (name === '..') this.#dotdot = false;
  }
}

/** The name as a kernel message may show it: control characters escaped, bounded length. */
export function direntNameForLog(name: string): string {
  const shown = JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
  return shown;
}
