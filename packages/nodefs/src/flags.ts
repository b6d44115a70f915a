/**
 * Open flags as node:fs takes them — Node's strings ('r', 'w+', 'ax'…) or numbers made from the
 * HOST's fs.constants (Linux O_CREAT is 0o100) — turned into the NetBSD open(2) bits the kernel
 * understands (NetBSD's O_CREAT is 0x200). Numbers are read bit by bit, by name, against the host's
 * table, so the same code is right on Linux, macOS or any other host Node runs on.
 */
import { constants as host } from 'node:fs';
import * as L from '@rumpts/librump';
import { errno } from '@rumpts/librump';
import { invalidArgValue } from './errors.js';

const W = L.O_TRUNC | L.O_CREAT | L.O_WRONLY;
const WP = L.O_TRUNC | L.O_CREAT | L.O_RDWR;
const A = L.O_APPEND | L.O_CREAT | L.O_WRONLY;
const AP = L.O_APPEND | L.O_CREAT | L.O_RDWR;

/** The table of fs.md's "File system flags", every spelling Node accepts. */
const FLAGS: ReadonlyMap<string, number> = new Map([
  ['r', L.O_RDONLY],
  ['rs', L.O_RDONLY | L.O_SYNC],
  ['sr', L.O_RDONLY | L.O_SYNC],
  ['r+', L.O_RDWR],
  ['rs+', L.O_RDWR | L.O_SYNC],
  ['sr+', L.O_RDWR | L.O_SYNC],
  ['w', W],
  ['wx', W | L.O_EXCL],
  ['xw', W | L.O_EXCL],
  ['w+', WP],
  ['wx+', WP | L.O_EXCL],
  ['xw+', WP | L.O_EXCL],
  ['a', A],
  ['ax', A | L.O_EXCL],
  ['xa', A | L.O_EXCL],
  ['as', A | L.O_SYNC],
  ['sa', A | L.O_SYNC],
  ['a+', AP],
  ['ax+', AP | L.O_EXCL],
  ['xa+', AP | L.O_EXCL],
  ['as+', AP | L.O_SYNC],
  ['sa+', AP | L.O_SYNC],
]);

/** Host flag names and their NetBSD bits; a flag the host lacks is simply not there. */
const BY_NAME: readonly (readonly [string, number])[] = [
  ['O_CREAT', L.O_CREAT],
  ['O_EXCL', L.O_EXCL],
  ['O_NOCTTY', L.O_NOCTTY],
  ['O_TRUNC', L.O_TRUNC],
  ['O_APPEND', L.O_APPEND],
  ['O_DIRECTORY', L.O_DIRECTORY],
  ['O_NOFOLLOW', L.O_NOFOLLOW],
  ['O_SYNC', L.O_SYNC],
  ['O_DSYNC', L.O_DSYNC],
  ['O_RSYNC', L.O_RSYNC],
  ['O_DIRECT', L.O_DIRECT],
  ['O_NONBLOCK', L.O_NONBLOCK],
  ['O_CLOEXEC', L.O_CLOEXEC],
  // Hints NetBSD has no bit for: accepted and dropped (a kernel without them ignores them too).
  ['O_NOATIME', 0],
  ['UV_FS_O_FILEMAP', 0],
];

const hostTable = host as unknown as Readonly<Record<string, number | undefined>>;

/**
 * [host bits, NetBSD bits], widest host value first: Linux's O_SYNC (0o4010000) contains O_DSYNC's
 * bit, and must be matched whole before O_DSYNC is looked at.
 */
const TABLE: readonly (readonly [number, number])[] = BY_NAME.flatMap(([name, nb]): [number, number][] => {
  const h = hostTable[name];
  return h === undefined || h === 0 ? [] : [[h, nb]];
}).sort((a, b) => popcount(b[0]) - popcount(a[0]));

function popcount(n: number): number {
  let c = 0;
  for (let x = n >>> 0; x !== 0; x &= x - 1) c++;
  return c;
}

const ACCMODE = 3;

/**
 * Host open flags (numbers from node:fs's `constants`) as NetBSD's. A bit the host does not name
 * (or a NetBSD number passed by mistake that lands on one) is EINVAL, as an open(2) that checks its
 * flags would say, rather than some other flag quietly.
 */
export function hostToNetbsdFlags(flags: number): number {
  const acc = flags & ACCMODE;
  if (acc === ACCMODE) throw errno('EINVAL', 'O_ACCMODE is not an access mode');
  // the access modes are 0, 1, 2 on every host and on NetBSD
  let out = acc;
  let rest = flags & ~ACCMODE;
  for (const [h, nb] of TABLE) {
    if ((rest & h) === h) {
      out |= nb;
      rest &= ~h;
    }
  }
  if (rest !== 0) throw errno('EINVAL', `open flags 0x${rest.toString(16)} are not the host's fs.constants`);
  return out;
}

export type OpenFlags = string | number;

/**
 * Node's stringToFlags, giving NetBSD bits: a flag string, or a number made of the host's
 * fs.constants; undefined/null means `def`. A number with bits the host does not name throws a
 * RumpError EINVAL (the caller reports it as its own syscall's error).
 */
export function stringToFlags(flags: OpenFlags | undefined | null, def = 'r'): number {
  if (flags === undefined || flags === null) flags = def;
  if (typeof flags === 'number') {
    if (!Number.isInteger(flags) || flags < 0 || flags > 0x7fffffff) throw invalidArgValue('flags', flags);
    return hostToNetbsdFlags(flags);
  }
  const f = FLAGS.get(flags);
  if (f === undefined) throw invalidArgValue('flags', flags);
  return f;
}
