/**
 * Directory entry names from an image are untrusted. A name that is empty, `.`, `..`, or holds `/`
 * or NUL is not one entry of the directory it was read from: joined onto a path it names some other
 * place — up and out of a copy's destination, or another file to remove. The facade never joins
 * such a name onto a path: readdir and opendir leave it out (with a process warning), and the tree
 * walkers (cp, rm -r, recursive readdir) refuse it, go on with the rest, and fail at the end with an
 * error naming every refused entry.
 */
import { posix } from 'node:path';
import { fsError, type NodeFsError } from './errors.js';

/** Why a name read from a directory cannot be used as one entry of it, or undefined if it can. */
export function badEntryName(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name === '.' || name === '..') return `is "${name}"`;
  if (name.includes('/')) return 'contains "/"';
  if (name.includes('\0')) return 'contains NUL';
  return undefined;
}

/** An entry refused by a tree walk: the directory it was read from and the name as the kernel gave it. */
export interface RefusedEntry {
  /** The directory it was read from, as the caller's path. */
  dir: string;
  /** The name exactly as the kernel returned it. */
  name: string;
  /** Why it was refused, as {@link badEntryName} says: 'contains "/"', 'is ".."' … */
  reason: string;
}

/** The error a tree walk ends with when it refused entries: EINVAL on the first, naming all of them. */
export interface RefusedEntriesError extends NodeFsError {
  /** Every entry refused, in the order met (the message names the first five). */
  refused: RefusedEntry[];
}

/**
 * `EINVAL: invalid argument, cp '/dir': refused directory entry "../x" (contains "/"); the rest was done`
 * — Node's message shape with the entries appended; `refused` lists them all.
 */
export function refusedEntriesError(syscall: string, refused: RefusedEntry[]): RefusedEntriesError {
  const first = refused[0] as RefusedEntry;
  const e = fsError('EINVAL', 22, syscall, first.dir) as RefusedEntriesError;
  const named = refused
    .slice(0, 5)
    .map((r) => `${JSON.stringify(r.name)} in ${r.dir} (${r.reason})`)
    .join(', ');
  const more = refused.length > 5 ? ` and ${refused.length - 5} more` : '';
  e.message += `: refused unsafe directory entr${refused.length === 1 ? 'y' : 'ies'} ${named}${more}; every other entry was processed`;
  e.refused = refused;
  return e;
}

/** Warn once per process about an entry readdir/opendir left out. */
const warned = new Set<string>();
export function warnSkipped(dir: string, name: string, reason: string): void {
  const key = `${dir}\0${name}`;
  if (warned.has(key) || warned.size > 1000) return;
  warned.add(key);
  process.emitWarning(`left out the directory entry ${JSON.stringify(name)} of ${dir}: the name ${reason}`, { code: 'RUMPTS_UNSAFE_NAME' });
}

/** `dir`/`name` for a name that passed badEntryName (a plain join: no `..` can appear). */
export function childPath(dir: string, name: string): string {
  return posix.join(dir, name);
}
