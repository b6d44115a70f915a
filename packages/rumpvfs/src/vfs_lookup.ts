/**
 * namei (vfs_lookup.c): path name → vnode. Absolute and cwd-relative paths, '.' and '..' (crossing
 * mount points both ways, stopping at the process root), symlinks (at most MAXSYMLINKS = 32 →
 * ELOOP), trailing slashes (the result must be a directory), ENAMETOOLONG for a component over
 * NAME_MAX or a path of MAXPATHLEN bytes or more, ENOENT for an empty path, and search permission
 * on every directory passed through.
 */
import { errno, MAXPATHLEN, NAME_MAX, nameByteLength, type Proc } from '@rumpts/librump';
import { cwdinfo } from './cwd.js';
import { VEXEC, vn_access } from './genfs.js';
import { vref, vrele } from './mount.js';
import type { Vfs } from './vfs.js';
import type { Vnode } from './vnode.js';
import { VDIR, VLNK } from './vattr.js';

/** Most symbolic links one namei follows before ELOOP (sys/param.h MAXSYMLINKS). */
export const MAXSYMLINKS = 32;

// nameiop (sys/namei.h): what the caller will do with the last component.
/** nameiop: look the last component up only; it must exist. */
export const LOOKUP = 0;
/** nameiop: the caller will create the last component; it may be missing (vp null). */
export const CREATE = 1;
/** nameiop: the caller will remove the last component; it must exist. */
export const DELETE = 2;
/** nameiop: the last component is a rename target; it may be missing (vp null). */
export const RENAME = 3;
/** nameiop: LOOKUP, CREATE, DELETE or RENAME. */
export type NameiOp = 0 | 1 | 2 | 3;

/** What namei is asked (struct nameidata's flags and nameiop). */
export interface NameiOptions {
  /** What the caller will do with the last component (nameiop). */
  op: NameiOp;
  /** Follow a symlink in the last component (FOLLOW vs NOFOLLOW). */
  follow: boolean;
  /** Return the parent directory too (LOCKPARENT/WANTPARENT). */
  wantParent?: boolean;
}

/** What namei found: the vnodes, referenced, and the last component. Release with {@link nameiDone}. */
export interface NameiResult {
  /** The parent directory (referenced) when wantParent, else null. Null too for "/" itself. */
  dvp: Vnode | null;
  /** The result (referenced), or null when the last component does not exist (CREATE/RENAME only). */
  vp: Vnode | null;
  /** The last component's name ('' for "/"). */
  name: string;
  /** The path ended in '/'. */
  trailingSlash: boolean;
}

/**
 * A hook consulted at the root directory (rumpfs's etfs keys): given the rest
 * of the path from the current component, verbatim, return the node and how many characters it
 * consumed, or null.
 */
export type RootLookupHook = (rest: string) => {
  /** The node the rest of the path names (a key's root), referenced. */
  vp: Vnode;
  /** How many characters of `rest` it consumed; namei walks on from there. */
  consumed: number;
} | null;

/**
 * The byte length of a path or name (names are bytes: an escaped byte U+DC80..U+DCFF counts one,
 * see librump's names.ts; EILSEQ for a lone surrogate with no byte form). A UTF-16 code unit is at
 * most 3 bytes; callers skip this when that cannot pass the limit.
 */
const bytelen = nameByteLength;

/**
 * namei(9): resolve `path` for process `p` (its cwd and root directory, its credentials for
 * search permission). Throws the errno of the first failure (ENOENT, ENOTDIR, ELOOP, EACCES,
 * ENAMETOOLONG …); on success every vnode in the result holds a reference.
 */
