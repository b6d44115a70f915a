/**
 * The vnode operations of etfs nodes: windows onto host files, and directories that look up, list
 * and (under DIR_SUBDIRS) change the host directory — never leaving it: '..' at a key's top leads to
 * the kernel's root, host symlinks are shown as symlinks and never followed on the host side, and
 * host files below a key are opened with O_NOFOLLOW.
 */
import {
  closeSync, constants as fsc, fstatSync, ftruncateSync, lchownSync, lstatSync, lutimesSync, mkdirSync, openSync, readdirSync,
  readlinkSync, readSync, renameSync, rmdirSync, statSync, symlinkSync, unlinkSync, writeSync, chmodSync, type Stats, fsyncSync, linkSync,
  type BigIntStats,
} from 'node:fs';
import { DT_DIR, DT_LNK, DT_REG, errno, FWRITE, type Timespec } from '@rumpts/librump';
import { type DirEntry, type Vattr, type Vnode, type VnodeOps, VDIR, VLNK, VREG } from '@rumpts/rumpvfs';
import type { EtNode } from './etnode.js';
import { host, hostError } from './hosterr.js';
import { type KeyMount, kernelRoot } from './etfs.js';

function et(vp: Vnode): EtNode {
  return vp.data as EtNode;
}

function km(vp: Vnode): KeyMount {
  return vp.mount.data as KeyMount;
}

const ts = (ns: bigint): Timespec => ({ sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) });

/** Host attributes: through the open descriptor if any (right even after unlink or rename-over), else by path. */
function hostStat(n: EtNode): BigIntStats {
  if (n.fd >= 0) return host('fstat', () => fstatSync(n.fd, { bigint: true }));
  // A key's own host path was chosen by the registering user and may be a symlink; entries found
  // below a DIR key are never followed host-side.
  const stat = n.isTop ? statSync : lstatSync;
  return host(`lstat ${n.hostpath}`, () => stat(n.hostpath, { bigint: true }));
}

/** The VType of a host entry we show (regular files, directories, symlinks); null for others. */
export function hostType(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): typeof VREG | typeof VDIR | typeof VLNK | null {
  if (st.isFile()) return VREG;
  if (st.isDirectory()) return VDIR;
  if (st.isSymbolicLink()) return VLNK;
  return null;
}

/** Open (or reuse) the host descriptor of a REG node; writable when asked. */
function hostfd(n: EtNode, write: boolean): number {
  if (n.fd >= 0 && (n.fdWritable || !write)) return n.fd;
  const nofollow = n.isTop ? 0 : fsc.O_NOFOLLOW;
  const fd = host(`open ${n.hostpath}`, () => openSync(n.hostpath, (write ? fsc.O_RDWR : fsc.O_RDONLY) | nofollow));
  if (n.fd >= 0) closeSync(n.fd);
  n.fd = fd;
  n.fdWritable = write;
  return fd;
}

function windowSize(n: EtNode): number {
  if (n.size !== null) return n.size;
  return Math.max(0, Number(hostStat(n).size) - n.begin);
}

function childPath(d: EtNode, name: string): string {
  if (name.includes('/') || name.includes('\0') || name === '.' || name === '..') throw errno('EINVAL', `bad name '${name}'`);
  return d.hostpath === '/' ? `/${name}` : `${d.hostpath}/${name}`;
}

function mustWrite(d: EtNode): void {
  if (!d.writable) throw errno('EOPNOTSUPP', 'this etfs mapping does not change the host (register it as RUMP_ETFS_DIR_SUBDIRS)');
}

function mustNotBeTop(n: EtNode): void {
  if (n.isTop) throw errno('EBUSY', 'an etfs key is removed with etfsRemove');
}

/** The vnode for a host entry below directory d, or null if there is none we show. */
function child(dvp: Vnode, name: string): Vnode | null {
  const d = et(dvp);
  const path = childPath(d, name);
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw hostError(e, `lstat ${path}`);
  }
  const type = hostType(st);
  if (type === null) return null;
  return dvp.mount.vcacheGet(km(dvp).child(path, st, type, d).fileid);
}

function made(dvp: Vnode, name: string, path: string): Vnode {
  const vp = child(dvp, name);
  if (!vp) throw errno('ENOENT', `${path} vanished on the host right after it was made`);
  return vp;
}

/** After a host unlink/rmdir: if that was the last name, the identity may be reused by the host. */
function unlinked(dvp: Vnode, n: EtNode): void {
  try {
    if (n.fd >= 0 && fstatSync(n.fd).nlink > 0) return;
    if (n.fd < 0 && n.type !== VDIR) {
      lstatSync(n.hostpath); // another name still exists under this path? then keep it
      return;
    }
  } catch {
    // gone
  }
  km(dvp).forget(n);
}

