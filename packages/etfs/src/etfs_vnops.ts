/**
 * The vnode operations of etfs nodes: windows onto host files, and directories that look up, list
 * and (under DIR_SUBDIRS) change the host directory — never leaving it: '..' at a key's top leads to
 * the kernel's root, host symlinks are shown as symlinks and never followed on the host side, and
 * every host operation below a key runs inside a directory reached from the key's held root without
 * following a symlink and verified to be the node's own (hostroot.ts); a node whose host entry is
 * gone or replaced is dead (ENOENT).
 */
import {
  chmodSync, chownSync, closeSync, constants as fsc, fstatSync, fsyncSync, ftruncateSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync,
  openSync, readlinkSync, readSync, renameSync, rmdirSync, statSync, symlinkSync, unlinkSync, utimesSync, writeSync, fchmodSync,
  type BigIntStats,
} from 'node:fs';
import { decodeName, DT_DIR, DT_LNK, DT_REG, errno, FWRITE, nameByteLength, type Timespec } from '@rumpts/librump';
import { type DirEntry, type Vattr, type Vnode, type VnodeOps, VDIR, VLNK, VREG, vrele } from '@rumpts/rumpvfs';
import type { EtNode } from './etnode.js';
import { host, hostError } from './hosterr.js';
import { type KeyMount, kernelRoot } from './etfs.js';
import { type HostRoot, hostIdOf, O_PATH } from './hostroot.js';
import { hostDirKernelNames, hostPathOf as hp } from './hostnames.js';

function et(vp: Vnode): EtNode {
  return vp.data as EtNode;
}

function km(vp: Vnode): KeyMount {
  return vp.mount.data as KeyMount;
}

const ts = (ns: bigint): Timespec => ({ sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) });

/** The DIR key's host root (every node with a host path below a DIR key has one). */
function hostRoot(vp: Vnode): HostRoot {
  const r = km(vp).root;
  if (!r) throw errno('EINVAL', 'not below an etfs directory key');
  return r;
}

/** The names leading from the key's root to node n. */
function relOf(k: KeyMount, n: EtNode): string[] {
  if (n.isTop) return [];
  const top = k.top.hostpath;
  const prefix = top === '/' ? '/' : `${top}/`;
  if (!n.hostpath.startsWith(prefix)) throw errno('ENOENT', `${n.hostpath} is not below ${top}`);
  return n.hostpath.slice(prefix.length).split('/');
}

/** A node the kernel removed (or found replaced) is dead: every host operation on it is ENOENT. */
function live(n: EtNode): void {
  if (n.hostid === '') throw errno('ENOENT', `${n.hostpath}: removed from the host`);
}

/**
 * Run fn inside the host directory of DIR node vp, verified to be that very directory and reached
 * from the key's root without following a symlink (hostroot.ts).
 */
function inDir<T>(vp: Vnode, fn: (dir: string, st: BigIntStats) => T): T {
  const n = et(vp);
  live(n);
  return hostRoot(vp).inDir(relOf(km(vp), n), n.hostid, fn);
}

/**
 * Run fn on the host entry of a non-directory node below a DIR key: in its parent directory (walked
 * as inDir does), after checking by lstat that the name still leads to this node's file. A host
 * swap of that last name after the check can only lead to another entry of the same directory.
 */
function atEntry<T>(vp: Vnode, fn: (path: string, st: BigIntStats) => T): T {
  const n = et(vp);
  live(n);
  const rel = relOf(km(vp), n);
  const name = rel.pop() as string;
  return hostRoot(vp).inDir(rel, null, (dir) => {
    const path = `${dir}/${name}`;
    const st = lstatEntry(path, n.hostpath);
    if (st === null || hostIdOf(st) !== n.hostid) throw errno('ENOENT', `${n.hostpath}: gone from the host, or replaced`);
    return fn(path, st);
  });
}

/**
 * Run fn on node vp's own host entry (attributes, chown, utimes): a key's top is its held root
 * directory, anything else is found in its parent (atEntry). `follow` says whether calls may follow
 * `path` (it names a verified directory descriptor) or must use their l-variants.
 */
