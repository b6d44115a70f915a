/**
 * Node's open flag strings ('r', 'w+', 'ax'…) as NetBSD open(2) flags (sys/fcntl.h values from
 * @rumpts/librump). A number is taken as NetBSD flags as they are: the host's fs.constants differ
 * (Linux O_CREAT is 0o100, NetBSD's 0x200), so numeric flags must come from this facade's `constants`.
 */
import { O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_SYNC, O_TRUNC, O_WRONLY } from '@rumpts/librump';
import { invalidArgValue } from './errors.js';

const W = O_TRUNC | O_CREAT | O_WRONLY;
const WP = O_TRUNC | O_CREAT | O_RDWR;
const A = O_APPEND | O_CREAT | O_WRONLY;
const AP = O_APPEND | O_CREAT | O_RDWR;

/** The table of fs.md's "File system flags", every spelling Node accepts. */
const FLAGS: ReadonlyMap<string, number> = new Map([
  ['r', O_RDONLY],
  ['rs', O_RDONLY | O_SYNC],
  ['sr', O_RDONLY | O_SYNC],
  ['r+', O_RDWR],
  ['rs+', O_RDWR | O_SYNC],
  ['sr+', O_RDWR | O_SYNC],
  ['w', W],
  ['wx', W | O_EXCL],
  ['xw', W | O_EXCL],
  ['w+', WP],
  ['wx+', WP | O_EXCL],
  ['xw+', WP | O_EXCL],
  ['a', A],
  ['ax', A | O_EXCL],
  ['xa', A | O_EXCL],
  ['as', A | O_SYNC],
  ['sa', A | O_SYNC],
  ['a+', AP],
  ['ax+', AP | O_EXCL],
  ['xa+', AP | O_EXCL],
  ['as+', AP | O_SYNC],
  ['sa+', AP | O_SYNC],
]);

export type OpenFlags = string | number;

/** Node's stringToFlags: undefined/null means `def`. */
export function stringToFlags(flags: OpenFlags | undefined | null, def = 'r'): number {
  if (flags === undefined || flags === null) flags = def;
  if (typeof flags === 'number') {
    if (!Number.isInteger(flags) || flags < 0) throw invalidArgValue('flags', flags);
    return flags;
  }
  const f = FLAGS.get(flags);
  if (f === undefined) throw invalidArgValue('flags', flags);
  return f;
}