export const etfs_vnodeops: VnodeOps = {
  lookup(dvp, name) {
    const d = et(dvp);
    if (name === '..') return d.isTop || !d.parent ? kernelRoot(dvp.mount.kernel) : dvp.mount.vcacheGet(d.parent.fileid);
    if (!d.searchable) return null;
    return child(dvp, name);
  },
  create(dvp, name, va) {
    const d = et(dvp);
    mustWrite(d);
    const path = childPath(d, name);
    host(`create ${path}`, () => closeSync(openSync(path, fsc.O_CREAT | fsc.O_EXCL | fsc.O_WRONLY | fsc.O_NOFOLLOW, va.mode)));
    return made(dvp, name, path);
  },
  mknod() {
    throw errno('EOPNOTSUPP', 'etfs does not make device nodes or fifos on the host');
  },
  mkdir(dvp, name, va) {
    const d = et(dvp);
    mustWrite(d);
    const path = childPath(d, name);
    host(`mkdir ${path}`, () => mkdirSync(path, { mode: va.mode }));
    return made(dvp, name, path);
  },
  symlink(dvp, name, _va, target) {
    const d = et(dvp);
    mustWrite(d);
    if (target === '') throw errno('EINVAL', 'the host cannot store a symbolic link with an empty target');
    const path = childPath(d, name);
    host(`symlink ${path}`, () => symlinkSync(target, path));
    return made(dvp, name, path);
  },
  link(dvp, vp, name) {
    const d = et(dvp);
    mustWrite(d);
    mustNotBeTop(et(vp));
    host('link', () => linkSync(et(vp).hostpath, childPath(d, name)));
  },
  remove(dvp, vp, name) {
    const d = et(dvp);
    mustWrite(d);
    mustNotBeTop(et(vp));
    host('unlink', () => unlinkSync(childPath(d, name)));
    unlinked(dvp, et(vp));
  },
  rmdir(dvp, vp, name) {
    const d = et(dvp);
    mustWrite(d);
    mustNotBeTop(et(vp));
    host('rmdir', () => rmdirSync(childPath(d, name)));
    unlinked(dvp, et(vp));
  },
  rename(fdvp, fvp, fname, tdvp, tvp, tname) {
    const fd = et(fdvp);
    const td = et(tdvp);
    mustWrite(fd);
    mustWrite(td);
    mustNotBeTop(et(fvp));
    const to = childPath(td, tname);
    host('rename', () => renameSync(childPath(fd, fname), to));
    if (tvp) unlinked(tdvp, et(tvp));
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
    const st = hostStat(n);
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
      const fd = hostfd(n, true);
      host('ftruncate', () => ftruncateSync(fd, n.begin + size));
    }
    const mode = ch.mode;
    if (mode !== undefined && vp.type !== VLNK) host('chmod', () => chmodSync(n.hostpath, mode));
    if (ch.uid !== undefined || ch.gid !== undefined) host('chown', () => lchownSync(n.hostpath, ch.uid ?? -1, ch.gid ?? -1));
    if (ch.atime || ch.mtime) {
      const st = hostStat(n);
      const a = ch.atime ? ch.atime.sec + ch.atime.nsec / 1e9 : Number(st.atimeNs) / 1e9;
      const m = ch.mtime ? ch.mtime.sec + ch.mtime.nsec / 1e9 : Number(st.mtimeNs) / 1e9;
      host('utimes', () => lutimesSync(n.hostpath, a, m));
    }
  },
  open(vp, mode) {
    if (vp.type === VREG) hostfd(et(vp), (mode & FWRITE) !== 0);
  },
  read(vp, buf, offset) {
    const n = et(vp);
    const fd = hostfd(n, false);
    const size = windowSize(n);
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
    const fd = hostfd(n, true);
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
    const names = host(`readdir ${n.hostpath}`, () => readdirSync(n.hostpath))
      .filter((name) => after === undefined || name > after)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const m = km(vp);
    const entries: DirEntry[] = [];
    let bytes = 0;
    for (const name of names) {
      if (bytes >= count && entries.length > 0) return { entries, eof: false };
      const path = childPath(n, name);
      let st: Stats;
      try {
        st = lstatSync(path);
      } catch {
        continue; // removed on the host meanwhile
      }
      const type = hostType(st);
      if (type === null) continue;
      const c = m.child(path, st, type, n);
      n.cookieNames.push(name);
      entries.push({ fileno: c.fileid, type: type === VDIR ? DT_DIR : type === VLNK ? DT_LNK : DT_REG, name, cookie: n.cookieNames.length });
      bytes += 24 + name.length;
    }
    return { entries, eof: true };
  },
  readlink(vp) {
    const n = et(vp);
    return host(`readlink ${n.hostpath}`, () => readlinkSync(n.hostpath, 'utf8'));
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