function onEntry<T>(vp: Vnode, fn: (path: string, st: BigIntStats, follow: boolean) => T): T {
  if (!et(vp).isTop) return atEntry(vp, (path, st) => fn(path, st, false));
  return inDir(vp, (dir, st) => fn(dir, st, hostRoot(vp).procfd));
}

/**
 * chmod without following a symlink (Linux has no lchmod): through the open descriptor if there is
 * one, else an O_PATH descriptor of the verified entry whose identity is checked before
 * /proc/self/fd/N (that very inode) is changed. Without /proc the entry is changed by name after
 * the checks (the README's residual window).
 */
function hostChmod(vp: Vnode, mode: number): void {
  const n = et(vp);
  if (n.fd >= 0) {
    host('fchmod', () => fchmodSync(n.fd, mode));
    return;
  }
  onEntry(vp, (path, _st, follow) => {
    if (follow || !hostRoot(vp).procfd) {
      host('chmod', () => chmodSync(hp(path), mode));
      return;
    }
    const fd = host(`open ${n.hostpath}`, () => openSync(hp(path), O_PATH | fsc.O_NOFOLLOW));
    try {
      const st = host('fstat', () => fstatSync(fd, { bigint: true }));
      if (st.isSymbolicLink() || hostIdOf(st) !== n.hostid) throw errno('ENOENT', `${n.hostpath}: replaced on the host`);
      host('chmod', () => chmodSync(`/proc/self/fd/${fd}`, mode));
    } finally {
      closeSync(fd);
    }
  });
}

