/** chmod(1) modes (octal or symbolic) and chown(1) owners (numeric), as fsu parses them. */
import { errno } from '@rumpts/librump';
import { UsageError } from './usage.js';

/** A mode change: the new permission bits (07777) of a file from its old ones. */
export type ModeChange = (old: number, isDir: boolean) => number;

const WHO: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007, a: 0o7777 };
const PERM: Record<string, number> = { r: 0o444, w: 0o222, x: 0o111, s: 0o6000, t: 0o1000 };

/**
 * Parse a chmod(1) mode: octal (`0755`), or symbolic clauses `[ugoa]*([-+=]([rwxXst]*|[ugo]))+` joined
 * by commas (`u+x,go-w`, `a=rX`, `g=u`). Without a who letter the umask limits what is set, as chmod(1)
 * does.
 */
export function parseMode(spec: string, umask: () => number = () => process.umask()): ModeChange {
  if (/^[0-7]{1,4}$/.test(spec)) {
    const m = parseInt(spec, 8);
    return () => m;
  }
  const clauses = spec.split(',');
  const parsed: { who: number; explicit: boolean; actions: { op: string; perms: string }[] }[] = [];
  for (const c of clauses) {
    const m = /^([ugoa]*)((?:[-+=](?:[ugo]|[rwxXst]*))+)$/.exec(c);
    if (!m) throw new UsageError(`bad mode '${spec}' (octal such as 0755, or symbolic such as u+x,go-w)`);
    const whoLetters = m[1] as string;
    const who = [...whoLetters].reduce((s, l) => s | (WHO[l] as number), 0);
    const actions = [...(m[2] as string).matchAll(/([-+=])([ugo]|[rwxXst]*)/g)].map((a) => ({ op: a[1] as string, perms: a[2] as string }));
    parsed.push({ who, explicit: whoLetters !== '', actions });
  }
  let mask: number | undefined;
  return (old, isDir) => {
    let mode = old & 0o7777;
    for (const c of parsed) {
      if (!c.explicit) mask ??= umask() & 0o777;
      const limit = c.explicit ? c.who : 0o7777 & ~(mask ?? 0);
      for (const a of c.actions) {
        let bits = 0;
        if (/^[ugo]$/.test(a.perms)) {
          const shift = a.perms === 'u' ? 6 : a.perms === 'g' ? 3 : 0;
          const v = (mode >> shift) & 7;
          bits = (v << 6) | (v << 3) | v;
        } else {
          for (const p of a.perms) {
            if (p === 'X') {
              if (isDir || (mode & 0o111) !== 0) bits |= 0o111;
            } else bits |= PERM[p] as number;
          }
        }
        bits &= limit;
        if (a.op === '+') mode |= bits;
        else if (a.op === '-') mode &= ~bits;
        else mode = (mode & ~(c.explicit ? c.who : 0o7777)) | bits;
      }
    }
    return mode & 0o7777;
  };
}

/**
 * Parse a chown(1) owner: `uid`, `uid:gid`, `:gid` or `uid:` — numbers only, since an image carries no
 * password or group file to look names up in (-1 leaves an id as it is).
 */
export function parseOwner(s: string): { uid: number; gid: number } {
  const m = /^([^:.]*)(?:[:.](.*))?$/.exec(s);
  const user = m?.[1] ?? '';
  const group = m?.[2] ?? '';
  if (user === '' && group === '') throw new UsageError(`bad owner '${s}' (uid[:gid], numeric)`);
  const id = (v: string, what: string): number => {
    if (v === '') return -1;
    if (!/^\d+$/.test(v)) throw errno('EINVAL', `chown: '${v}': not a numeric ${what} id; an image has no password or group file to look names up in`);
    const n = Number(v);
    if (n > 0xfffffffe) throw errno('EINVAL', `chown: ${what} id ${v} is out of range`);
    return n;
  };
  return { uid: id(user, 'user'), gid: id(group, 'group') };
}