export function namei(vfs: Vfs, p: Proc, path: string, opts: NameiOptions): NameiResult {
  if (typeof path !== 'string') throw errno('EFAULT', 'path is not a string');
  if (path.length === 0) throw errno('ENOENT', 'empty path');
  if (path.length * 3 >= MAXPATHLEN && bytelen(path) >= MAXPATHLEN) throw errno('ENAMETOOLONG', `path is ${bytelen(path)} bytes (limit ${MAXPATHLEN - 1})`);
  if (path.includes('\0')) throw errno('EINVAL', 'path contains a NUL byte');
  const ci = cwdinfo(p);
  const root = vfs.rootvnode;
  if (!root) throw errno('ENXIO', 'no root file system');
  const rdir = ci.rdir ?? root;
  const cred = p.cred;
  const ctx = { cred };
  const isRoot = cred.uid === 0;

  // The path left to walk is rest[pos…]: components are cut out by index, and only the names
  // themselves become new strings (a symlink makes a new rest).
  let rest = path;
  let pos = 0;
  let dp: Vnode = rest.startsWith('/') ? rdir : ci.cdir;
  vref(dp);
  let nlinks = 0;

  try {
    for (;;) {
      // Skip slashes before the component.
      let s = pos;
      while (s < rest.length && rest.charCodeAt(s) === 0x2f) s++;
      const skipped = s > pos;
      pos = s;
      if (pos === rest.length) {
        // Nothing left: the path named dp itself ("/", or "." reached through a symlink).
        const res: NameiResult = { dvp: null, vp: dp, name: '', trailingSlash: skipped };
        dp = null as unknown as Vnode;
        return res;
      }
      if (dp.type !== VDIR) throw errno('ENOTDIR', 'a path component is not a directory');
      if (!isRoot || dp.ops.access) vn_access(dp, VEXEC, cred);

      const slash = rest.indexOf('/', pos);
      const name = slash < 0 ? (pos === 0 ? rest : rest.slice(pos)) : rest.slice(pos, slash);
      /** Where the rest after this component starts (its slashes included). */
      let after = slash < 0 ? rest.length : slash;
      let last = isOnlySlashes(rest, after);
      if (name.length * 3 > NAME_MAX && bytelen(name) > NAME_MAX) throw errno('ENAMETOOLONG', `component '${name.slice(0, 32)}…' is ${bytelen(name)} bytes (limit ${NAME_MAX})`);

      let vp: Vnode | null = null;
      let cname = name;
      if (name === '.') {
        vref(dp);
        vp = dp;
      } else if (name === '..') {
        if (dp === rdir || dp === root) {
          vref(dp);
          vp = dp;
        } else {
          // At the root of a mounted fs, '..' is looked up in the directory it covers.
          while (dp.isRoot && dp.mount.vnodecovered) {
            const covered: Vnode = dp.mount.vnodecovered;
            vref(covered);
            vrele(dp);
            dp = covered;
          }
          vp = dp.ops.lookup(dp, '..', ctx);
          if (!vp) throw errno('ENOENT', "directory has no '..' (removed?)");
        }
      } else {
        if (dp === root && vfs.rootLookupHooks.length > 0) {
          for (const hook of vfs.rootLookupHooks) {
            // NetBSD's rumpfs consults keys for LOOKUP and CREATE only; we do for every op, so that
            // unlink, rmdir or rename of a key path meet the key (EBUSY) rather than a missing entry.
            const hit = hook(pos === 0 ? rest : rest.slice(pos));
            if (hit) {
              vp = hit.vp;
              after = pos + hit.consumed;
              last = isOnlySlashes(rest, after);
              cname = rest.slice(pos, after);
              break;
            }
          }
        }
        vp ??= dp.ops.lookup(dp, name, ctx);
        if (!vp) {
          if (!last) throw errno('ENOENT', `no such directory '${name}'`);
          if (opts.op === LOOKUP || opts.op === DELETE) throw errno('ENOENT');
          // A name to be made must have a byte form (EILSEQ for a lone surrogate that stands for no
          // byte), whatever the file system keeps names as.
          bytelen(name);
          const res: NameiResult = { dvp: null, vp: null, name, trailingSlash: after < rest.length };
          if (opts.wantParent) {
            res.dvp = dp;
            dp = null as unknown as Vnode;
          }
          return res;
        }
      }

      // Cross mount points downwards.
      while (vp.type === VDIR && vp.mountedhere) {
        let mroot: Vnode;
        try {
          mroot = vp.mountedhere.root();
        } catch (e) {
          vrele(vp);
          throw e;
        }
        vrele(vp);
        vp = mroot;
      }

      const trailing = last && after < rest.length;
      if (vp.type === VLNK && (!last || opts.follow || trailing)) {
        if (++nlinks > MAXSYMLINKS) {
          vrele(vp);
          throw errno('ELOOP', `more than ${MAXSYMLINKS} symbolic links`);
        }
        let target: string;
        try {
          target = vp.ops.readlink(vp);
        } finally {
          vrele(vp);
        }
        if (target.length === 0) throw errno('ENOENT', 'symbolic link with an empty target');
        const next = target + rest.slice(after);
        if (bytelen(next) >= MAXPATHLEN) throw errno('ENAMETOOLONG', 'symbolic link expansion too long');
        if (target.startsWith('/')) {
          vref(rdir);
          vrele(dp);
          dp = rdir;
        }
        rest = next;
        pos = 0;
        continue;
      }

      if (last) {
        if (trailing && vp.type !== VDIR) {
          vrele(vp);
          throw errno('ENOTDIR', 'trailing slash on a non-directory');
        }
        const res: NameiResult = { dvp: null, vp, name: cname, trailingSlash: trailing };
        if (opts.wantParent) {
          res.dvp = dp;
          dp = null as unknown as Vnode;
        }
        return res;
      }
      vrele(dp);
      dp = vp;
      pos = after;
    }
  } finally {
    if (dp) vrele(dp);
  }
}

/** Is s[from…] empty or only slashes? */
function isOnlySlashes(s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) if (s.charCodeAt(i) !== 0x2f) return false;
  return true;
}

/** Release a namei result's references. */
export function nameiDone(r: NameiResult): void {
  try {
    if (r.vp) vrele(r.vp);
  } finally {
    if (r.dvp) vrele(r.dvp);
  }
}
