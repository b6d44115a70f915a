/**
 * lstat(2) of host entries for the image builders (makefs -t ffs and -t msdos), with exact
 * nanosecond times and no garbage per call.
 *
 * Node's public lstatSync gives exact times only as a BigIntStats: some twenty BigInts and an
 * object per call (about 1.3 KiB), which for a tree of ten thousand entries costs a cold process
 * more in scavenges and BigInt arithmetic than the system calls themselves. Node's own fs binding
 * fills a shared Float64Array with the raw struct stat instead — seconds and nanoseconds as
 * separate numbers, so the times are exact — and that is what lstatSync reads before it builds its
 * objects. makefs uses that array when it is there and proves right: the first call is checked
 * field by field against the public BigIntStats, and anything unexpected (no binding, another
 * layout, the permission model on, deprecation warnings asked for) falls back to the public call.
 * Device and inode numbers above 2^53 do not fit a double: the identity of a file with several
 * names comes from hostLinkKey, which asks for a BigIntStats then.
 */
import { lstatSync, type BigIntStats } from 'node:fs';

/** Row offset of st_dev (the order of struct stat in Node's stat arrays). */
export const ST_DEV = 0;
/** Row offset of st_mode (type and permission bits). */
export const ST_MODE = 1;
/** Row offset of st_nlink. */
export const ST_NLINK = 2;
/** Row offset of st_uid. */
export const ST_UID = 3;
/** Row offset of st_gid. */
export const ST_GID = 4;
/** Row offset of st_rdev. */
export const ST_RDEV = 5;
/** Row offset of st_ino (exact below 2^53; hostLinkKey asks for a BigIntStats above). */
export const ST_INO = 7;
/** Row offset of st_size. */
export const ST_SIZE = 8;
/** Seconds, then nanoseconds, of atime; mtime, ctime and birthtime follow in pairs. */
export const ST_ATIME = 10;
/** Numbers in a HostStat row. */
export const ST_FIELDS = 18;

/** The part of Node's fs binding used here. */
interface FsBinding {
  lstat(path: string, bigint: boolean, req: undefined, throwIfNoEntry: boolean): unknown;
  statValues: unknown;
}

/** Node majors whose fs binding takes lstat(path, bigint, req, throwIfNoEntry) (checked: Node 20). */
const VERIFIED_MAJORS: readonly number[] = [20];

/** The binding, once checked; null: use the public lstatSync. undefined: not looked at yet. */
let fast: FsBinding | null | undefined;

function lookUp(): FsBinding | null {
  const proc = process as unknown as { binding?: (name: string) => unknown; permission?: unknown };
  // Under the permission model only the public call checks access; --pending-deprecation makes
  // process.binding print a warning.
  if (proc.permission !== undefined || typeof proc.binding !== 'function') return null;
  // Only on the Node major this was checked against: an internal binding given arguments it no
  // longer takes may abort the process (a native check), which no fallback could catch.
  if (!VERIFIED_MAJORS.includes(Number(process.versions.node.split('.')[0]))) return null;
  const opts = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  if (opts.includes('--pending-deprecation') || process.env.NODE_PENDING_DEPRECATION === '1') return null;
  try {
    const b = proc.binding('fs') as Partial<FsBinding> | null;
    if (b && typeof b.lstat === 'function' && b.statValues instanceof Float64Array && b.statValues.length >= ST_FIELDS) return b as FsBinding;
  } catch {
    // no binding: the public call
  }
  return null;
}

/**
 * Fill `out` from a BigIntStats (the public path); a time's seconds are floored, so its nanoseconds
 * are 0..1e9-1 as in struct timespec (1969-12-31 23:59:59.5 is -1 s + 500,000,000 ns).
 */
export function fromBigInt(st: BigIntStats, out: Float64Array): void {
  out[ST_DEV] = Number(st.dev);
  out[ST_MODE] = Number(st.mode);
  out[ST_NLINK] = Number(st.nlink);
  out[ST_UID] = Number(st.uid);
  out[ST_GID] = Number(st.gid);
  out[ST_RDEV] = Number(st.rdev);
  out[6] = Number(st.blksize);
  out[ST_INO] = Number(st.ino);
  out[ST_SIZE] = Number(st.size);
  out[9] = Number(st.blocks);
  const times = [st.atimeNs, st.mtimeNs, st.ctimeNs, st.birthtimeNs];
  for (let i = 0; i < 4; i++) {
    const ns = times[i]!;
    let sec = ns / 1_000_000_000n;
    let nsec = ns % 1_000_000_000n;
    if (nsec < 0n) {
      sec -= 1n;
      nsec += 1_000_000_000n;
    }
    out[ST_ATIME + 2 * i] = Number(sec);
    out[ST_ATIME + 2 * i + 1] = Number(nsec);
  }
}

/** Whether the binding's answer for `path` is the public one (checked once, on the first entry). */
function agrees(b: FsBinding, path: string, out: Float64Array): boolean {
  const pub = new Float64Array(ST_FIELDS);
  fromBigInt(lstatSync(path, { bigint: true }), pub);
  let v: unknown;
  try {
    v = b.lstat(path, false, undefined, true);
  } catch {
    return false;
  }
  if (v !== b.statValues || !(v instanceof Float64Array)) return false;
  // Times may differ if the entry was touched in between: compare what cannot change.
  for (const f of [ST_DEV, ST_MODE, ST_UID, ST_GID, ST_RDEV, ST_INO]) if (v[f] !== pub[f]) return false;
  for (let f = ST_ATIME + 1; f < ST_FIELDS; f += 2) if (!(v[f]! >= 0 && v[f]! < 1e9 && Number.isInteger(v[f]))) return false;
  out.set(v.subarray(0, ST_FIELDS));
  return true;
}

/**
 * lstat `path` into `out` (ST_FIELDS numbers; times as exact seconds and nanoseconds). Throws the
 * host's error (an Error with a `code`). A path given as bytes (a name that is not UTF-8, see
 * hostnames.ts) takes the public call.
 */
export function hostLstat(path: string | Buffer, out: Float64Array): void {
  // A NUL would cut the path short on the way down: only the public call refuses it.
  if (typeof path !== 'string' || path.includes('\0')) {
    fromBigInt(lstatSync(path, { bigint: true }), out);
    return;
  }
  if (fast === undefined) {
    const b = lookUp();
    // (A path that cannot be stat'ed throws from the check: the next call checks again.)
    const ok = b !== null && agrees(b, path, out);
    fast = ok ? b : null;
    if (ok) return;
  }
  if (fast !== null) {
    // Errors are the public call's: it says them in its own words.
    let v: unknown;
    try {
      v = fast.lstat(path, false, undefined, true);
    } catch {
      v = undefined;
    }
    if (v instanceof Float64Array) {
      for (let i = 0; i < ST_FIELDS; i++) out[i] = v[i]!;
      return;
    }
  }
  fromBigInt(lstatSync(path, { bigint: true }), out);
}

/**
 * The exact identity (`dev:ino`, as a BigIntStats spells it) of the host entry at `path` whose
 * HostStat is `st`: from `st` when its numbers are exact (below 2^53, as good as always), else from
 * a BigIntStats.
 */
export function hostLinkKey(path: string | Buffer, st: Float64Array): string {
  const dev = st[ST_DEV]!;
  const ino = st[ST_INO]!;
  if (Number.isSafeInteger(dev) && Number.isSafeInteger(ino) && dev >= 0 && ino >= 0) return `${dev}:${ino}`;
  const big = lstatSync(path, { bigint: true });
  return `${big.dev}:${big.ino}`;
}