/** lstat of a host entry, or null when it is not there. */
function lstatEntry(path: string, what: string): BigIntStats | null {
  try {
    return lstatSync(hp(path), { bigint: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw hostError(e, `lstat ${what}`);
  }
}

/** Host attributes: through the open descriptor if any (right even after unlink or rename-over), else the verified entry. */
function hostStat(vp: Vnode): BigIntStats {
  const n = et(vp);
  if (n.fd >= 0) return host('fstat', () => fstatSync(n.fd, { bigint: true }));
  // A REG key's own host path was chosen by the registering user and may be a symlink.
  if (!km(vp).root) return host(`stat ${n.hostpath}`, () => statSync(n.hostpath, { bigint: true }));
  return onEntry(vp, (_path, st) => st);
}

/** The VType of a host entry we show (regular files, directories, symlinks); null for others. */
export function hostType(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): typeof VREG | typeof VDIR | typeof VLNK | null {
  if (st.isFile()) return VREG;
  if (st.isDirectory()) return VDIR;
  if (st.isSymbolicLink()) return VLNK;
  return null;
}

/**
 * Open (or reuse) the host descriptor of a REG node; writable when asked. Below a DIR key the file
 * is opened in its verified directory with O_NOFOLLOW (O_NONBLOCK: a fifo swapped in never blocks
 * the kernel) and must then be the node's own file (fstat identity), which closes the window
 * between the check and the open.
 */
function hostfd(vp: Vnode, write: boolean): number {
  const n = et(vp);
  if (n.fd >= 0 && (n.fdWritable || !write)) return n.fd;
  const acc = write ? fsc.O_RDWR : fsc.O_RDONLY;
  let fd: number;
  if (!km(vp).root) {
    fd = host(`open ${n.hostpath}`, () => openSync(n.hostpath, acc));
  } else {
    fd = atEntry(vp, (path) => host(`open ${n.hostpath}`, () => openSync(hp(path), acc | fsc.O_NOFOLLOW | fsc.O_NONBLOCK)));
    let st: BigIntStats;
    try {
      st = fstatSync(fd, { bigint: true });
    } catch (e) {
      closeSync(fd);
      throw hostError(e, `fstat ${n.hostpath}`);
    }
    if (!st.isFile() || hostIdOf(st) !== n.hostid) {
      closeSync(fd);
      throw errno('ENOENT', `${n.hostpath}: replaced on the host while being opened`);
    }
  }
  if (n.fd >= 0) closeSync(n.fd);
  n.fd = fd;
  n.fdWritable = write;
  return fd;
}

function windowSize(vp: Vnode): number {
  const n = et(vp);
  if (n.size !== null) return n.size;
  return Math.max(0, Number(hostStat(vp).size) - n.begin);
}

/** A name the kernel hands down for a host entry: one component, never '.', '..' or with NUL. */
function checkName(name: string): void {
  if (name === '' || name.includes('/') || name.includes('\0') || name === '.' || name === '..') throw errno('EINVAL', `bad name '${name}'`);
}

/** The (display) host path of name in directory d. */
function childPath(d: EtNode, name: string): string {
  checkName(name);
  return d.hostpath === '/' ? `/${name}` : `${d.hostpath}/${name}`;
}

function mustWrite(d: EtNode): void {
  if (!d.writable) throw errno('EOPNOTSUPP', 'this etfs mapping does not change the host (register it as RUMP_ETFS_DIR_SUBDIRS)');
}

function mustNotBeTop(n: EtNode): void {
  if (n.isTop) throw errno('EBUSY', 'an etfs key is removed with etfsRemove');
}

/** The vnode of the host entry `path` (inside dvp's verified directory), or null if there is none we show. */
function childAt(dvp: Vnode, name: string, path: string): Vnode | null {
  const st = lstatEntry(path, childPath(et(dvp), name));
  if (st === null) return null;
  const type = hostType(st);
  if (type === null) return null;
  return dvp.mount.vcacheGet(km(dvp).child(childPath(et(dvp), name), st, type, et(dvp)).fileid);
}

/** The vnode of an entry just made in dvp's directory; it must be what was made (type). */
function made(dvp: Vnode, name: string, path: string, want: typeof VREG | typeof VDIR | typeof VLNK): Vnode {
  const vp = childAt(dvp, name, path);
  if (vp && vp.type === want) return vp;
  if (vp) vrele(vp);
  throw errno('ENOENT', `${childPath(et(dvp), name)} was replaced on the host right after it was made`);
}

export const etfs_vnodeops: VnodeOps = {
  lookup(dvp, name) {
    const d = et(dvp);
    if (name === '..') {
      if (d.isTop || !d.parent) return kernelRoot(dvp.mount.kernel);
      // '..' is the kernel's own parent node, never a host lookup; a dead directory has none.
      inDir(dvp, () => undefined);
      return dvp.mount.vcacheGet(d.parent.fileid);
    }
    if (!d.searchable) return null;
    checkName(name);
    return inDir(dvp, (dir) => childAt(dvp, name, `${dir}/${name}`));
  },
  create(dvp, name, va) {
    const d = et(dvp);
    mustWrite(d);
    const shown = childPath(d, name);
    return inDir(dvp, (dir) => {
      const path = `${dir}/${name}`;
      const fd = host(`create ${shown}`, () => openSync(hp(path), fsc.O_CREAT | fsc.O_EXCL | fsc.O_WRONLY | fsc.O_NOFOLLOW, va.mode));
      let st: BigIntStats;
      try {
        st = host('fstat', () => fstatSync(fd, { bigint: true }));
      } finally {
        closeSync(fd);
      }
      // The node is the file this call made (its descriptor's identity), whatever the name holds now.
      return dvp.mount.vcacheGet(km(dvp).child(shown, st, VREG, d).fileid);
    });
  },
  mknod() {
    throw errno('EOPNOTSUPP', 'etfs does not make device nodes or fifos on the host');
  },
  mkdir(dvp, name, va) {
    const d = et(dvp);
    mustWrite(d);
    const shown = childPath(d, name);
    return inDir(dvp, (dir) => {
      const path = `${dir}/${name}`;
      host(`mkdir ${shown}`, () => mkdirSync(hp(path), { mode: va.mode }));
      return made(dvp, name, path, VDIR);
    });
  },
  symlink(dvp, name, _va, target) {
    const d = et(dvp);
    mustWrite(d);
    if (target === '') throw errno('EINVAL', 'the host cannot store a symbolic link with an empty target');
    const shown = childPath(d, name);
    return inDir(dvp, (dir) => {
      const path = `${dir}/${name}`;
      host(`symlink ${shown}`, () => symlinkSync(hp(target), hp(path)));
      return made(dvp, name, path, VLNK);
    });
  },
  link(dvp, vp, name) {
    const d = et(dvp);
    mustWrite(d);
    mustNotBeTop(et(vp));
    checkName(name);
    // link(2) never follows a symlink given as the existing name.
    atEntry(vp, (from) => inDir(dvp, (dir) => host('link', () => linkSync(hp(from), hp(`${dir}/${name}`)))));
  },
  remove(dvp, vp, name) {
    const d = et(dvp);
    mustWrite(d);
    const n = et(vp);
    mustNotBeTop(n);
    checkName(name);
    inDir(dvp, (dir) => {
      const path = `${dir}/${name}`;
      const st = lstatEntry(path, n.hostpath);
      host('unlink', () => unlinkSync(hp(path)));
      // Its last name gone, the host may reuse the identity: forget the node (an open descriptor keeps the file).
      if (st !== null && hostIdOf(st) === n.hostid && st.nlink <= 1n) km(dvp).forget(n);
    });
  },
  rmdir(dvp, vp, name) {
    const d = et(dvp);
    mustWrite(d);
    mustNotBeTop(et(vp));
    checkName(name);
    inDir(dvp, (dir) => host('rmdir', () => rmdirSync(hp(`${dir}/${name}`))));
    // A directory has one name: it is dead now, and stays dead even if something takes its name.
    km(dvp).forget(et(vp));
  },
  rename(fdvp, fvp, fname, tdvp, tvp, tname) {
    const fd = et(fdvp);
    const td = et(tdvp);
    mustWrite(fd);
    mustWrite(td);
    mustNotBeTop(et(fvp));
    checkName(fname);
    const to = childPath(td, tname);
    let lastName = false;
    inDir(fdvp, (fdir) =>
      inDir(tdvp, (tdir) => {
        const target = tvp ? lstatEntry(`${tdir}/${tname}`, to) : null;
        host('rename', () => renameSync(hp(`${fdir}/${fname}`), hp(`${tdir}/${tname}`)));
        lastName = tvp !== null && target !== null && hostIdOf(target) === et(tvp).hostid && (target.isDirectory() || target.nlink <= 1n);
      }),
    );
    if (tvp && lastName) km(tdvp).forget(et(tvp));
    km(fdvp).moved(et(fvp), to, td);
  },
  getattr(vp): Vattr {
    const n = et(vp);
    if (n.hostpath === '') {
      return {
        type: vp.type, mode: n.mode, nlink: 1, uid: n.uid, gid: n.gid, fileid: n.fileid, size: n.size ?? 0, bytes: 512,
        blocksize: 512, atime: n.times, mtime: n.times, ctime: n.times, birthtime: n.times, gen: 0, flags: 0, rdev: n.rdev,
      };
    }
    const st = hostStat(vp);
    return {
      type: vp.type,
      mode: Number(st.mode) & 0o7777,
      nlink: Number(st.nlink),
      uid: Number(st.uid),
      gid: Number(st.gid),
      fileid: n.fileid,
      size: vp.type === VREG ? (n.size ?? Math.max(0, Number(st.size) - n.begin)) : Number(st.size),
      bytes: Number(st.blocks) * 512,
      blocksize: Number(st.blksize) || 512,
      atime: ts(st.atimeNs),
      mtime: ts(st.mtimeNs),
      ctime: ts(st.ctimeNs),
      birthtime: ts(st.birthtimeNs),
      gen: 0,
      flags: 0,
      rdev: 0,
    };
  },
  setattr(vp, ch) {
    const n = et(vp);
    if (n.hostpath === '') {
      if (ch.mode !== undefined) n.mode = ch.mode;
      if (ch.uid !== undefined) n.uid = ch.uid;
      if (ch.gid !== undefined) n.gid = ch.gid;
      if (ch.mtime) n.times = { ...ch.mtime };
      return;
    }
    if (ch.flags !== undefined && ch.flags !== 0) throw errno('EOPNOTSUPP', 'etfs does not set file flags on the host');
    if (ch.size !== undefined) {
      if (vp.type !== VREG) throw errno('EISDIR');
      if (n.size !== null) throw errno('EINVAL', 'a fixed etfs window cannot change size');
      const size = ch.size;
      const fd = hostfd(vp, true);
      host('ftruncate', () => ftruncateSync(fd, n.begin + size));
    }
    const mode = ch.mode;
    if (mode !== undefined && vp.type !== VLNK) hostChmod(vp, mode);
    if (ch.uid !== undefined || ch.gid !== undefined) {
      const uid = ch.uid ?? -1;
      const gid = ch.gid ?? -1;
      onEntry(vp, (path, _st, follow) => host('chown', () => (follow ? chownSync : lchownSync)(hp(path), uid, gid)));
    }
    if (ch.atime || ch.mtime) {
      onEntry(vp, (path, st, follow) => {
        const a = ch.atime ? ch.atime.sec + ch.atime.nsec / 1e9 : Number(st.atimeNs) / 1e9;
        const m = ch.mtime ? ch.mtime.sec + ch.mtime.nsec / 1e9 : Number(st.mtimeNs) / 1e9;
        host('utimes', () => (follow ? utimesSync : lutimesSync)(hp(path), a, m));
      });
    }
  },
  open(vp, mode) {
    if (vp.type === VREG) hostfd(vp, (mode & FWRITE) !== 0);
  },
  read(vp, buf, offset) {
    const n = et(vp);
    const fd = hostfd(vp, false);
    const size = windowSize(vp);
    if (offset >= size) return 0;
    const len = Math.min(buf.length, size - offset);
    let done = 0;
    while (done < len) {
      const got = host('read', () => readSync(fd, buf, done, len - done, n.begin + offset + done));
      if (got === 0) break;
      done += got;
    }
    return done;
  },
  write(vp, buf, offset) {
    const n = et(vp);
    const fd = hostfd(vp, true);
    let len = buf.length;
    if (n.size !== null) {
      // A fixed window is all the kernel may touch: never write a byte beyond it.
      if (offset >= n.size) throw errno('EFBIG', `write at ${offset} is outside the ${n.size}-byte etfs window`);
      len = Math.min(len, n.size - offset);
    }
    let done = 0;
    while (done < len) done += host('write', () => writeSync(fd, buf, done, len - done, n.begin + offset + done));
    return done;
  },
  fsync(vp) {
    const n = et(vp);
    if (n.fd >= 0 && n.fdWritable) host('fsync', () => fsyncSync(n.fd));
  },
  readdir(vp, cookie, count) {
    const n = et(vp);
    if (!n.searchable) return { entries: [], eof: true };
    const after = cookie > 0 ? n.cookieNames[cookie - 1] : undefined;
    if (cookie > 0 && after === undefined) throw errno('EINVAL', 'bad directory cookie');
    const m = km(vp);
    return inDir(vp, (dir) => {
      const names = host(`readdir ${n.hostpath}`, () => hostDirKernelNames(dir))
        .filter((name) => after === undefined || name > after)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const entries: DirEntry[] = [];
      let bytes = 0;
      for (const name of names) {
        if (bytes >= count && entries.length > 0) return { entries, eof: false };
        if (name.includes('\0')) continue;
        const st = lstatEntry(`${dir}/${name}`, childPath(n, name));
        if (st === null) continue; // removed on the host meanwhile
        const type = hostType(st);
        if (type === null) continue;
        const c = m.child(childPath(n, name), st, type, n);
        n.cookieNames.push(name);
        entries.push({ fileno: c.fileid, type: type === VDIR ? DT_DIR : type === VLNK ? DT_LNK : DT_REG, name, cookie: n.cookieNames.length });
        bytes += 24 + nameByteLength(name);
      }
      return { entries, eof: true };
    });
  },
  readlink(vp) {
    const n = et(vp);
    return atEntry(vp, (path) => {
      try {
        return decodeName(readlinkSync(hp(path), { encoding: 'buffer' }));
      } catch (e) {
        // EINVAL: the name no longer holds a symlink — the host replaced it after our check.
        if ((e as { code?: string }).code === 'EINVAL') throw errno('ENOENT', `${n.hostpath}: replaced on the host`);
        throw hostError(e, `readlink ${n.hostpath}`);
      }
    });
  },
  inactive(vp) {
    const n = et(vp);
    // A file that is gone from the host has nothing more to say: recycle its vnode now.
    return n.hostid === '' && !n.isTop && n.hostpath !== '';
  },
  reclaim(vp) {
    const n = et(vp);
    if (n.fd >= 0) {
      closeSync(n.fd);
      n.fd = -1;
    }
    if (n.hostid === '' && !n.isTop && n.hostpath !== '') km(vp).nodes.delete(n.fileid);
  },
};
