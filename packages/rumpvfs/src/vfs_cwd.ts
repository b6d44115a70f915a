/** Working and root directories: chdir, fchdir, chroot, getcwd (vfs_getcwd.c's walk up '..'). */
import { errno, type Proc } from '@rumpts/librump';
import { cwdinfo } from './cwd.js';
import { VEXEC, vn_access } from './genfs.js';
import { vref, vrele } from './mount.js';
import { LOOKUP, namei } from './vfs_lookup.js';
import type { Vfs } from './vfs.js';
import type { Vnode } from './vnode.js';
import { fd_vnode } from './vfs_vnops.js';
import { VDIR } from './vattr.js';
import { direntNameInvalid } from './vfs_dirent.js';

function dirFor(p: Proc, vp: Vnode): void {
  if (vp.type !== VDIR) throw errno('ENOTDIR');
  vn_access(vp, VEXEC, p.cred);
}

export function sys_chdir(vfs: Vfs, p: Proc, path: string): void {
  const nd = namei(vfs, p, path, { op: LOOKUP, follow: true });
  const vp = nd.vp as Vnode;
  try {
    dirFor(p, vp);
  } catch (e) {
    vrele(vp);
    throw e;
  }
  const ci = cwdinfo(p);
  const old = ci.cdir;
  ci.cdir = vp;
  vrele(old);
}

export function sys_fchdir(p: Proc, fd: number): void {
  const vp = fd_vnode(p, fd);
  dirFor(p, vp);
  vref(vp);
  const ci = cwdinfo(p);
  const old = ci.cdir;
  ci.cdir = vp;
  vrele(old);
}

export function sys_chroot(vfs: Vfs, p: Proc, path: string): void {
  if (p.cred.uid !== 0) throw errno('EPERM', 'chroot needs privilege');
  const nd = namei(vfs, p, path, { op: LOOKUP, follow: true });
  const vp = nd.vp as Vnode;
  try {
    dirFor(p, vp);
  } catch (e) {
    vrele(vp);
    throw e;
  }
  const ci = cwdinfo(p);
  const old = ci.rdir;
  ci.rdir = vp;
  if (old) vrele(old);
}

/** Find the name under which `dir` lists file id `fileid` (skipping '.' and '..'). */
function nameOf(dir: Vnode, fileid: number): string | null {
  let cookie = 0;
  for (let rounds = 0; rounds < 1_000_000; rounds++) {
    const r = dir.ops.readdir(dir, cookie, 8192);
    for (const e of r.entries) {
      // A name no entry may have (vfs_dirent.ts) is no path component either.
      if (e.fileno === fileid && e.name !== '.' && e.name !== '..' && !direntNameInvalid(e.name)) return e.name;
      cookie = e.cookie;
    }
    if (r.eof || r.entries.length === 0) return null;
  }
  return null;
}

export function sys_getcwd(vfs: Vfs, p: Proc): string {
  const ci = cwdinfo(p);
  const stop = ci.rdir ?? vfs.rootvnode;
  const parts: string[] = [];
  let vp = ci.cdir;
  vref(vp);
  try {
    for (let depth = 0; depth < 4096; depth++) {
      if (vp === stop || vp === vfs.rootvnode) return `/${parts.join('/')}`;
      while (vp.isRoot && vp.mount.vnodecovered) {
        const c: Vnode = vp.mount.vnodecovered;
        vref(c);
        vrele(vp);
        vp = c;
      }
      if (vp === stop || vp === vfs.rootvnode) return `/${parts.join('/')}`;
      if (vp.dead) throw errno('ENOENT', 'working directory was unmounted');
      const keyed = vfs.rootNameHooks.map((h) => h(vp)).find((n) => n !== null);
      if (keyed) {
        // A node reached through a root hook (an etfs key): its name is the key, its parent "/".
        parts.unshift(keyed);
        return `/${parts.join('/')}`;
      }
      const parent = vp.ops.lookup(vp, '..', { cred: p.cred });
      if (!parent) throw errno('ENOENT', 'working directory was removed');
      const name = nameOf(parent, vp.ops.getattr(vp).fileid);
      vrele(vp);
      vp = parent;
      if (name === null) throw errno('ENOENT', 'working directory is no longer linked');
      parts.unshift(name);
    }
    throw errno('ENAMETOOLONG', 'working directory too deep');
  } finally {
    vrele(vp);
  }
}
